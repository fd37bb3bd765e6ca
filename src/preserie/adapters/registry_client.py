"""The registry service as the command line reaches it: the bilan of a pilot and its report, over HTTP (httpx).

Every failure becomes a `ServiceUnavailable` with a French message: the server's own (`{"code", "message"}`
bodies) or what went wrong on the way (no answer, connection refused, a body that is not the service's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

TOKEN_VARIABLE = "PRESERIE_TOKEN"
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 900.0  # a 10 M-record bilan is computed while the client waits


class ServiceUnavailable(Exception):
    """The service did not give what was asked; the message says why, in French."""


@dataclass(frozen=True)
class RegistryClient:
    url: str  # http(s)://host:port, without /api/v1
    token: str

    def assessment(self, pilot: str, *, as_of: str | None = None, phase: int | None = None) -> dict[str, Any]:
        """The `preserie.assessment/1` object the service computes for this pilot."""
        response = self._get(pilot, "assessment", as_of=as_of, phase=phase)
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ServiceUnavailable(f"{self.url} : la réponse n'est pas un bilan JSON (preserie.assessment/1)")
        return data

    def report(self, pilot: str, kind: str, *, as_of: str | None = None, phase: int | None = None) -> bytes:
        """The shared report: kind "html" or "pdf"."""
        return self._get(pilot, f"report.{kind}", as_of=as_of, phase=phase).content

    def _get(self, pilot: str, what: str, *, as_of: str | None, phase: int | None) -> httpx.Response:
        address = f"{self.url.rstrip('/')}/api/v1/pilots/{quote(pilot, safe='')}/{what}"
        params: dict[str, str | int] = {k: v for k, v in (("as_of", as_of), ("phase", phase)) if v is not None}
        timeout = httpx.Timeout(READ_TIMEOUT, connect=CONNECT_TIMEOUT)
        try:
            response = httpx.get(address, params=params, headers={"Authorization": f"Bearer {self.token}"},
                                 timeout=timeout)
        except httpx.ConnectError as error:
            raise ServiceUnavailable(f"registre {self.url} injoignable (connexion refusée ou adresse inconnue) : "
                                     "vérifier --server et que le service tourne (preserie serve)") from error
        except httpx.TimeoutException as error:
            raise ServiceUnavailable(f"registre {self.url} : pas de réponse dans le délai") from error
        except httpx.HTTPError as error:
            raise ServiceUnavailable(f"registre {self.url} : échange interrompu ({type(error).__name__})") from error
        if response.is_error:
            raise ServiceUnavailable(f"registre {self.url} : {_message(response)} (HTTP {response.status_code})")
        return response


def _message(response: httpx.Response) -> str:
    """The server's French message, or what the status says when the body is not the service's."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if isinstance(message, str):
        return message
    if response.status_code == 404:
        return "adresse inconnue : --server désigne-t-il bien un registre preserie ?"
    return "réponse d'erreur sans message du registre"
