"""The registry service: ``create_app(settings)`` wires the registry (built at start-up, nothing at import), the
routes, the error catalogue and the audit log. `preserie serve` runs it with uvicorn."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Scope

from preserie.config import ServiceSettings
from preserie.services.errors import ERRORS, RegistryError
from preserie.services.registry import Registry
from preserie.web.site import OnAnswerStart, is_page

log = logging.getLogger(__name__)
MAX_DETAILS = 50

DESCRIPTION = """Le registre de la présérie de l'ordonnance numérique : l'éditeur déclare et planifie, le GIE
SESAM-Vitale et la Cnam reçoivent et acceptent, les CPAM suivent ce qui se passe dans leur zone, le bilan et la
décision sont partagés.

Authentification : `Authorization: Bearer <jeton>` (`preserie accounts create`). Une présérie que votre compte ne
voit pas répond 404, comme une présérie qui n'existe pas. Erreurs : `{"code": ..., "message": ...}`, codes
stables :

""" + "\n".join(f"- `{code}` ({kind.status}) : {kind.message}" for code, kind in ERRORS.items())


def _answer(error: RegistryError) -> JSONResponse:
    return JSONResponse(error.as_dict(), status_code=error.status)


def _refused(request: Request, error: RegistryError) -> Response:
    """The JSON error of the API, or for a page, the French page that says it (web/site.py)."""
    from preserie.web.site import error_page

    return error_page(request, error) if is_page(request) else _answer(error)


async def _on_registry_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RegistryError)
    return await run_in_threadpool(_refused, request, error)


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    from preserie.adapters.pilot_folder import explain

    problems = [{"field": ".".join(str(k) for k in p.get("loc", ())[1:]) or None, "message": explain(p)}
                for p in error.errors()]
    first = problems[0] if problems else {"field": None, "message": ""}
    refused = RegistryError("INVALID_REQUEST", f"{first['field']} : {first['message']}" if first["field"]
                            else first["message"] or None, field=first["field"], details=problems[:MAX_DETAILS])
    return await run_in_threadpool(_refused, request, refused)


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = {404: "ROUTE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "REQUEST_TOO_LARGE"}.get(error.status_code,
                                                                                           "MALFORMED_REQUEST")
    response = await run_in_threadpool(_refused, request, RegistryError(code))
    if error.headers and "Allow" in error.headers:
        response.headers["Allow"] = error.headers["Allow"]
    return response


async def _on_database_down(request: Request, error: Exception) -> Response:
    log.warning("base de données indisponible : %s", type(error).__name__)
    down = RegistryError("DATABASE_UNAVAILABLE")
    if is_page(request):  # the page says so without asking the database who is signed in
        from preserie.web.render import page, sentence

        return page(request, "erreur.html.j2", status=down.status, title="Service indisponible",
                    message=sentence(down.message))
    return _answer(down)


async def _on_conflict(request: Request, error: Exception) -> Response:
    # a unique row another request wrote between this one's check and its write (the check comes first in every
    # use case, so this is a race, not a client's mistake): the same answer as the check's
    log.info("conflit d'écriture : %s", type(error).__name__)
    return await run_in_threadpool(_refused, request, RegistryError("ALREADY_EXISTS", "un enregistrement "
                                                                    "concurrent vient d'être écrit : relire"))


def create_app(settings: ServiceSettings, *, registry: Registry | None = None) -> FastAPI:
    """The service's app. Its registry is built (and the database migrated) at start-up unless one is given."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if registry is None:
            from preserie.bootstrap import build_registry

            app.state.registry = await run_in_threadpool(build_registry, settings)
        app.state.secret = await run_in_threadpool(settings.secret)
        hide_tokens_in_access_log()
        serving = await run_in_threadpool(_serving_lock, settings, app.state.registry) if registry is None else None
        yield
        if app.state.intake is not None:  # the batches submitted are stored (or refused) before the end
            await run_in_threadpool(app.state.intake.close)
            app.state.intake = None
        if serving is not None:
            os.close(serving)
        if registry is None:
            app.state.registry.repo.engine.dispose()

    app = FastAPI(title="preserie — registre de la présérie", version="1", description=DESCRIPTION,
                  lifespan=lifespan, redirect_slashes=False)
    if registry is not None:
        app.state.registry = registry
    from preserie.api import bilan, collector, follow_up, pilots, registry_routes, survey
    from preserie.services.collector import Pace, TokenCache
    from preserie.web import survey as survey_pages
    from preserie.web.survey import hide_tokens_in_access_log

    app.state.settings = settings
    app.state.pace = Pace(settings.collector_rate, settings.collector_burst)
    app.state.workstation_tokens = TokenCache()
    app.state.intake = None  # api.collector.intake: made at the first batch
    from preserie.api.schemas import COMMON_ERRORS, error_responses

    for module in (registry_routes, pilots, follow_up, collector, bilan, survey):
        app.include_router(module.router, responses=error_responses(*COMMON_ERRORS))
    app.include_router(survey_pages.router)  # the doctors' questionnaire: French pages, not the JSON API
    from preserie.web.site import install

    install(app)  # the French pages (/connexion, /pilotes…), beside the API
    app.add_exception_handler(RegistryError, _on_registry_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(OperationalError, _on_database_down)
    app.add_exception_handler(IntegrityError, _on_conflict)

    app.add_middleware(AuditLog)
    return app


class AuditLog(OnAnswerStart):
    """Who read or changed what (the route's template, never a query value): one line of the audit log for each
    answer to a caller the request authenticated, written before the answer goes out."""

    async def started(self, scope: Scope, message: Message, began: float) -> None:
        caller = scope.get("state", {}).get("caller")
        if caller is None:
            return
        request = Request(scope)
        registry = request.app.state.registry
        route = scope.get("route")
        entry: dict[str, Any] = {
            "at": registry.now(), "account_id": caller.account_id, "role": caller.role.value,
            "method": request.method, "route": getattr(route, "path", request.url.path)[:200],
            "pilot": str(request.path_params.get("pilot", ""))[:32] or None, "status": message["status"]}
        await run_in_threadpool(registry.repo.audit, **entry)


def _serving_lock(settings: ServiceSettings, registry: Registry) -> int | None:
    """The data directory's serving lock, held while this process serves; with it, the collector's repair
    (decision 0004: a batch's segment without its row was never acknowledged). Without it (another process
    serves this data directory, and may be writing a batch), no repair."""
    import fcntl

    from preserie.services.collector import repair

    descriptor = os.open(settings.data / "serving.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        log.warning("un autre processus sert %s : réparation du collecteur non faite", settings.data)
        return None
    repair(registry, settings.collector_aside)
    return descriptor


def serve(settings: ServiceSettings, *, host: str = "127.0.0.1", port: int = 8800) -> None:
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
