"""A workstation's sender of trace batches to the collector (issue 11): what a real workstation would do.

`CollectorClient.flush` sends the spool's batches oldest first (`POST {url}/api/v1/pilots/{pilot}/traces`, the
workstation's token, gzipped JSON Lines, the batch's Idempotency-Key). Connection errors, timeouts and 5xx are
retried with exponential backoff and jitter, 429 and 503 after their Retry-After; when the next wait would go past
the batch's patience budget, the batch stays spooled, the flush stops there and the client waits that long before
sending again (new batches are spooled meanwhile). 201 and 200 (`replayed`) acknowledge the batch: its file is
deleted. 413 splits the batch in two under new keys; 409 (a key reused with another body: a bug) sets the batch
aside; 410 closes the client and its spool for good; 401, 403 and 404 raise `CollectorRefused`, in French.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from preserie.adapters.collector_spool import Batch, Spool

BATCH_RECORDS = 1_000
PATIENCE = 30.0  # seconds a batch may wait for the collector, per flush, before it is left spooled
BACKOFF_FIRST, BACKOFF_MAX = 0.2, 10.0
TIMEOUT = 10.0
REFUSED = {401: "jeton du poste refusé (révoqué ou inconnu)", 403: "ce poste n'a pas le droit d'envoyer ces traces",
           404: "présérie inconnue du collecteur, ou adresse qui n'est pas un collecteur preserie"}


class CollectorRefused(Exception):
    """The collector refuses this workstation for good (401, 403, 404); the message says why, in French."""


@dataclass
class Tally:
    """What became of the batches: acknowledged (201), replayed (200: stored earlier, its answer lost), their
    records accepted, duplicated and rejected (with the collector's reasons), the flushes that gave up on a batch
    (it stayed spooled), the batches split, set aside, dropped (410), and the attempts that failed (no answer,
    5xx, 429)."""

    acknowledged: int = 0
    replayed: int = 0
    accepted: int = 0
    duplicated: int = 0
    rejected: int = 0
    spooled: int = 0
    split: int = 0
    aside: int = 0
    dropped: int = 0
    failed_attempts: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # in French: why a batch was set aside

    def count(self, answer: dict[str, Any], replayed: bool) -> None:
        if replayed:
            self.replayed += 1
        else:
            self.acknowledged += 1
        for name in ("accepted", "duplicated", "rejected"):
            value = answer.get(name)
            setattr(self, name, getattr(self, name) + (value if isinstance(value, int) else 0))
        found = answer.get("rejections")
        if isinstance(found, list):
            self.rejections.extend(r for r in found[:100] if isinstance(r, dict))


def retry_after(response: httpx.Response, now: float) -> float | None:
    """The seconds the collector asks to wait (Retry-After: seconds or an HTTP date), or None.

    >>> retry_after(httpx.Response(429, headers={"Retry-After": "2"}), 0.0)
    2.0
    """
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


class CollectorClient:
    """One workstation's sender: its token, its spool, its tally. `http` may be shared between workstations."""

    def __init__(self, url: str, pilot: str, token: str, spool: Spool, *, http: httpx.Client | None = None,
                 patience: float = PATIENCE, rng: random.Random | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.address = f"{url.rstrip('/')}/api/v1/pilots/{quote(pilot, safe='')}/traces"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson",
                        "Content-Encoding": "gzip", "User-Agent": "preserie-workstation"}
        self.spool, self.patience = spool, patience
        self.http = http or httpx.Client(timeout=TIMEOUT)
        self.random = (rng or random.Random()).random
        self.sleep, self.clock = sleep, clock
        self.tally = Tally()
        self.not_before = 0.0  # after a flush that gave up: no sending before this moment

    @property
    def closed(self) -> bool:
        return self.spool.closed

    def add(self, lines: list[str]) -> None:
        """Spool a batch (written to disk before anything is sent), then send what the spool holds."""
        if self.spool.add(lines) is None and lines:
            self.tally.dropped += 1
        self.flush()

    def flush(self, *, force: bool = False) -> int:
        """Send the spooled batches, oldest first, until the spool is empty or the collector makes a batch wait
        past the patience budget; returns how many batches are left. `force` ignores an earlier give-up."""
        if self.closed or (not force and self.clock() < self.not_before):
            return len(self.spool.batches())
        pending = self.spool.batches()
        while pending:
            batch = pending.pop(0)
            outcome = self._send(batch)
            if outcome == "wait":
                self.tally.spooled += 1
                break
            if outcome == "closed":
                return 0
            if outcome == "split":
                pending = self.spool.batches()
        return len(self.spool.batches())

    def _send(self, batch: Batch) -> str:
        """One batch, retried within the patience budget: "done", "split", "wait" or "closed"."""
        deadline, attempt, body = self.clock() + self.patience, 0, batch.body
        while True:
            wait = self._attempt(batch, body, attempt)
            if isinstance(wait, str):
                return wait
            self.tally.failed_attempts += 1
            if self.clock() + wait > deadline:
                self.not_before = self.clock() + wait
                return "wait"
            self.sleep(wait)
            attempt += 1

    def _attempt(self, batch: Batch, body: bytes, attempt: int) -> str | float:
        """One POST: the outcome, or the seconds to wait before the next try."""
        backoff = min(BACKOFF_MAX, BACKOFF_FIRST * 2.0 ** attempt) * (0.5 + self.random() / 2)
        try:
            response = self.http.post(self.address, content=body,
                                      headers={**self.headers, "Idempotency-Key": batch.key})
        except httpx.TransportError:  # refused, reset, timed out: the collector will be there later
            return backoff
        status = response.status_code
        if status in (200, 201):
            self.tally.count(_json(response), replayed=status == 200)
            self.spool.acknowledged(batch)
            return "done"
        if status == 429 or status >= 500:
            asked = retry_after(response, time.time())
            return backoff if asked is None else asked
        if status == 410:
            self.tally.dropped += self.spool.close_for_good()
            self.tally.problems.append(f"traces désactivées par le collecteur : {_message(response)}")
            return "closed"
        if status == 413:
            halves = self.spool.split(batch)
            if halves:
                self.tally.split += 1
                return "split"
        if status in REFUSED:
            raise CollectorRefused(f"collecteur {self.address} : {REFUSED[status]} — {_message(response)} "
                                   f"(HTTP {status})")
        kept = self.spool.set_aside(batch)  # 409, a one-record 413, any other refusal: for a person to look at
        self.tally.aside += 1
        self.tally.problems.append(f"lot {batch.key} refusé (HTTP {status}, {_code(response)}) : "
                                   f"{_message(response)} ; mis de côté dans {kept}")
        return "done"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _code(response: httpx.Response) -> str:
    code = _json(response).get("code")
    return code if isinstance(code, str) else "sans code"


def _message(response: httpx.Response) -> str:
    message = _json(response).get("message")
    return message if isinstance(message, str) else "réponse sans message"


@dataclass(frozen=True)
class Enrolment:
    """A workstation enrolled by its vendor: its id in the registry, its practitioner, its own token (prw_…)."""

    id: str
    practitioner: str
    token: str


def enrol_workstation(http: httpx.Client, url: str, pilot: str, practitioner: str, vendor_token: str) -> Enrolment:
    """Enrol one workstation of `practitioner` with the vendor's token; `CollectorRefused` (French) otherwise."""
    address = (f"{url.rstrip('/')}/api/v1/pilots/{quote(pilot, safe='')}/practitioners/"
               f"{quote(practitioner, safe='')}/workstations")
    try:
        response = http.post(address, json={}, headers={"Authorization": f"Bearer {vendor_token}"})
    except httpx.TransportError as error:
        raise CollectorRefused(f"collecteur {url} injoignable pour inscrire le poste du médecin {practitioner} "
                               f"({type(error).__name__}) : vérifier --collector et que le service tourne") from error
    body = _json(response)
    if response.status_code not in (200, 201):
        raise CollectorRefused(f"collecteur {url} : inscription d'un poste du médecin {practitioner} refusée : "
                               f"{_message(response)} (HTTP {response.status_code}, {_code(response)})")
    token, ident = body.get("token"), body.get("id")
    if not isinstance(token, str) or not token:
        raise CollectorRefused(f"collecteur {url} : la réponse à l'inscription d'un poste du médecin {practitioner} "
                               "n'a pas de jeton (« token ») : est-ce bien un registre preserie ?")
    return Enrolment(str(ident), str(body.get("practitioner", practitioner)), token)
