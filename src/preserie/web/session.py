"""The browser's session: its cookie, and the dependency every page takes (`SessionDep`): the signed-in person,
or a redirection to the sign-in page."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Request, Response

from preserie.adapters.db.people_repository import SqlPeople
from preserie.services.sessions import SESSION_LENGTH, WebSession, session_of

COOKIE = "preserie_session"
_NEXT = re.compile(r"/[A-Za-z0-9/_.-]{0,200}")  # where to go back after signing in: a path of this site only
_NOT_BACK = ("/connexion", "/deconnexion")


class SignInRequired(Exception):
    """No live session: the page asked for (``wanted``) after signing in; ``ended``: the browser had one."""

    def __init__(self, wanted: str, ended: bool) -> None:
        super().__init__(wanted)
        self.wanted, self.ended = wanted, ended


def people(request: Request) -> SqlPeople:
    return SqlPeople(request.app.state.registry.repo.engine)


def known_session(request: Request) -> WebSession | None:
    """The browser's live session, or None (also for the error pages, which show who is signed in)."""
    found = getattr(request.state, "web_session", None)
    if found is None:
        found = session_of(people(request), request.app.state.secret, request.cookies.get(COOKIE),
                           now=request.app.state.registry.now())
        request.state.web_session = found
    return found


def current_session(request: Request) -> WebSession:
    found = known_session(request)
    if found is None:
        raise SignInRequired(request.url.path, ended=COOKIE in request.cookies)
    request.state.caller = found.caller  # for the audit log: who read which page
    return found


SessionDep = Annotated[WebSession, Depends(current_session)]


def safe_next(wanted: str | None) -> str:
    """A page of this site to go to after signing in (never another site's: « //ailleurs », « https:… »)."""
    if not wanted or not _NEXT.fullmatch(wanted) or wanted.startswith("//") or wanted in _NOT_BACK:
        return "/pilotes"
    return wanted


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def keep(response: Response, request: Request, session_id: str) -> None:
    """The session's cookie: out of the page's scripts' reach (HttpOnly), not sent by another site's form or
    image (SameSite=Lax: only top-level GET navigations carry it), and only over HTTPS when the page came so."""
    response.set_cookie(COOKIE, session_id, max_age=int(SESSION_LENGTH.total_seconds()), path="/", httponly=True,
                        samesite="lax", secure=is_https(request))


def forget(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request))
