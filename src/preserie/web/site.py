"""The pages on the service's app: their routes, static files (`/static`, served by preserie itself: nothing
from another site), security headers, and the French error pages that stand for the API's JSON errors there."""

from __future__ import annotations

import time
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from preserie.services.errors import RegistryError
from preserie.web.render import page, sentence
from preserie.web.session import SignInRequired, known_session

# Everything from this site only, no inline script or style, no plug-in, never inside another site's frame.
CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
# FastAPI's own documentation pages load their script from a CDN with an inline bootstrap: left as they are.
_OWN_POLICY = ("/docs", "/redoc")
NOT_FOUND = ("PILOT_NOT_FOUND", "NOT_FOUND", "ROUTE_NOT_FOUND")


def is_page(request: Request) -> bool:
    """Whether the request is for a page (an HTML answer), not for the JSON API."""
    path = request.url.path
    return not (path.startswith("/api/") or path in ("/openapi.json", *_OWN_POLICY))


def error_page(request: Request, error: RegistryError) -> Response:
    """The French page of a refused request. Every « not found » is the same page, word for word: another
    party's pilot reads exactly like a pilot that does not exist, or an address that means nothing."""
    session = known_session(request)
    if error.code in NOT_FOUND:
        return page(request, "erreur.html.j2", status=404, session=session, title="Page introuvable",
                    message="Cette adresse ne mène à aucune page que votre compte peut voir : la présérie n'existe "
                            "pas, ou elle ne vous est pas ouverte.")
    titles = {403: "Accès refusé", 401: "Connexion requise", 409: "Pas à ce stade de la présérie",
              413: "Envoi trop volumineux", 422: "Demande invalide"}
    return page(request, "erreur.html.j2", status=error.status, session=session,
                title="Formulaire refusé" if error.code == "CSRF_REFUSED" else titles.get(error.status, "Erreur"),
                message=sentence(error.message))


def _sign_in_first(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    from urllib.parse import urlencode

    query = {"suite": error.wanted, **({"fin": "1"} if error.ended else {})}
    response = RedirectResponse(f"/connexion?{urlencode(query)}", status_code=303)
    if error.ended:
        from preserie.web.session import forget

        forget(response, request)
    return response


class OnAnswerStart:
    """A plain ASGI middleware that calls `started` as each HTTP answer starts, before its status and headers go
    out (Starlette's `BaseHTTPMiddleware` ran each request through a task group and a stream of its own: a tenth of
    a page's CPU under load); `started` is also given the moment the request came in."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                await self.started(scope, message, began)
            await send(message)

        await self.app(scope, receive, sending)

    async def started(self, scope: Scope, message: Message, began: float) -> None:
        raise NotImplementedError


class SecurityHeaders(OnAnswerStart):
    """Every answer's security headers, and a page's server time (`Server-Timing`, read by
    benchmarks/web_pages.py)."""

    async def started(self, scope: Scope, message: Message, began: float) -> None:
        request, headers = Request(scope), MutableHeaders(scope=message)
        if is_page(request):
            headers.setdefault("Server-Timing", f"page;dur={(time.perf_counter() - began) * 1000:.1f}")
        if request.url.path not in _OWN_POLICY:
            headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.url.scheme == "https":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def install(app: FastAPI) -> None:
    """The pages, their files and their headers on the service's ``app``."""
    from preserie.web import anomalies, auth, declaration, downloads, pages, practitioners, steps

    for module in (auth, declaration, practitioners, anomalies, steps, pages, downloads):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(resources.files(__package__).joinpath("static"))),
              name="static")
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_middleware(SecurityHeaders)
