"""Routes: signing in (`/connexion`) and out (`/deconnexion`). A sign-in always gives the browser a new session
id (the one it had, if any, is ended: no session fixation); signing out deletes the session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from preserie.services import sessions
from preserie.services.errors import RegistryError
from preserie.services.sessions import WebSession
from preserie.web.forms import SIGN_IN_COOKIE, FormDep, read_form, sign_in_token, sign_in_token_valid
from preserie.web.render import page, sentence
from preserie.web.session import COOKIE, SessionDep, forget, is_https, keep, known_session, people, safe_next

router = APIRouter(include_in_schema=False)
Next = Annotated[str | None, Query(max_length=200)]


@router.get("/", summary="Vers vos préséries, ou la connexion")
def home(request: Request) -> Response:
    return RedirectResponse("/pilotes" if known_session(request) else "/connexion", status_code=303)


def _form_page(request: Request, *, wanted: str | None, status: int = 200, error: str | None = None,
               login: str = "", notice: str | None = None, session: WebSession | None = None) -> Response:
    token = sign_in_token(request.app.state.secret)
    response = page(request, "connexion.html.j2", status=status, session=session, token=token,
                    wanted=safe_next(wanted), error=error, login=login, notice=notice)
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=3600, path="/connexion", httponly=True, samesite="strict",
                        secure=is_https(request))
    return response


@router.get("/connexion", summary="Le formulaire de connexion")
def sign_in_page(request: Request, suite: Next = None, fin: Annotated[str | None, Query(max_length=1)] = None,
                 sortie: Annotated[str | None, Query(max_length=1)] = None) -> Response:
    signed = known_session(request)
    notice = (f"Vous êtes connecté sous le compte « {signed.caller.name} » : vous connecter sous un autre compte "
              "termine cette session." if signed else
              "Votre session a pris fin : reconnectez-vous." if fin else "Vous êtes déconnecté." if sortie else None)
    return _form_page(request, wanted=suite, notice=notice, session=signed)


@router.post("/connexion", summary="Se connecter : identifiant et mot de passe (5 échecs : 15 minutes de verrouillage)")
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    if not sign_in_token_valid(request, request.app.state.secret, form.get("csrf")):
        raise RegistryError("CSRF_REFUSED")
    login, password, wanted = (str(form.get(name) or "") for name in ("identifiant", "mot_de_passe", "suite"))
    registry = request.app.state.registry
    try:
        made = await run_in_threadpool(sessions.sign_in, people(request), request.app.state.secret, login,
                                       password, now=registry.now(), replacing=request.cookies.get(COOKIE))
    except RegistryError as error:
        if error.code not in ("SIGN_IN_FAILED", "ACCOUNT_LOCKED", "ACCOUNT_REVOKED"):
            raise
        return _form_page(request, wanted=wanted, status=error.status, error=sentence(error.message), login=login[:200])
    request.state.caller = made.session.caller  # the audit log: who signed in
    response = RedirectResponse(safe_next(wanted), status_code=303)
    keep(response, request, made.session_id)
    response.delete_cookie(SIGN_IN_COOKIE, path="/connexion", httponly=True, samesite="strict",
                           secure=is_https(request))
    return response


@router.post("/deconnexion", summary="Se déconnecter (la session est supprimée)")
def sign_out(request: Request, session: SessionDep, form: FormDep) -> Response:
    sessions.sign_out(people(request), request.app.state.secret, request.cookies.get(COOKIE))
    response = RedirectResponse("/connexion?sortie=1", status_code=303)
    forget(response, request)
    return response
