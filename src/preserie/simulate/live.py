"""Simulated workstations that really call a teleservice (`preserie simulate --teleservice URL`).

The pilot is the same seeded story as offline (who prescribes what, when, on which workstation), but every
create, consult and search is a real HTTP call to the sandbox (or any service of the same API), and the trace
records what the call actually got: status, error code of the answer, measured duration; no answer (timeout,
refused connection) is an error with a null status, as SPEC §5 says. Failures come from the service (its fault
profile), except those the scenario puts in the software: the broken release sends malformed requests, and the
workstation with the old system sometimes presents an expired card (token). An e-prescription whose create never
succeeded keeps an id the software makes itself (degraded mode): it counts as created and never as registered.
The registrations come from the service's database, the registry (`preserie teleservice export-registrations`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from preserie.simulate.generator import P_RETRY, Stream
from preserie.simulate.population import Fleet
from preserie.simulate.scenarios import Scenario
from preserie.simulate.teleservice import P_FRAGILE_FAILURE, software_error_rates
from preserie.simulate.timeline import CLOCK_SECONDS
from preserie.simulate.writers import Sink

P_EXPIRED_CARD = P_FRAGILE_FAILURE  # the old system's creates that fail offline fail here on an expired card
TOKEN_TTL = 12 * 3600
SOFTWARE_NAME = "Simulé Cabinet"  # side_files.declaration
Answer = tuple[str, int | None, str | None, int]  # outcome, http_status, error_code, duration_ms

# What a line looks like in each category: (code or None, text).
LINES: dict[str, tuple[str | None, str]] = {
    "medicines": ("3400930000000", "Paracétamol 1 g, 1 comprimé 3 fois par jour"),
    "medical_devices": ("3401060000000", "Bandes de contention"),
    "biology": (None, "NFS, ionogramme, créatininémie"),
    "nursing": (None, "Soins infirmiers à domicile, pansement quotidien"),
    "physiotherapy": (None, "Rééducation du genou, 15 séances"),
    "speech_therapy": (None, "Bilan orthophonique"),
    "orthoptics": (None, "Bilan orthoptique"),
    "podiatry": (None, "Soins de pédicurie"),
}


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
                 *, transport: httpx.BaseTransport | None = None) -> None:
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

    def create(self, random: Callable[[], float], w: int, day: int, category: str,
               key: str) -> tuple[Answer, str | None]:
        """Create an e-prescription; its id when the service issued one."""
        headers = {**self._card(random, w, w == self.fleet.fragile), "Idempotency-Key": key}
        code, text = LINES[category]
        body: dict[str, Any] = {
            "category": category, "patient_nir": patient_nir(random),
            "lines": [{"code": code, "text": text, "quantity": 1 + int(random() * 3), "duration_days": 30}],
            "software": {"name": SOFTWARE_NAME, "version": self.fleet.workstations[w].software_version},
            "consents": {"dispensing_visible_to_prescriber": random() < 0.9, "dmp_deposit": random() < 0.8},
        }
        if random() < self.software["create"][day]:  # the broken release forgets the lines
            body["lines"] = []
        answer, reply = self._send("POST", "/v1/prescriptions", headers, json=body)
        issued = reply.get("id") if answer[0] == "ok" and isinstance(reply, dict) else None
        return answer, issued if isinstance(issued, str) else None

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
        """An e-prescription: its create calls first (the id comes from the service), then its records."""
        eid, ts, category = at
        self.digital[w] += 1
        day = self.timeline.when(n)[0]
        attempts: list[tuple[int, Answer]] = []
        pid = None
        n += 1
        while n < hi:
            answer, pid = self.live.create(self.random, w, day, category, key=eid)  # one key for all retries
            attempts.append((n, answer))
            n += 1
            if pid is not None or self.random() >= P_RETRY:
                break
        if pid is None:
            pid = self.new_pid()  # degraded mode: the software numbers the prescription itself
        self.last_pid[w] = pid
        sink.prescription(eid, ts, w, category, pid)
        for k, (outcome, status, code, duration) in attempts:
            self.calls[w] += 1
            sink.call(self.eid + str(k).zfill(12), self.timeline.ts(k), w, "create", pid, outcome, status, code,
                      duration)
        return n


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
