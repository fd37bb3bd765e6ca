"""The pages' forms and their CSRF protection, for every form of the site (sign-out now, the editing forms
later): each carries a token in its `csrf` field, checked on every POST, with the request's origin.

- With a session: the session's own token (`WebSession.csrf`, kept with the session). A page's form takes it
  from `session.csrf`; a route takes the checked form with `FormDep`.
- Before a session (the sign-in form): a token signed under the data directory's secret, both in a cookie and
  in the form (a cookie planted by a sibling site cannot be signed).

A refused form is the French 403 page (`CSRF_REFUSED`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from preserie.services.errors import RegistryError
from preserie.web.session import SessionDep

CSRF_FIELD = "csrf"
SIGN_IN_COOKIE = "preserie_connexion"
MAX_FORM_BYTES = 256 * 1024
MAX_FIELDS = 1000  # a declaration of 100 doctors, 7 fields each; the byte limit bounds the rest


async def read_form(request: Request) -> FormData:
    """The posted form (URL-encoded or multipart), bounded: 256 Kio, 1,000 fields, no file (file forms will say
    their own limit)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise RegistryError("REQUEST_TOO_LARGE", f"formulaire : {MAX_FORM_BYTES // 1024} Kio au plus")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise RegistryError("CSRF_REFUSED")  # not a form a page of this site sends
    return await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_FORM_BYTES)


def same_origin(request: Request) -> bool:
    """Whether the browser says the form comes from this site (Origin, else Referer; a client that sends
    neither is not a browser, and still needs the token)."""
    here = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == here
    referer = request.headers.get("referer")
    return referer is None or referer == here or referer.startswith(here + "/")


def _matches(sent: object, expected: str) -> bool:
    return isinstance(sent, str) and hmac.compare_digest(sent.encode(), expected.encode())


async def verified_form(request: Request, session: SessionDep) -> FormData:
    """The form of a signed-in person, once its token and origin are checked."""
    form = await read_form(request)
    if not same_origin(request) or not _matches(form.get(CSRF_FIELD), session.csrf):
        raise RegistryError("CSRF_REFUSED")
    return form


FormDep = Annotated[FormData, Depends(verified_form)]


def sign_in_token(secret: bytes) -> str:
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(secret, nonce)}"


def _signature(secret: bytes, nonce: str) -> str:
    return hmac.new(secret, f"connexion:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def sign_in_token_valid(request: Request, secret: bytes, sent: object) -> bool:
    """The sign-in form's token: the one in its cookie, signed by this registry, and from this site."""
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    nonce, _, signature = cookie.partition(".")
    return (same_origin(request) and bool(nonce) and _matches(sent, cookie)
            and hmac.compare_digest(signature.encode(), _signature(secret, nonce).encode()))
