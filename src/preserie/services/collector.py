"""Use cases of the collector: workstations enrolled with their own token, and the batches of trace records they
post, each stored exactly once (decision 0004).

A batch is checked by the assessment engine's own reader (SPEC §5 step 1), stored as a segment (its bytes as
received, decompressed, the lines of another practitioner's records blanked out so that every other line keeps
its number), and recorded with its answer in one transaction; only then is it acknowledged. The batches that
arrive together are checked, flushed and recorded together (services/collector_intake.py).
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preserie.adapters.db.collector_repository import SqlCollector
from preserie.domain.access import Caller, Role, sees_practitioner
from preserie.domain.lifecycle import Status
from preserie.domain.registry import PilotRecord
from preserie.services.accounts import digest
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry

log = logging.getLogger(__name__)
TOKEN_PREFIX = "prw_"
_TOKEN = re.compile(r"prw_[A-Za-z0-9_-]{43}")
_KEY = re.compile(r"[\x20-\x7e]{1,128}")
_SEGMENT = re.compile(r"\d{8}-collector\.([0-9a-f]{32})\.jsonl")
CLOSED = (Status.DEPLOY_APPROVED, Status.DEPLOYED)  # « l'éditeur désactive alors l'envoi des traces postes »
WRONG_PRACTITIONER = "wrong_practitioner"


@dataclass(frozen=True)
class Workstation:
    id: int
    pilot_id: int
    practitioner: str


@dataclass(frozen=True)
class Answer:
    status: int  # 201 stored now, 200 a batch stored before (replayed)
    body: dict[str, Any]


# ── enrolment ─────────────────────────────────────────────────────────────────────────────────────────────
def enrol(registry: Registry, caller: Caller, key: str, ref: str, secret: bytes) -> dict[str, Any]:
    """A token for the practitioner's workstation (shown once; the registry keeps its HMAC). The workstation row
    enrolled at the installation takes it; a further one (a second or a replaced workstation) is a new row."""
    pilot = registry.writable(caller, key, (Status.RUNNING,), "inscrire un poste")
    practitioner = next((p for p in registry.repo.practitioners(pilot.id) if p.ref == ref), None)
    if practitioner is None:
        raise RegistryError("NOT_FOUND", f"aucun médecin « {ref} » dans cette présérie", field="practitioner")
    if practitioner.installed_on is None:
        raise RegistryError("TRANSITION_REFUSED", f"poste de {ref} : enregistrer d'abord son installation")
    collector = SqlCollector(registry.repo.engine)
    free = next((w["id"] for w in collector.workstations(pilot.id)
                 if w["practitioner"] == ref and w["digest"] is None), None)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with registry.repo.writing() as conn:
        if free is None:
            free = registry.repo.add_workstation(conn, pilot.id, practitioner_id=practitioner.id, phase=pilot.phase,
                                                 enrolled_at=registry.now(), enrolled_by=caller.account_id)
        collector.add_token(conn, free, digest(secret, token), registry.now())
        registry.record(conn, pilot, caller, "workstation_enrolled", detail=f"poste n° {free} de {ref}")
    return {"id": free, "practitioner": ref, "token": token}


def workstations(registry: Registry, caller: Caller, key: str) -> list[dict[str, Any]]:
    """The pilot's workstations (a CPAM: those of its zone's practitioners)."""
    pilot = registry.visible(caller, key)
    return [{"id": w["id"], "practitioner": w["practitioner"], "enrolled_at": w["enrolled_at"],
             "last_batch_at": w["last_batch_at"], "revoked": w["revoked_at"] is not None}
            for w in SqlCollector(registry.repo.engine).workstations(pilot.id) if sees_practitioner(caller, w["cpam"])]


def watch(registry: Registry, caller: Caller, key: str) -> dict[str, Any]:
    """The workstations silent for 2 working days or more (since their last batch, or their enrolment), revoked
    ones aside: what the pilot reports (issue 11)."""
    from preserie.domain.watch import SILENT_AFTER_WORKING_DAYS, silent

    live = [w for w in workstations(registry, caller, key) if not w["revoked"]]
    found = silent([(w["id"], w["practitioner"], w["last_batch_at"], w["enrolled_at"]) for w in live], registry.now())
    return {"after_working_days": SILENT_AFTER_WORKING_DAYS, "workstations": len(live),
            "silent": [{"id": s.workstation, "practitioner": s.practitioner, "last_batch_at": s.last_batch_at,
                        "working_days": s.working_days} for s in found]}


def revoke(registry: Registry, caller: Caller, key: str, workstation_id: int) -> None:
    pilot = registry.coordinated(caller, key, (Role.VENDOR, Role.CNAM), "révoquer un poste")
    collector = SqlCollector(registry.repo.engine)
    if not any(w["id"] == workstation_id for w in collector.workstations(pilot.id)):
        raise RegistryError("NOT_FOUND", f"aucun poste n° {workstation_id} dans cette présérie", field="workstation")
    with registry.repo.writing() as conn:
        if collector.revoke(conn, workstation_id, registry.now(), caller.account_id):
            registry.record(conn, pilot, caller, "workstation_revoked", detail=f"poste n° {workstation_id}")


def workstation_of(registry: Registry, secret: bytes, token: str, known: TokenCache | None = None) -> Workstation:
    """The workstation a token stands for, or a 401 saying why not (a person's token never sends traces). With
    `known`, a token seen lately is not looked up again."""
    if token.startswith("prs_"):
        raise RegistryError("WORKSTATION_TOKEN_REQUIRED")
    if not _TOKEN.fullmatch(token):
        raise RegistryError("AUTH_TOKEN_INVALID")
    hashed = digest(secret, token)
    cached = known.get(hashed) if known is not None else None
    if cached is not None:
        return cached
    found = SqlCollector(registry.repo.engine).by_digest(hashed)
    if found is None:
        raise RegistryError("AUTH_TOKEN_INVALID")
    if found["revoked_at"] is not None:
        raise RegistryError("AUTH_TOKEN_REVOKED")
    workstation = Workstation(found["id"], found["pilot_id"], found["practitioner"])
    if known is not None:
        known.put(hashed, workstation)
    return workstation


@dataclass
class TokenCache:
    """The workstations of the live tokens seen lately, by the token's HMAC, for `ttl` seconds (a batch is
    recorded only if its token is still live in the batch's own transaction: an entry here can delay the refusal
    of a token revoked meanwhile, never let its batch in). Revoking through this process forgets at once."""

    ttl: float = 60.0
    size: int = 10_000
    clock: Any = time.monotonic
    _entries: dict[str, tuple[Workstation, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, hashed: str) -> Workstation | None:
        with self._lock:
            entry = self._entries.get(hashed)
            if entry is None or entry[1] < self.clock():
                return None
            return entry[0]

    def put(self, hashed: str, workstation: Workstation) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[hashed] = (workstation, self.clock() + self.ttl)

    def forget(self, workstation_id: int) -> None:
        with self._lock:
            for hashed in [h for h, (w, _) in self._entries.items() if w.id == workstation_id]:
                del self._entries[hashed]


# ── pace ──────────────────────────────────────────────────────────────────────────────────────────────────
@dataclass
class Pace:
    """A token bucket per workstation: `rate` batches a second, `burst` at once. In memory: a restart refills."""

    rate: float
    burst: float
    clock: Any = time.monotonic
    _buckets: dict[int, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, workstation_id: int) -> int | None:
        """Take one batch's token: None, or (none left) how many whole seconds until the next (Retry-After)."""
        with self._lock:
            now = float(self.clock())
            level, then = self._buckets.get(workstation_id, (self.burst, now))
            level = min(self.burst, level + (now - then) * self.rate)
            if level < 1:
                self._buckets[workstation_id] = (level, now)
                return max(1, math.ceil((1 - level) / self.rate))
            self._buckets[workstation_id] = (level - 1, now)
            return None


