"""Use cases: accounts and their tokens (`preserie accounts`), and who a request's token is.

A token is shown once, at its creation; the registry keeps only its HMAC-SHA256 under the data directory's
secret, with its expiry, and revokes it on demand. The tokens of an account stand for the party it names: a
vendor's name, a CPAM's department.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from preserie.adapters.db.repository import SqlRegistry
from preserie.domain.access import Caller, Role
from preserie.services.errors import RegistryError

TOKEN_PREFIX = "prs_"
_TOKEN = re.compile(r"prs_[A-Za-z0-9_-]{43}")  # what issue_token makes; anything else is refused before a lookup
_DEPARTMENT = re.compile(r"\d{2}|2A|2B|97\d")


@dataclass(frozen=True)
class NewAccount:
    account_id: int
    token: str
    expires_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def digest(secret: bytes, token: str) -> str:
    return hmac.new(secret, token.encode("ascii"), hashlib.sha256).hexdigest()


def create_account(repo: SqlRegistry, secret: bytes, *, role: str, name: str, vendor: str | None = None,
                   department: str | None = None, days: int = 90, now: dt.datetime | None = None) -> NewAccount:
    """A new account with its first token. A vendor's account names its vendor, a CPAM's its department."""
    try:
        kind = Role(role)
    except ValueError:
        raise RegistryError("INVALID_REQUEST", f"rôle inconnu « {role} » (attendu : "
                            f"{', '.join(r.value for r in Role if r != Role.PRACTITIONER)})", field="role") from None
    if kind == Role.PRACTITIONER:
        raise RegistryError("INVALID_REQUEST", "les comptes des médecins sont créés par leur présérie", field="role")
    if not name.strip():
        raise RegistryError("INVALID_REQUEST", "nom du compte vide", field="name")
    if (kind == Role.VENDOR) != bool(vendor and vendor.strip()):
        raise RegistryError("INVALID_REQUEST", "--vendor est requis pour un compte d'éditeur, et pour lui seul",
                            field="vendor")
    if (kind == Role.CPAM) != (department is not None):
        raise RegistryError("INVALID_REQUEST", "--cpam est requis pour un compte de CPAM, et pour lui seul",
                            field="cpam")
    if department is not None and not _DEPARTMENT.fullmatch(department):
        raise RegistryError("INVALID_REQUEST", f"département « {department} » : 2 chiffres, 2A, 2B ou 97x",
                            field="cpam")
    if not 1 <= days <= 366:
        raise RegistryError("INVALID_REQUEST", "durée de validité : de 1 à 366 jours", field="days")
    at = now or _now()
    account_id = repo.add_account(kind.value, name.strip(), vendor.strip() if vendor else None, department, at)
    token, expires = issue_token(repo, secret, account_id, days=days, now=at)
    return NewAccount(account_id, token, expires)


def issue_token(repo: SqlRegistry, secret: bytes, account_id: int, *, days: int = 90,
                now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    at = now or _now()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = at + dt.timedelta(days=days)
    repo.add_token(account_id, digest(secret, token), at, expires)
    return token, expires


def authenticate(repo: SqlRegistry, secret: bytes, token: str, *, now: dt.datetime | None = None) -> Caller:
    """The caller a token stands for, or a 401 RegistryError saying why not."""
    if token.startswith("prw_"):  # a workstation's: it only posts traces (services/collector.py)
        raise RegistryError("PERSON_TOKEN_REQUIRED")
    if not _TOKEN.fullmatch(token):
        raise RegistryError("AUTH_TOKEN_INVALID")
    found = repo.token(digest(secret, token))
    if found is None:
        raise RegistryError("AUTH_TOKEN_INVALID")
    if found["revoked_at"] is not None or found["account_revoked_at"] is not None:
        raise RegistryError("AUTH_TOKEN_REVOKED")
    if found["expires_at"] <= (now or _now()):
        raise RegistryError("AUTH_TOKEN_EXPIRED")
    return Caller(account_id=found["id"], role=Role(found["role"]), name=found["name"], vendor=found["vendor"],
                  department=found["department"])


def revoke(repo: SqlRegistry, account_id: int, *, now: dt.datetime | None = None) -> int:
    """Revoke the account: every live token (how many), its password and its sessions, at once."""
    if not any(a["id"] == account_id for a in repo.accounts()):
        raise RegistryError("NOT_FOUND", f"aucun compte n° {account_id}", field="account")
    return repo.revoke_account(account_id, now or _now())
