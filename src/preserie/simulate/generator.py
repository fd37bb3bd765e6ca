"""A seeded, streaming pilot generator: a pilot folder (SPEC §4) of any size, for demos, tests and benchmarks.

Same seed and arguments, byte-identical files. Records are produced in order of time and written in
chunks, so memory stays flat whatever `records` is. The people and their habits come from `population`,
the calendar from `timeline`, the answers of the teleservice and the registry from `teleservice`, what a
scenario changes from `scenarios`; re-sent batches from `batches`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from preserie.simulate.batches import Recorder
from preserie.simulate.population import TABLE, Fleet
from preserie.simulate.teleservice import Registry, Teleservice
from preserie.simulate.timeline import CLOCK, CLOCK_SECONDS, Timeline
from preserie.simulate.writers import Registrations, Sink

CHUNK = 8192
P_SNAPSHOT = 0.015  # a step is a workstation snapshot
P_OTHER_CALL = P_SNAPSHOT + 0.092  # ... or a consult / search call; otherwise a prescription
P_CONSULT, P_RETRY = 0.6, 0.7
# Prescription ids (18 characters): two 6-character random pieces from a pool, and two triples that are
# an invertible scramble of the two base-46656 digits of a counter, so that ids are unique (up to 46656**2).
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRIPLES = tuple(a + b + c for a in ALPHABET for b in ALPHABET for c in ALPHABET)
POOL = 4096
SCRAMBLE = (28_835, 17_821)  # odd, not multiples of 3: coprime with 46656 = 2**6 * 3**6
Event = tuple[int, str, int]  # record number, kind, batch size


class Stream:
    """Produces the records n = 0 .. records-1 in order of time, into the sink of the current file."""

    def __init__(self, rng: random.Random, seed: int, fleet: Fleet, timeline: Timeline,
                 habits: tuple[list[tuple[int, ...]], list[tuple[tuple[str, bool], ...]], list[list[float]]],
                 services: tuple[Teleservice, Registry], registrations: Registrations) -> None:
        self.random, self.seed, self.timeline = rng.random, seed, timeline
        self.fleet, self.registrations = fleet, registrations
        self.picks, self.categories, self.adoption = habits
        self.teleservice, self.registry = services
        self.doctor = fleet.doctor
        self.id_offsets = (rng.randrange(46656), rng.randrange(46656))
        self.pool = tuple("".join(rng.choices(ALPHABET, k=6)) for _ in range(POOL))
        self.eid = f"{seed}-"
        count = self.opening = len(fleet.workstations)
        self.last_pid: list[str | None] = [None] * count
        # Per workstation counts of what was written (re-sent copies aside), for the summary.
        self.prescriptions, self.digital, self.calls = [0] * count, [0] * count, [0] * count
        self.snapshots, self.registered, self.rejected = [0] * count, [0] * count, [0] * count
        self.pid_counter = self.resent = 0
        self.events: list[Event] = []
        self.next_event = 0
        self.recorder = Recorder()
        self.capture_end = 0
        self.dirty_lines: list[dict[str, Any]] = []
        self.progress: Callable[[int], None] | None = None

    def schedule(self, events: list[Event]) -> None:
        self.events = sorted(self.events + events)
        self.next_event = self.events[0][0] if self.events else 1 << 62

    def new_pid(self) -> str:
        high, low = divmod(self.pid_counter, 46656)
        if high >= 46656:
            raise OverflowError("more than 46656**2 prescription ids")
        self.pid_counter += 1
        pieces = int(self.random() * POOL * POOL)
        first = (low * SCRAMBLE[0] + self.id_offsets[0]) % 46656  # low from first, then high from second
        second = (high * SCRAMBLE[1] + first + self.id_offsets[1]) % 46656
        return self.pool[pieces // POOL] + TRIPLES[first] + self.pool[pieces % POOL] + TRIPLES[second]

    def fill(self, sink: Sink, name: str, lo: int, hi: int, header_lines: int) -> int:
        """Write records lo .. hi-1 (plus any dirty ones placed there); returns the lines written."""
        n, extra = lo, 0
        while n < hi:
            began, stop = n, min(hi, n + CHUNK)
            while n < stop:
                if n >= self.next_event:
                    n, added = self._event(sink, n, hi, name, header_lines + (n - lo) + extra + 1)
                    extra += added
                elif n < self.capture_end:
                    n = self._step(self.recorder, n, hi)
                else:
                    n = self._step(sink, n, hi)
            sink.flush()
            self.registrations.flush()
            if self.progress is not None:
                self.progress(n - began)
        return (hi - lo) + extra

    def _event(self, sink: Sink, n: int, hi: int, name: str, line: int) -> tuple[int, int]:
        _, kind, size = self.events.pop(0)
        self.next_event = self.events[0][0] if self.events else 1 << 62
        if kind == "capture":
            self.recorder.sink, self.capture_end = sink, n + size
            return n, 0
        if kind == "replay":
            count = self.recorder.replay(sink, hi - n)
            self.resent += count
            return n + count, 0
        return self._inject(sink, n, kind, name, line)

    def _step(self, sink: Sink, n: int, hi: int) -> int:
        eid = self.eid + str(n).zfill(12)
        if n <= self.opening:  # every workstation describes itself, then the first doctor launches the pilot
            if n == self.opening:
                self.prescriptions[0] += 1
                return self._digital(sink, n, hi, 0, (eid, self.timeline.ts(n), "medicines"))
            self.snapshots[n] += 1
            sink.workstation(eid, self.timeline.ts(n), n)
            return n + 1
        day, quantile = self.timeline.when(n)
        ts = self.timeline.prefixes[day] + CLOCK[quantile] + self.timeline.offsets[day]
        u = self.random()
        w = self.picks[self.timeline.weekdays[day]][int(self.random() * TABLE)]
        if u < P_SNAPSHOT:
            self.snapshots[w] += 1
            sink.workstation(eid, ts, w)
            return n + 1
        if u < P_OTHER_CALL:
            pid = self.last_pid[w]
            operation = "consult" if pid is not None and self.random() < P_CONSULT else "search"
            self._call(sink, n, w, operation, pid if operation == "consult" else None)
            return n + 1
        return self._prescription(sink, n, hi, w, (day, eid, ts))

    def _call(self, sink: Sink, n: int, w: int, operation: str, pid: str | None) -> tuple[int, int] | None:
        """One call to the teleservice; returns its (day, second of the day) when it succeeded."""
        self.calls[w] += 1
        day, quantile = self.timeline.when(n)
        second = CLOCK_SECONDS[quantile]
        outcome, status, code, duration = self.teleservice.answer(self.random, w, operation, day, second)
        ts = self.timeline.prefixes[day] + CLOCK[quantile] + self.timeline.offsets[day]
        sink.call(self.eid + str(n).zfill(12), ts, w, operation, pid, outcome, status, code, duration)
        return (day, second) if outcome == "ok" else None

    def _prescription(self, sink: Sink, n: int, hi: int, w: int, at: tuple[int, str, str]) -> int:
        day, eid, ts = at
        category, in_scope = self.categories[w][int(self.random() * TABLE)]
        self.prescriptions[w] += 1
        if not in_scope or self.random() >= self.adoption[self.doctor[w]][day]:
            sink.prescription(eid, ts, w, category, None)
            return n + 1
        return self._digital(sink, n, hi, w, (eid, ts, category))

    def _digital(self, sink: Sink, n: int, hi: int, w: int, at: tuple[str, str, str]) -> int:
        """An e-prescription and its create call, retried at once after some failures."""
        eid, ts, category = at
        self.digital[w] += 1
        pid = self.new_pid()
        self.last_pid[w] = pid
        sink.prescription(eid, ts, w, category, pid)
        n += 1
        while n < hi:
            n += 1
            answered = self._call(sink, n - 1, w, "create", pid)
            if answered is not None:
                self._register(pid, w, answered)
                break
            if self.random() >= P_RETRY:
                break
        return n

    def _register(self, pid: str, w: int, answered: tuple[int, int]) -> None:
        record = self.registry.record(self.random)
        if record is None:  # the registry never heard of it
            return
        delay, code = record
        (self.registered if code is None else self.rejected)[w] += 1
        day, second = answered
        self.registrations.add(pid, self.fleet.workstations[w].practitioner, self.timeline.at(day, second + delay),
                               code)

    def _inject(self, sink: Sink, n: int, kind: str, name: str, line: int) -> tuple[int, int]:
        """At a dirty place: a clean search call (record n), then one bad record after it."""
        w, eid, ts = 0, self.eid + str(n).zfill(12), self.timeline.ts(n)
        duration = 100 + n % 500
        sink.call(eid, ts, w, "search", None, "ok", 200, None, duration)
        self.calls[w] += 1
        if kind == "unparseable":
            sink.broken()
        elif kind == "missing_ts":
            w_ = self.fleet.workstations[w]
            sink.generic({"event_id": f"{self.seed}-missing-ts", "practitioner": w_.practitioner,
                          "situation": w_.situation, "workstation": w_.name,
                          "software_version": w_.software_version, "type": "call", "operation": "search",
                          "outcome": "ok", "http_status": 200})
        else:  # duplicate: the same record again; conflict: the same event_id, another duration
            other = duration + (1 if kind == "conflict" else 0)
            sink.call(eid, ts, w, "search", None, "ok", 200, None, other)
        self.dirty_lines.append({"kind": kind, "file": name, "line": line + 1, "event_id": eid})
        return n + 1, 1

    def totals(self) -> dict[str, int]:
        """What the assessment will use (records of workstations in their doctor's declared situation, each
        once), and the records of the other situation."""
        declared = self.fleet.declared
        tally = {"prescriptions": self.prescriptions, "digital": self.digital, "calls": self.calls,
                 "snapshots": self.snapshots, "registered": self.registered, "rejected": self.rejected}
        found = {k: sum(v for v, d in zip(values, declared, strict=True) if d) for k, values in tally.items()}
        lines = (self.prescriptions, self.calls, self.snapshots)
        found["other_situation"] = sum(values[w] for values in lines for w, d in enumerate(declared) if not d)
        found["duplicates"] = self.resent
        return found
