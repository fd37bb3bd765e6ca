"""Use cases of the collector: workstations enrolled with their own token, and the batches of trace records they
post, each stored exactly once (decision 0004).

A batch is checked by the assessment engine's own reader (SPEC §5 step 1), stored as a segment (its bytes as
received, decompressed, the lines of another practitioner's records blanked out so that every other line keeps
its number), and recorded with its answer in one transaction; only then is it acknowledged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import re
import secrets
import shutil
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from preserie.adapters.collector_batch import CheckedBatch, check_batch
from preserie.adapters.db.collector_repository import SqlCollector
from preserie.domain.access import Caller, Role, sees_practitioner
from preserie.domain.accounting import describe_rejection
from preserie.domain.lifecycle import Status
from preserie.domain.reference import Reference
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


def workstation_of(registry: Registry, secret: bytes, token: str) -> Workstation:
    """The workstation a token stands for, or a 401 saying why not (a person's token never sends traces)."""
    if token.startswith("prs_"):
        raise RegistryError("WORKSTATION_TOKEN_REQUIRED")
    found = SqlCollector(registry.repo.engine).by_digest(digest(secret, token)) if _TOKEN.fullmatch(token) else None
    if found is None:
        raise RegistryError("AUTH_TOKEN_INVALID")
    if found["revoked_at"] is not None:
        raise RegistryError("AUTH_TOKEN_REVOKED")
    return Workstation(found["id"], found["pilot_id"], found["practitioner"])


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


def receive(registry: Registry, workstation: Workstation, key: str, pilot_key: str, body: bytes,
            scratch: Path) -> Answer:
    """Store a batch once: a repeat of a stored batch gets its answer again (200, replayed)."""
    pilot = registry.repo.pilot(pilot_key) if len(pilot_key) <= 64 else None
    if pilot is None or pilot.id != workstation.pilot_id:
        raise RegistryError("PILOT_NOT_FOUND")  # another pilot's token: as if there were no pilot
    collector = SqlCollector(registry.repo.engine)
    body_sha256 = hashlib.sha256(body).hexdigest()
    earlier = _replayed(collector, workstation, key, body_sha256)
    if earlier is not None:
        return earlier
    _open(pilot)
    checked = _checked(registry, body, scratch)
    wrong = {r.line for r in checked.records if r.reason is None and r.practitioner != workstation.practitioner}
    batch_uuid = uuid.uuid4().hex
    segment = registry.segments.append(pilot.key, pilot.phase, _blanked(body, wrong),
                                       origin=f"collector.{batch_uuid}")
    try:
        return _record(registry, collector, pilot, workstation, checked, wrong, key=key, body_sha256=body_sha256,
                       batch_uuid=batch_uuid, segment=segment.name)
    except IntegrityError:  # the same key stored by a concurrent request: this one's segment goes
        segment.path.unlink(missing_ok=True)
        answer = _replayed(collector, workstation, key, body_sha256)
        if answer is None:
            raise
        return answer
    except BaseException:
        segment.path.unlink(missing_ok=True)  # never acknowledged (a crash here is repair()'s to clean)
        raise


def _replayed(collector: SqlCollector, workstation: Workstation, key: str, body_sha256: str) -> Answer | None:
    stored = collector.batch(workstation.id, key)
    if stored is None:
        return None
    if stored["body_sha256"] != body_sha256:
        raise RegistryError("IDEMPOTENCY_KEY_REUSED", f"« {key} » : lot n° {stored['id']}")
    return Answer(200, {**stored["answer"], "replayed": True})


def _open(pilot: PilotRecord) -> None:
    if pilot.status in CLOSED:
        raise RegistryError("TRACES_CLOSED")
    if pilot.status != Status.RUNNING:
        raise RegistryError("TRANSITION_REFUSED", "envoyer des traces : la présérie n'est pas en cours")


@functools.cache
def _reference() -> Reference:
    from preserie.data import load_reference

    return load_reference()


def _checked(registry: Registry, body: bytes, scratch: Path) -> CheckedBatch:
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=scratch, suffix=".jsonl") as handle:
        handle.write(body)
        handle.flush()
        checked = check_batch(Path(handle.name), _reference())
    problem = checked.unreadable
    if problem is not None:
        raise RegistryError("MALFORMED_REQUEST", f"lot : {problem.message}")
    if not checked.records:
        raise RegistryError("INVALID_REQUEST", "lot vide : aucun enregistrement")
    return checked


def _blanked(body: bytes, lines: set[int]) -> bytes:
    """The batch with the given lines emptied (their line ends kept): the reader skips blank lines, and every
    other record keeps its line number."""
    if not lines:
        return body
    parts = body.split(b"\n")
    for line in lines:
        parts[line - 1] = b""
    return b"\n".join(parts)


def _record(registry: Registry, collector: SqlCollector, pilot: PilotRecord, workstation: Workstation,
            checked: CheckedBatch, wrong: set[int], **batch: str) -> Answer:
    rejections, new, duplicated = [], [], 0
    for record in checked.records:
        if record.reason is not None:
            rejection = describe_rejection(batch["segment"], record.line, record.reason)
            rejections.append({"line": record.line, "reason": record.reason, "message": rejection.message})
        elif record.line in wrong:
            rejections.append({"line": record.line, "reason": WRONG_PRACTITIONER,
                               "message": f"enregistrement du médecin « {record.practitioner} », pas de celui du "
                                          f"poste ({workstation.practitioner}) : non gardé"})
        elif record.event is not None:
            new.append((record.event, record.content))
    now = registry.now()
    with registry.repo.writing() as conn:
        status = collector.lock_pilot(conn, pilot.id)
        if status != pilot.status.value:  # closed (or moved) while the batch was being checked
            raise RegistryError("TRACES_CLOSED" if Status(status) in CLOSED else "TRANSITION_REFUSED")
        stored = collector.stored_events(conn, pilot.id, (event for event, _ in new))
        fresh: list[tuple[str, str]] = []
        for pair in new:
            if pair in stored:
                duplicated += 1
            else:
                stored.add(pair)
                fresh.append(pair)
        collector.add_events(conn, pilot.id, fresh)
        batch_id = collector.add_batch(conn, pilot_id=pilot.id, workstation_id=workstation.id,
                                       idempotency_key=batch["key"], body_sha256=batch["body_sha256"],
                                       uuid=batch["batch_uuid"], segment=batch["segment"], phase=pilot.phase,
                                       received_at=now, answer={})
        answer = {"batch": batch_id, "records": len(checked.records),
                  "accepted": len(checked.records) - len(rejections) - duplicated, "duplicated": duplicated,
                  "rejected": len(rejections), "rejections": rejections, "segment": batch["segment"]}
        collector.set_answer(conn, batch_id, answer)
        collector.touch(conn, workstation.id, now)
    return Answer(201, answer)


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
