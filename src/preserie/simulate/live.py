"""Simulated workstations that really call a teleservice (`preserie simulate --teleservice URL`).

The pilot is the same seeded story as offline (who prescribes what, when, on which workstation), but every
create, consult and search is a real HTTP call to the sandbox (or any service of the same API), and the trace
records what the call actually got: status, error code of the answer, measured duration; no answer (timeout,
refused connection) is an error with a null status, as SPEC §5 says. Failures come from the service (its fault
profile), except those the scenario puts in the software: the broken release sends malformed requests, and the
workstation with the old system sometimes presents an expired card (token).

The software makes each prescription's id (`preserie.teleservice.ids`, as the public descriptions say the
prescriber's software does) and prints it in the QR code before any call. A create that never succeeded leaves the
prescription printed but not registered (degraded mode); the workstation registers it later, with the same id, key
and body, after its next create the service accepts: the service is back. What is still waiting when the pilot
ends was never registered, and C2 counts exactly that gap. The registrations come from the service's database,
the registry (`preserie teleservice export-registrations`).
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from preserie.domain.identifiers import check_am, check_rpps, luhn_key
from preserie.simulate.generator import P_RETRY, Stream
from preserie.simulate.population import Fleet
from preserie.simulate.scenarios import Scenario
from preserie.simulate.teleservice import P_FRAGILE_FAILURE, software_error_rates
from preserie.simulate.timeline import CLOCK_SECONDS
from preserie.simulate.writers import Sink
from preserie.teleservice.rules import cip13

P_EXPIRED_CARD = P_FRAGILE_FAILURE  # the old system's creates that fail offline fail here on an expired card
DEFERRED_PER_CREATE = 3  # printed prescriptions a workstation registers after each create the service accepts
# A refusal of the content itself (400, 409, 422) will not change if the same body is sent again: the software does
# not retry it, at once or later. A failure of the service, the network or the card (401, 408, 429, 5xx, no answer)
# may pass: those are retried.
RETRIED_STATUSES = frozenset({401, 408, 429})


def is_worth_retrying(status: int | None) -> bool:
    """
    >>> [is_worth_retrying(s) for s in (None, 401, 422, 503)]
    [True, True, False, True]
    """
    return status is None or status >= 500 or status in RETRIED_STATUSES
TOKEN_TTL = 12 * 3600
SOFTWARE_NAME = "Simulé Cabinet"  # side_files.declaration
Answer = tuple[str, int | None, str | None, int]  # outcome, http_status, error_code, duration_ms

# What a line looks like in each category: (code of the category's system or None, text, posology).
LINES: dict[str, tuple[str | None, str, dict[str, Any]]] = {
    "medicines": (cip13("340093000001"), "Paracétamol 1 g", {
        "text": "1 comprimé 3 fois par jour", "dose": 1, "unit": "comprimé", "frequency": 3, "period": 1,
        "period_unit": "d"}),
    "medical_devices": ("1314220", "Bandes de contention", {"text": "Le jour, à retirer la nuit"}),
    "biology": ("1104", "NFS, ionogramme, créatininémie", {"text": "À jeun"}),
    "nursing": ("AMI 2", "Soins infirmiers à domicile, pansement quotidien", {"text": "Tous les jours, 15 jours"}),
    "physiotherapy": (None, "Rééducation du genou, 15 séances", {"text": "3 séances par semaine"}),
    "speech_therapy": (None, "Bilan orthophonique", {"text": "Bilan puis rééducation si besoin"}),
    "orthoptics": (None, "Bilan orthoptique", {"text": "Bilan"}),
    "podiatry": (None, "Soins de pédicurie", {"text": "Une séance"}),
}


def prescriber_of(practitioner: str, structure: tuple[str, str] | None) -> dict[str, Any]:
    """Who prescribes and where, as the prescription carries it: the practitioner's RPPS (an RPPS id is one; a
    liberal doctor known by a N° AM gets one made from it, stable), and the practice's N° AM or the centre's
    FINESS.

    >>> prescriber_of("10003456786", ("finess", "750000127"))
    {'rpps': '10003456786', 'structure': {'kind': 'finess', 'id': '750000127'}}
    """
    rpps = practitioner if check_rpps(practitioner, allow_test=True).valid else _made_rpps(practitioner)
    kind, number = structure or (("am", practitioner) if check_am(practitioner, allow_test=True).valid
                                 else ("finess", "750000127"))
    return {"rpps": rpps, "structure": {"kind": kind, "id": number}}


def _made_rpps(practitioner: str) -> str:
    digits = "10" + str(int(hashlib.sha256(practitioner.encode()).hexdigest(), 16))[:8]
    return digits + luhn_key(digits)


@dataclass(frozen=True)
class LiveOptions:
    """Where the workstations call and how: the service's URL, the secret its tokens are signed with (the
    workstations' CPS cards), how long a call may take before it counts as unanswered, and the service's database
    when registrations.csv is to be exported from it (None: no registrations.csv)."""

    url: str
    secret: str
    timeout: float = 5.0
    database: str | None = None
    # A call takes at least this long (seconds): without it, a service that fails fast (an outage answering 503
    # at once) would see far more calls while down than while up, and weigh more in the pilot than its time.
    pace: float = 0.005


def patient_nir(random: Callable[[], float]) -> str:
    """A NIR of a patient, with its key (97 - number mod 97).

    >>> nir = patient_nir(lambda: 0.5)
    >>> len(nir), 97 - int(nir[:13]) % 97 == int(nir[13:])
    (15, True)
    """
    body = f"{1 + int(random() * 2)}{50 + int(random() * 50):02d}{1 + int(random() * 12):02d}75" \
           f"{int(random() * 1_000_000):06d}"
    return body + f"{97 - int(body) % 97:02d}"


class LiveTeleservice:
    """The workstations' side of the calls: one HTTP client, one card (token) per practitioner."""

    def __init__(self, options: LiveOptions, fleet: Fleet, scenario: Scenario, days: int,
                 *, transport: httpx.BaseTransport | None = None,
                 structures: dict[str, tuple[str, str]] | None = None) -> None:
        from preserie.teleservice.tokens import issue_token  # the simulated CPS cards

        self.fleet = fleet
        self.client = httpx.Client(base_url=options.url.rstrip("/"), timeout=options.timeout, transport=transport,
                                   headers={"User-Agent": "preserie-simulate"})
        self.timeout_ms, self.pace = round(options.timeout * 1000), options.pace
        doctors = sorted({w.practitioner for w in fleet.workstations})
        self.cards = {p: {"Authorization": f"Bearer {issue_token(options.secret, p, 'prescriber', ttl=TOKEN_TTL)}"}
                      for p in doctors}
        self.expired = {p: {"Authorization": "Bearer " + issue_token(options.secret, p, "prescriber", ttl=60,
                                                                    now=time.time() - 3600)} for p in doctors}
        self.software = software_error_rates(scenario, days)
        # each practitioner as their prescriptions name them: RPPS, and practice (N° AM) or centre (FINESS)
        self.prescribers = {p: prescriber_of(p, (structures or {}).get(p)) for p in doctors}

    def close(self) -> None:
        self.client.close()

    def _send(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> tuple[Answer, Any]:
        began = time.perf_counter()
        try:
            return self._exchange(began, method, path, headers, **kwargs)
        finally:
            if (rest := self.pace - (time.perf_counter() - began)) > 0:
                time.sleep(rest)

    def _exchange(self, began: float, method: str, path: str, headers: dict[str, str],
                  **kwargs: Any) -> tuple[Answer, Any]:
        try:
            response = self.client.request(method, path, headers=headers, **kwargs)
        except httpx.TimeoutException:
            return ("error", None, None, self.timeout_ms), None
        except httpx.TransportError:
            return ("error", None, None, round((time.perf_counter() - began) * 1000)), None
        duration = round((time.perf_counter() - began) * 1000)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_success:
            return ("ok", response.status_code, None, duration), body
        code = body.get("code") if isinstance(body, dict) else None
        return ("error", response.status_code, code if isinstance(code, str) else None, duration), body

    def _card(self, random: Callable[[], float], w: int, fragile: bool) -> dict[str, str]:
        practitioner = self.fleet.workstations[w].practitioner
        return self.expired[practitioner] if fragile and random() < P_EXPIRED_CARD else self.cards[practitioner]

    def draft(self, random: Callable[[], float], w: int, day: int, category: str,
              prescription_id: str | None = None) -> dict[str, Any]:
        """The body of a create, with the id the software made (a new one unless given): the same body is sent on
        every retry, immediate or deferred, so that the service can replay it under its Idempotency-Key."""
        from preserie.teleservice.ids import new_prescription_id  # the rule the prescriber's software applies

        code, text, posology = LINES[category]
        body: dict[str, Any] = {
            "id": prescription_id or new_prescription_id(), "category": category, "patient_nir": patient_nir(random),
            "prescriber": self.prescribers[self.fleet.workstations[w].practitioner],
            "lines": [{"code": code, "text": text, "quantity": 1 + int(random() * 3), "duration_days": 30,
                       "posology": posology}],
            "software": {"name": SOFTWARE_NAME, "version": self.fleet.workstations[w].software_version},
            "consents": {"dispensing_visible_to_prescriber": random() < 0.9, "dmp_deposit": random() < 0.8},
        }
        if random() < self.software["create"][day]:  # the broken release forgets the lines
            body["lines"] = []
        return body

    def send_create(self, random: Callable[[], float], w: int, key: str,
                    body: dict[str, Any]) -> tuple[Answer, str | None]:
        """Send a create; the id the service registered, when it did."""
        headers = {**self._card(random, w, w == self.fleet.fragile), "Idempotency-Key": key}
        answer, reply = self._send("POST", "/v1/prescriptions", headers, json=body)
        issued = reply.get("id") if answer[0] == "ok" and isinstance(reply, dict) else None
        return answer, issued if isinstance(issued, str) else None

    def create(self, random: Callable[[], float], w: int, day: int, category: str,
               key: str) -> tuple[Answer, str | None]:
        """Create an e-prescription under a new id; the id the service registered, when it did."""
        return self.send_create(random, w, key, self.draft(random, w, day, category))

    def consult(self, random: Callable[[], float], w: int, pid: str) -> Answer:
        return self._send("GET", f"/v1/prescriptions/{pid}", self._card(random, w, False))[0]

    def search(self, random: Callable[[], float], w: int, day: int, on: str) -> Answer:
        params = {"from": on, "to": on, "size": 20}
        if random() < self.software["search"][day]:  # the broken release swaps the bounds of the period
            params = {"from": on, "to": "2000-01-01", "size": 20}
        return self._send("GET", "/v1/prescriptions", self._card(random, w, False), params=params)[0]


class LiveStream(Stream):
    """The offline stream, whose calls go to a real service (a failed create is retried at once, as offline)."""

    def __init__(self, *args: Any, live: LiveTeleservice) -> None:
        super().__init__(*args)
        self.live = live
        # Per workstation, the printed prescriptions not yet registered: (event id, prescription id, body).
        self.unregistered: list[deque[tuple[str, str, dict[str, Any]]]] = [
            deque() for _ in self.fleet.workstations]
        self.deferred_registrations = 0

    def _call(self, sink: Sink, n: int, w: int, operation: str, pid: str | None) -> tuple[int, int] | None:
        self.calls[w] += 1
        day, quantile = self.timeline.when(n)
        ts = self.timeline.ts(n)
        if operation == "consult" and pid is not None:
            answer = self.live.consult(self.random, w, pid)
        else:
            answer = self.live.search(self.random, w, day, ts[:10])
        outcome, status, code, duration = answer
        sink.call(self.eid + str(n).zfill(12), ts, w, operation, pid, outcome, status, code, duration)
        return (day, CLOCK_SECONDS[quantile]) if outcome == "ok" else None

    def _digital(self, sink: Sink, n: int, hi: int, w: int, at: tuple[str, str, str]) -> int:
        """An e-prescription: its id made and printed, its create calls (retried at once after some failures), then
        the deferred registration of earlier ones once the service has accepted this one."""
        eid, ts, category = at
        self.digital[w] += 1
        day = self.timeline.when(n)[0]
        body = self.live.draft(self.random, w, day, category)
        pid = str(body["id"])
        self.last_pid[w] = pid
        sink.prescription(eid, ts, w, category, pid)
        n, registered, retried = self._creates(sink, n + 1, hi, w, (eid, pid, body), retries=True)
        if not registered:
            if retried:
                self.unregistered[w].append((eid, pid, body))  # degraded mode: printed, registered later
            return n
        for _ in range(min(DEFERRED_PER_CREATE, len(self.unregistered[w]))):
            if n >= hi:
                break
            waiting = self.unregistered[w].popleft()
            n, registered, retried = self._creates(sink, n, hi, w, waiting, retries=False)
            if registered:
                self.deferred_registrations += 1
            elif retried:
                self.unregistered[w].appendleft(waiting)  # down again: it waits for the next accepted create
                break
        return n

    def _creates(self, sink: Sink, n: int, hi: int, w: int, prescription: tuple[str, str, dict[str, Any]], *,
                 retries: bool) -> tuple[int, bool, bool]:
        """The create calls of one prescription from record n on, under its event id as Idempotency-Key; the next
        record, whether the service registered it, and whether its last failure is worth retrying."""
        eid, pid, body = prescription
        while n < hi:
            answer, issued = self.live.send_create(self.random, w, eid, body)
            outcome, status, code, duration = answer
            self.calls[w] += 1
            sink.call(self.eid + str(n).zfill(12), self.timeline.ts(n), w, "create", pid, outcome, status, code,
                      duration)
            n += 1
            if issued is not None:
                return n, True, False
            if not is_worth_retrying(status):
                return n, False, False
            if not retries or self.random() >= P_RETRY:
                break
        return n, False, True


class NoRegistrations:
    """Stands for registrations.csv while the workstations call a real service: its database is the registry."""

    def add(self, pid: str, practitioner: str, registered_at: str, reject_code: str | None) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def export_registrations(database: str, path: Path, since: datetime, practitioners: list[str]) -> int:
    """registrations.csv from the service's database: the prescriptions of this run's practitioners."""
    from preserie.teleservice import registrations

    with path.open("w", encoding="utf-8", newline="") as out:
        return registrations.export_registrations(database, out, since=since, practitioners=practitioners)