# ── batches ───────────────────────────────────────────────────────────────────────────────────────────────
def check_key(key: str | None) -> str:
    if key is None or not _KEY.fullmatch(key):
        raise RegistryError("INVALID_IDEMPOTENCY_KEY")
    return key


def check_open(pilot: PilotRecord) -> None:
    """A pilot's collector is open while it runs; closed once the présérie is validated."""
    if pilot.status in CLOSED:
        raise RegistryError("TRACES_CLOSED")
    if pilot.status != Status.RUNNING:
        raise RegistryError("TRANSITION_REFUSED", "envoyer des traces : la présérie n'est pas en cours")


def blanked(body: bytes, lines: set[int]) -> bytes:
    """The batch with the given lines emptied (their line ends kept): the reader skips blank lines, and every
    other record keeps its line number."""
    if not lines:
        return body
    parts = body.split(b"\n")
    for line in lines:
        parts[line - 1] = b""
    return b"\n".join(parts)


# ── repair at start-up ────────────────────────────────────────────────────────────────────────────────────
def repair(registry: Registry, aside: Path) -> list[Path]:
    """Move aside every collector segment whose batch has no row: it was never acknowledged, so its client will
    send it again (decision 0004). Run before serving, by the one process that serves the data directory."""
    known = SqlCollector(registry.repo.engine).uuids()
    moved = []
    for path in sorted(registry.segments.root.glob("pilot=*/phase=*/*-collector.*.jsonl")):
        match = _SEGMENT.fullmatch(path.name)
        if match is None or match.group(1) in known:
            continue
        target = aside / path.parent.parent.name / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        moved.append(target)
        log.warning("lot jamais acquitté mis de côté : %s", target)
    return moved
