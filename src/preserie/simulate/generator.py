"""A seeded, streaming pilot generator: a pilot folder (SPEC §4) of any size, for demos, tests and benchmarks.

Same seed and arguments, byte-identical files. Records are produced in order of time and written in
chunks, so memory stays flat whatever `records` is. Each doctor's share of e-prescriptions rises over
the weeks; calls to the teleservice fail now and then (teleservice, network, authentication, and a
small share of software errors); the registry registers most created e-prescriptions.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path
from typing import Any

from preserie.simulate import side_files
from preserie.simulate.population import (
    TABLE,
    activity,
    adoption,
    make_workstations,
    utc_offset,
    weighted_table,
    working_days,
)
from preserie.simulate.writers import EXTENSIONS, RegistrationSink, Sink, Workstation, open_sink

DAY_SECONDS = 11 * 3600  # working hours, 8h to 19h
CLOCK: tuple[str, ...] = tuple(f"{8 + s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
                               for s in range(DAY_SECONDS))
RECORDS_PER_FILE = 1_000_000
CHUNK = 8192

# (category, weight in %); imaging and transport are never e-prescriptions (SPEC §3).
CATEGORIES: tuple[tuple[str, int], ...] = (
    ("medicines", 52), ("biology", 13), ("nursing", 8), ("physiotherapy", 8), ("medical_devices", 6),
    ("speech_therapy", 3), ("orthoptics", 2), ("podiatry", 3), ("imaging", 3), ("transport", 2),
)
OUT_OF_SCOPE = frozenset({"imaging", "transport"})
# (http_status, error_code, weight in % of failed calls, typical duration in ms)
ERRORS: tuple[tuple[int | None, str | None, int, int], ...] = (
    (503, "TS_UNAVAILABLE", 35, 1200), (500, "TS_INTERNAL_ERROR", 10, 900),
    (429, "TS_TOO_MANY_REQUESTS", 10, 150), (None, None, 20, 30000), (401, "CPS_AUTHENTICATION", 10, 300),
    (400, "INVALID_REQUEST", 7, 200), (422, "INVALID_PRESCRIPTION", 8, 250),
)
OK_STATUS = {"create": 201, "consult": 200, "search": 200}
P_SNAPSHOT = 0.015  # a step is a workstation snapshot
P_OTHER_CALL = P_SNAPSHOT + 0.092  # ... or a consult / search call; otherwise a prescription
P_CONSULT, P_OK, P_RETRY, P_REGISTERED = 0.6, 0.96, 0.7, 0.97
REJECT_CODES = ("ONS-R01", "ONS-R07", "ONS-R12")
DIRTY_KINDS = ("unparseable", "missing_ts", "duplicate", "conflict")
# Prescription ids (18 characters): two 6-character random pieces from a pool, and two triples that are
# an invertible scramble of the two base-46656 digits of a counter, so that ids are unique (up to 46656**2).
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
TRIPLES = tuple(a + b + c for a in ALPHABET for b in ALPHABET for c in ALPHABET)
POOL = 4096
SCRAMBLE = (28_835, 17_821)  # odd, not multiples of 3: coprime with 46656 = 2**6 * 3**6


class _Stream:
    """Produces the records n = 0 .. records-1 in order of time, into the sink of the current file."""

    def __init__(self, rng: random.Random, seed: int, workstations: list[Workstation], days: list[dt.date],
                 records: int, registrations: RegistrationSink) -> None:
        self.rng, self.random, self.seed = rng, rng.random, seed
        self.workstations, self.registrations = workstations, registrations
        self.prefixes = [f"{d.isoformat()}T" for d in days]
        self.offsets = [utc_offset(d) for d in days]
        self.scale = len(days) * DAY_SECONDS / records
        self.pick = activity(rng, workstations)
        self.adoption = adoption(rng, workstations, len(days))
        self.categories = weighted_table([((c, c not in OUT_OF_SCOPE), w) for c, w in CATEGORIES])
        self.errors = weighted_table([((s, c, d), w) for s, c, w, d in ERRORS])
        self.id_offsets = (rng.randrange(46656), rng.randrange(46656))
        self.pool = tuple("".join(rng.choices(ALPHABET, k=6)) for _ in range(POOL))
        self.eid = f"{seed}-"
        self.last_pid: list[str | None] = [None] * len(workstations)
        self.calls = self.snapshots = self.digital = self.registered = self.rejected = 0
        self.pid_counter = 0
        self.dirty: list[tuple[int, str]] = []  # (n, kind), in order of n
        self.dirty_lines: list[dict[str, Any]] = []

    def ts(self, n: int) -> str:
        day, second = divmod(int(n * self.scale), DAY_SECONDS)
        return self.prefixes[day] + CLOCK[second] + self.offsets[day]

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
        next_dirty = self.dirty[0][0] if self.dirty else hi
        while n < hi:
            stop = min(hi, n + CHUNK)
            while n < stop:
                if n >= next_dirty:
                    line = header_lines + (n - lo) + extra + 1
                    n, added = self._inject(sink, n, name, line)
                    extra += added
                    next_dirty = self.dirty[0][0] if self.dirty else hi
                else:
                    n = self._step(sink, n, hi)
            sink.flush()
            self.registrations.flush()
        return (hi - lo) + extra

    def _step(self, sink: Sink, n: int, hi: int) -> int:
        if n < len(self.workstations):  # every workstation describes itself when the pilot opens
            self.snapshots += 1
            sink.workstation(self.eid + str(n).zfill(12), self.ts(n), n)
            return n + 1
        u = self.random()
        w = self.pick[int(self.random() * TABLE)]
        if u < P_SNAPSHOT:
            self.snapshots += 1
            sink.workstation(self.eid + str(n).zfill(12), self.ts(n), w)
            return n + 1
        if u < P_OTHER_CALL:
            pid = self.last_pid[w]
            operation = "consult" if pid is not None and self.random() < P_CONSULT else "search"
            self._call(sink, n, w, operation, pid if operation == "consult" else None)
            return n + 1
        return self._prescription(sink, n, hi, w)

    def _call(self, sink: Sink, n: int, w: int, operation: str, pid: str | None) -> str | None:
        """One call to the teleservice; returns its ts when it succeeded."""
        self.calls += 1
        day, second = divmod(int(n * self.scale), DAY_SECONDS)
        ts = self.prefixes[day] + CLOCK[second] + self.offsets[day]
        if self.random() < P_OK:
            duration = 80 + int(self.random() * 600)
            sink.call(self.eid + str(n).zfill(12), ts, w, operation, pid, "ok", OK_STATUS[operation], None,
                      duration)
            return ts
        status, code, typical = self.errors[int(self.random() * TABLE)]
        duration = typical if status is None else typical + int(self.random() * typical)
        sink.call(self.eid + str(n).zfill(12), ts, w, operation, pid, "error", status, code, duration)
        return None

    def _prescription(self, sink: Sink, n: int, hi: int, w: int) -> int:
        random = self.random
        day, second = divmod(int(n * self.scale), DAY_SECONDS)
        category, in_scope = self.categories[int(random() * TABLE)]
        ts = self.prefixes[day] + CLOCK[second] + self.offsets[day]
        if not in_scope or random() >= self.adoption[w][day]:
            sink.prescription(self.eid + str(n).zfill(12), ts, w, category, None)
            return n + 1
        self.digital += 1
        pid = self.new_pid()
        self.last_pid[w] = pid
        sink.prescription(self.eid + str(n).zfill(12), ts, w, category, pid)
        n += 1
        while n < hi:  # the create call, retried at once after some failures
            n += 1
            answered = self._call(sink, n - 1, w, "create", pid)
            if answered is not None:
                self._register(pid, w, answered)
                break
            if random() >= P_RETRY:
                break
        return n

    def _register(self, pid: str, w: int, ts: str) -> None:
        if self.random() < P_REGISTERED:
            self.registered += 1
            self.registrations.add(pid, self.workstations[w].practitioner, ts, None)
        else:
            self.rejected += 1
            code = REJECT_CODES[int(self.random() * len(REJECT_CODES))]
            self.registrations.add(pid, self.workstations[w].practitioner, ts, code)

    def _inject(self, sink: Sink, n: int, name: str, line: int) -> tuple[int, int]:
        """At a dirty place: a clean search call (record n), then one bad record after it."""
        _, kind = self.dirty.pop(0)
        w, eid, ts = 0, self.eid + str(n).zfill(12), self.ts(n)
        duration = 100 + n % 500
        sink.call(eid, ts, w, "search", None, "ok", 200, None, duration)
        self.calls += 1
        if kind == "unparseable":
            sink.broken()
        elif kind == "missing_ts":
            w_ = self.workstations[w]
            sink.generic({"event_id": f"{self.seed}-missing-ts", "practitioner": w_.practitioner,
                          "situation": w_.situation, "workstation": w_.name,
                          "software_version": w_.software_version, "type": "call", "operation": "search",
                          "outcome": "ok", "http_status": 200})
        else:  # duplicate: the same record again; conflict: the same event_id, another duration
            other = duration + (1 if kind == "conflict" else 0)
            sink.call(eid, ts, w, "search", None, "ok", 200, None, other)
        self.dirty_lines.append({"kind": kind, "file": name, "line": line + 1, "event_id": eid})
        return n + 1, 1


def _file_plan(records: int, files: int | None, formats: tuple[str, ...]) -> list[tuple[str, str, int, int]]:
    count = files if files is not None else max(1, -(-records // RECORDS_PER_FILE))
    if count < 1 or count > records:
        raise ValueError(f"files must be between 1 and records ({records}), got {count}")
    unknown = [f for f in formats if f not in EXTENSIONS]
    if not formats or unknown:
        raise ValueError(f"formats must be among {sorted(EXTENSIONS)}, got {formats}")
    plan = []
    for k in range(count):
        fmt = formats[k % len(formats)]
        plan.append((f"traces/part-{k + 1:04d}.{EXTENSIONS[fmt]}", fmt, k * records // count,
                     (k + 1) * records // count))
    return plan


def _place_dirty(stream: _Stream, first: tuple[str, str, int, int]) -> None:
    _, _, lo, hi = first
    lo = max(lo, len(stream.workstations))
    if hi - lo < 50:
        raise ValueError("dirty=True needs at least 50 records after the opening snapshots in the first file")
    stream.dirty = [(lo + (hi - lo) * (k + 1) // 5, kind) for k, kind in enumerate(DIRTY_KINDS)]


def write_pilot(out: Path, *, seed: int = 1, practitioners: int = 8, records: int = 100_000, weeks: int = 6,
                start: dt.date = dt.date(2025, 1, 13), files: int | None = None,
                formats: tuple[str, ...] = ("jsonl",), dirty: bool = False) -> dict[str, Any]:
    """Write a pilot folder in `out` (pilot.yaml last, so that its presence means a complete folder)."""
    if records < 1 or practitioners < 1 or weeks < 1:
        raise ValueError("records, practitioners and weeks must be at least 1")
    began = time.perf_counter()
    plan = _file_plan(records, files, formats)
    (out / "traces").mkdir(parents=True, exist_ok=True)
    leftovers = sorted(p.name for p in (out / "traces").iterdir())
    if leftovers:
        raise FileExistsError(f"{out / 'traces'} is not empty ({leftovers[:3]}…): choose an empty folder")
    rng = random.Random(seed)
    cast = side_files.make_practitioners(rng, practitioners, start)
    days = working_days(start, weeks)
    workstations = make_workstations(rng, cast)
    registrations = RegistrationSink(out / "registrations.csv")
    stream = _Stream(rng, seed, workstations, days, records, registrations)
    if dirty:
        _place_dirty(stream, plan[0])
    written = {}
    for name, fmt, lo, hi in plan:
        sink = open_sink(out / name, fmt, workstations)
        written[name] = stream.fill(sink, name, lo, hi, header_lines=1 if fmt == "csv" else 0)
        sink.close()
    for _ in range(3):  # orphans: ids the registry knows but no trace mentions
        closing = f"{days[-1].isoformat()}T18:00:00{utc_offset(days[-1])}"
        registrations.add(stream.new_pid(), cast[0].id, closing, None)
    registrations.close()
    side_files.write_anomalies(out / "anomalies.csv", cast, days)
    side_files.write_survey(out / "survey.csv", rng, cast, days[-1])
    declaration = side_files.declaration(f"simulated-{seed}", cast, weeks, start)
    side_files.write_declaration(out / "pilot.yaml", declaration)
    seconds = time.perf_counter() - began
    return {"folder": str(out), "seed": seed, "records": records, "records_written": sum(written.values()),
            "files": written, "practitioners": [p.id for p in cast], "workstations": len(workstations),
            "prescriptions": records - stream.calls - stream.snapshots, "digital": stream.digital,
            "calls": stream.calls, "snapshots": stream.snapshots, "registered": stream.registered,
            "rejected": stream.rejected, "orphans": 3, "dirty": stream.dirty_lines,
            "seconds": round(seconds, 3), "records_per_second": round(records / seconds) if seconds else None}
