"""Use cases: people sign in to the web pages with a password, and their browser holds a session.

- A password per account (`preserie accounts password NAME`), kept as an argon2id hash; the login is the account's
  name, case-folded. Five failures in a row lock the account for 15 minutes.
- A session id is 32 random bytes, shown once to the browser (its cookie); the registry keeps only its
  HMAC-SHA256 under the data directory's secret, its expiry and its CSRF token. A sign-in always makes a new one
  (and ends the one the browser had); a revoked account's sessions stop at once (every read joins the account).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from preserie.adapters.db.people_repository import SqlPeople
from preserie.domain.access import Caller, Role
from preserie.services.accounts import digest
from preserie.services.errors import RegistryError

if TYPE_CHECKING:
    from argon2 import PasswordHasher

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LENGTH = dt.timedelta(hours=8)
MIN_PASSWORD, MAX_PASSWORD = 12, 256
_SESSION_ID = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32): anything else is refused unread


@functools.cache
def _hasher() -> PasswordHasher:
    """argon2id with OWASP's profile (19 MiB, 2 passes, 1 lane): 0.07 s a hash on this project's machines,
    against 0.7 s for argon2-cffi's default (64 MiB, 3 passes, 4 lanes) on the same 2 shared cores."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


@functools.cache
def _decoy() -> str:
    """A hash to verify against when the login is unknown: an unknown login costs the same time as a known one."""
    return _hasher().hash(secrets.token_urlsafe(16))


def login_of(name: str) -> str:
    """What a person types to sign in: the account's name, spaces collapsed, case-folded.

    >>> login_of("  CPAM   de la Gironde ")
    'cpam de la gironde'
    """
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class WebSession:
    caller: Caller
    csrf: str  # the token every form of the session carries back
    expires_at: dt.datetime


@dataclass(frozen=True)
class NewSession:
    session_id: str  # for the cookie only: never stored
    session: WebSession


def _caller(row: dict[str, Any]) -> Caller:
    return Caller(account_id=row["account_id"], role=Role(row["role"]), name=row["name"], vendor=row["vendor"],
                  department=row["department"])


def _account(accounts: list[dict[str, Any]], name: str, number: int | None) -> dict[str, Any]:
    if number is not None:
        found = [a for a in accounts if a["id"] == number]
        if not found:
            raise RegistryError("NOT_FOUND", f"aucun compte n° {number}", field="account")
        if login_of(found[0]["name"]) != login_of(name):
            raise RegistryError("INVALID_REQUEST", f"le compte n° {number} s'appelle « {found[0]['name']} », pas "
                                f"« {name} »", field="name")
        return found[0]
    named = [a for a in accounts if login_of(a["name"]) == login_of(name)]
    if not named:
        raise RegistryError("NOT_FOUND", f"aucun compte nommé « {name} » (preserie accounts list)", field="name")
    if len(named) > 1:
        numbers = ", ".join(str(a["id"]) for a in named)
        raise RegistryError("INVALID_REQUEST", f"plusieurs comptes s'appellent « {name} » (n° {numbers}) : préciser "
                            "--account", field="name")
    return named[0]


def set_password(people: SqlPeople, accounts: list[dict[str, Any]], name: str, password: str, *,
                 number: int | None = None, now: dt.datetime) -> dict[str, Any]:
    """Give the account named ``name`` (or number ``number``, which must bear that name) a new password: its
    login is its name; its sessions end. The account, or a RegistryError saying what to fix."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise RegistryError("INVALID_REQUEST", f"mot de passe : de {MIN_PASSWORD} à {MAX_PASSWORD} caractères "
                            f"(ici {len(password)})", field="password")
    if not password.strip() or password != password.strip("\r\n"):
        raise RegistryError("INVALID_REQUEST", "mot de passe : ni vide ni terminé par un saut de ligne",
                            field="password")
    account = _account(accounts, name, number)
    if account.get("revoked_at") is not None:
        raise RegistryError("ACCOUNT_REVOKED", f"compte n° {account['id']}")
    login = login_of(account["name"])
    if people.login_taken(login, account["id"]):
        raise RegistryError("ALREADY_EXISTS", f"un autre compte se connecte déjà sous « {account['name']} »",
                            field="name")
    people.set_password(account["id"], login, _hasher().hash(password), now)
    return account


def sign_in(people: SqlPeople, secret: bytes, login: str, password: str, *, now: dt.datetime,
            replacing: str | None = None) -> NewSession:
    """A new session for the person whose login and password these are; ``replacing``: the session id the browser
    had, ended (no session id survives a sign-in). A RegistryError otherwise: the same words for an unknown login
    as for a wrong password."""
    from argon2.exceptions import InvalidHashError, VerificationError

    row = people.password(login_of(login)) if 0 < len(login) <= 200 and len(password) <= MAX_PASSWORD else None
    if row is None:
        with contextlib.suppress(VerificationError):
            _hasher().verify(_decoy(), password[:MAX_PASSWORD])
        raise RegistryError("SIGN_IN_FAILED")
    if row["locked_until"] is not None and row["locked_until"] > now:
        raise RegistryError("ACCOUNT_LOCKED", _until(row["locked_until"]))
    try:
        _hasher().verify(row["hash"], password)
    except (VerificationError, InvalidHashError):
        until = people.failed(row["account_id"], at=now, limit=MAX_FAILURES, lockout=LOCKOUT)
        if until is not None:
            raise RegistryError("ACCOUNT_LOCKED", _until(until)) from None
        raise RegistryError("SIGN_IN_FAILED") from None
    if row["revoked_at"] is not None:
        raise RegistryError("ACCOUNT_REVOKED")
    if _hasher().check_needs_rehash(row["hash"]):
        people.rehash(row["account_id"], _hasher().hash(password))
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + SESSION_LENGTH
    earlier = digest(secret, replacing) if replacing and _SESSION_ID.fullmatch(replacing) else None
    people.open_session(row["account_id"], digest=digest(secret, session_id), csrf=csrf, at=now,
                        expires_at=expires, replacing=earlier)
    return NewSession(session_id, WebSession(_caller(row), csrf, expires))


def _until(moment: dt.datetime) -> str:
    from preserie.domain.as_of import PARIS

    return f"réessayer après {moment.astimezone(PARIS):%H:%M} (heure de Paris)"


def session_of(people: SqlPeople, secret: bytes, session_id: str | None, *, now: dt.datetime) -> WebSession | None:
    """The live session of this id (from the browser's cookie), or None: unknown, expired, or its account
    revoked."""
    if not session_id or not _SESSION_ID.fullmatch(session_id):
        return None
    row = people.session(digest(secret, session_id))
    if row is None or row["revoked_at"] is not None:
        return None
    if row["expires_at"] <= now:
        people.close_session(digest(secret, session_id))
        return None
    return WebSession(_caller(row), row["csrf"], row["expires_at"])


def sign_out(people: SqlPeople, secret: bytes, session_id: str | None) -> None:
    if session_id and _SESSION_ID.fullmatch(session_id):
        people.close_session(digest(secret, session_id))
