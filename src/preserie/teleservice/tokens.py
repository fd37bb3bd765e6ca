"""Bearer tokens standing in for the CPS card / Pro Santé Connect: HMAC-SHA256 over the professional's id, role
and expiry. Format: ``v1.<payload base64url>.<signature base64url>``; the payload is compact JSON."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass

from preserie.teleservice.catalogue import ROLES, TeleserviceError

_VERSION = "v1"
PROFESSIONAL_ID = re.compile(r"[0-9A-Za-z-]{1,32}")
# What a token is made of: the version, then two base64url parts. Checked before anything else, because the header
# comes as Latin-1 text and a character outside ASCII made hmac.compare_digest and str.encode("ascii") raise (500).
_TOKEN = re.compile(rf"{_VERSION}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Caller:
    """The authenticated professional."""

    id: str
    role: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, signed: str) -> str:
    return _b64(hmac.new(secret.encode(), signed.encode("ascii"), hashlib.sha256).digest())


def issue_token(secret: str, professional_id: str, role: str, *, ttl: int = 3600, now: float | None = None) -> str:
    """A token valid ``ttl`` seconds from ``now``."""
    if not PROFESSIONAL_ID.fullmatch(professional_id):
        raise ValueError("identifiant du professionnel : 1 à 32 lettres, chiffres ou tirets")
    if role not in ROLES:
        raise ValueError(f"rôle inconnu : {role} (attendu : {', '.join(ROLES)})")
    expiry = int((time.time() if now is None else now) + ttl)
    payload = json.dumps({"sub": professional_id, "role": role, "exp": expiry}, separators=(",", ":"))
    signed = f"{_VERSION}.{_b64(payload.encode())}"
    return f"{signed}.{_sign(secret, signed)}"


def verify_token(secret: str, token: str, *, now: float | None = None) -> Caller:
    """The caller a token names, or AUTH_TOKEN_INVALID (forged, malformed) / AUTH_TOKEN_EXPIRED."""
    if not _TOKEN.fullmatch(token):
        raise TeleserviceError("AUTH_TOKEN_INVALID", "format inattendu")
    parts = token.split(".")
    signed = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_sign(secret, signed), parts[2]):
        raise TeleserviceError("AUTH_TOKEN_INVALID", "signature incorrecte")
    try:
        claims = json.loads(_unb64(parts[1]))
        caller, expiry = Caller(str(claims["sub"]), str(claims["role"])), claims["exp"]
    except (ValueError, KeyError, TypeError) as error:
        raise TeleserviceError("AUTH_TOKEN_INVALID", "contenu illisible") from error
    if caller.role not in ROLES or not isinstance(expiry, int) or not PROFESSIONAL_ID.fullmatch(caller.id):
        raise TeleserviceError("AUTH_TOKEN_INVALID", "contenu illisible")
    if expiry <= (time.time() if now is None else now):
        raise TeleserviceError("AUTH_TOKEN_EXPIRED")
    return caller
