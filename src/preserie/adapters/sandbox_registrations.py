"""The registry's extract taken from a rehearsal's sandbox over HTTP (`GET /v1/registrations` of
`preserie teleservice serve`, with a token of its `registry` role): the bytes of a registrations.csv, or a French
reason why not. The sandbox is reached only over HTTP, never imported."""

from __future__ import annotations

from collections.abc import Sequence

import httpx

TIMEOUT_S = 60.0


class SandboxUnavailable(Exception):
    """The sandbox could not be reached, or refused: the message says which, in French."""


def fetch_registrations(url: str, token: str, practitioners: Sequence[str], *,
                        transport: httpx.BaseTransport | None = None) -> bytes:
    """registrations.csv of these practitioners' prescriptions, as the sandbox's registry holds them."""
    try:
        with httpx.Client(base_url=url, timeout=TIMEOUT_S, transport=transport,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            answer = client.get("/v1/registrations", params={"practitioner": list(practitioners)})
    except httpx.HTTPError as error:
        raise SandboxUnavailable(f"bac à sable {url} injoignable ({type(error).__name__})") from error
    if answer.status_code != 200:
        try:
            said = answer.json()
            reason = f"{said.get('code')} : {said.get('message')}"
        except ValueError:
            reason = answer.text[:200]
        raise SandboxUnavailable(f"bac à sable {url} : HTTP {answer.status_code}, {reason}")
    return answer.content
