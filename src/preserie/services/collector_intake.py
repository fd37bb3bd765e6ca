"""The collector's intake: the batches posted together are stored together (group commit, decision 0004).

Check threads (`checks`, one a core in the server) and one store thread, so that the checks of groups overlap each
other and the disk waits of the group before:
  - a check: the batches waiting (at most MAX_GROUP_BATCHES, MAX_GROUP_BYTES; lingering a little for more while
    another group is being checked), replays answered at once, each other one written to its segment's temporary
    file, then all read in one pass of the engine (step 1, the folder's own reader; in a check process of its own in
    the server, adapters/check_process.py); a batch another's lines are blanked out of is written again;
  - the store, group after group in the order they were taken (their tickets): the group's segments flushed to
    disk together and named, then one transaction records every batch of the group (the pilot's status, the tokens
    and the keys checked again inside it, its events indexed), and only after its commit is each batch answered.
A group never holds two batches of one (workstation, key): the second waits for the next group, where it is a
replay (two groups checked at once may each hold one: the later one's transaction finds the earlier's row).
A batch refused inside the transaction (pilot closed, token revoked, key stored meanwhile) loses its
segment; a crash between the segments and the commit leaves segments without rows, which the start-up repair
moves aside (services/collector.py).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import threading
import time
import uuid
from collections import deque
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from preserie.adapters.check_process import CheckProcess, CheckUnavailable
from preserie.adapters.collector_batch import CheckedBatch, check_batches
from preserie.adapters.db.collector_repository import LEGACY_TS, SqlCollector, legacy_content
from preserie.adapters.trace_segments import StagedSegment
from preserie.domain.accounting import describe_rejection
from preserie.domain.lifecycle import Status
from preserie.domain.reference import Reference
from preserie.domain.registry import PilotRecord
from preserie.services.collector import CLOSED, WRONG_PRACTITIONER, Answer, Workstation, blanked, check_open
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry

log = logging.getLogger(__name__)
MAX_GROUP_BATCHES = 64
MAX_GROUP_BYTES = 32 * 1024 * 1024  # decompressed: the engine's pass over them stays within its memory
# A check thread finding fewer batches waiting while another group is being checked lingers up to LINGER_SECONDS for
# GATHER_BATCHES: each pass of the engine costs some 20 ms however small, and passes of one or two batches kept the
# groups small at the next turn as well.
GATHER_BATCHES = 8
LINGER_SECONDS = 0.02
TRANSACTION_ATTEMPTS = 2  # a unique key written by another process meanwhile: once more, it is then a replay


@dataclass(eq=False)
class Submission:
    workstation: Workstation
    key: str
    pilot_key: str
    body: bytes
    future: Future[Answer] = field(default_factory=Future)

    @property
    def pair(self) -> tuple[int, str]:
        return self.workstation.id, self.key

    def answer(self, answer: Answer) -> None:
        with contextlib.suppress(InvalidStateError):  # its request was given up (the client went away)
            self.future.set_result(answer)

    def refuse(self, error: BaseException) -> None:
        with contextlib.suppress(InvalidStateError):
            self.future.set_exception(error)


@dataclass(eq=False)
class Prepared:
    """A batch checked and written to its segment's temporary file: what the store records."""

    submission: Submission
    pilot: PilotRecord
    body_sha256: str
    uuid: str
    staged: StagedSegment
    checked: CheckedBatch
    rejections: list[dict[str, Any]]


@functools.cache
def _reference() -> Reference:
    from preserie.data import load_reference

    return load_reference()


class Intake:
    """The batches submitted, checked and stored by groups; `submit` gives each one's answer as a future."""

    def __init__(self, registry: Registry, *, max_batches: int = MAX_GROUP_BATCHES,
                 max_bytes: int = MAX_GROUP_BYTES, checks: int = 1, check_process: bool = False) -> None:
        """`checks`: groups checked at once (one thread each); `check_process`: each thread's engine in a process
        of its own (the server's, adapters/check_process.py), else in this one."""
        self.registry, self.max_batches, self.max_bytes = registry, max_batches, max_bytes
        self.checks, self.check_process = checks, check_process
        self._check_processes: list[CheckProcess] = []
        self.collector = SqlCollector(registry.repo.engine)
        self._waiting: deque[Submission] = deque()
        self._arrived = threading.Condition()
        self._tickets = itertools.count()  # each group's place in the order of taking, which is the order of storing
        self._ready: dict[int, list[Prepared]] = {}  # checked groups by ticket, until the store takes them
        self._handed = threading.Condition()
        self._checks_done = 0
        self._threads: list[threading.Thread] = []
        self._closing = False
        self._checking = 0  # groups being checked
        self._legacy: dict[int, bool] = {}  # pilot id: its index holds rows of before migration 0006

    def submit(self, workstation: Workstation, key: str, pilot_key: str, body: bytes) -> Future[Answer]:
        submission = Submission(workstation, key, pilot_key, body)
        with self._arrived:
            if self._closing:
                raise RegistryError("DATABASE_UNAVAILABLE", "service en cours d'arrêt : réessayer")
            if not self._threads:
                self._check_processes = [CheckProcess() for _ in range(self.checks)] if self.check_process else []
                self._threads = [threading.Thread(target=self._check_loop, args=(n,), name=f"collector-check-{n}",
                                                  daemon=True) for n in range(self.checks)]
                self._threads.append(threading.Thread(target=self._store_loop, name="collector-store", daemon=True))
                for thread in self._threads:
                    thread.start()
            self._waiting.append(submission)
            self._arrived.notify()
        return submission.future

    def close(self, timeout: float = 60) -> None:
        """Store what was submitted, then stop the threads."""
        with self._arrived:
            self._closing = True
            self._arrived.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        for process in self._check_processes:
            process.close()

    # ── the check ─────────────────────────────────────────────────────────────────────────────────────────
    def _take(self) -> tuple[int, list[Submission]] | None:
        """The next group and its ticket: what waits, in order of arrival, within the bounds; a second batch of one
        (workstation, key) waits for the next group. None once closing with nothing left."""
        with self._arrived:
            lingered = None
            while True:
                while not self._waiting:
                    if self._closing:
                        return None
                    self._arrived.wait()
                lingered = lingered or time.monotonic() + LINGER_SECONDS
                if (len(self._waiting) >= GATHER_BATCHES or not self._checking or self._closing
                        or (left := lingered - time.monotonic()) <= 0):
                    break
                self._arrived.wait(left)  # another thread may take what waits meanwhile: then wait again
            self._checking += 1
            group: list[Submission] = []
            pairs: set[tuple[int, str]] = set()
            size, later = 0, deque[Submission]()
            while self._waiting and len(group) < self.max_batches:
                if group and size + len(self._waiting[0].body) > self.max_bytes:
                    break
                submission = self._waiting.popleft()
                if submission.pair in pairs:
                    later.append(submission)
                    continue
                group.append(submission)
                pairs.add(submission.pair)
                size += len(submission.body)
            self._waiting.extendleft(reversed(later))
            return next(self._tickets), group

    def _check_loop(self, n: int) -> None:
        check = self._check_processes[n] if self._check_processes else None
        while (taken := self._take()) is not None:
            ticket, group = taken
            prepared: list[Prepared] = []
            try:
                prepared = self._prepare(group, check)
            except CheckUnavailable as error:  # the check's process died: every batch of the group, retried
                log.warning("lots du collecteur non vérifiés : %s", error)
                for submission in group:
                    submission.refuse(RegistryError("SERVICE_UNAVAILABLE", "vérification des lots interrompue"))
            except BaseException as error:  # the engine or the database failed: every batch of the group
                log.exception("lots du collecteur non vérifiés")
                for submission in group:
                    submission.refuse(error)
            finally:
                with self._arrived:
                    self._checking -= 1
            with self._handed:  # handed to the store in its turn (even empty: the next ticket waits for it)
                self._ready[ticket] = prepared
                self._handed.notify_all()
                while len(self._ready) >= self.checks:  # never more checked ahead of the store than checkers
                    self._handed.wait()
        with self._handed:
            self._checks_done += 1
            self._handed.notify_all()

    def _prepare(self, group: list[Submission], check: CheckProcess | None) -> list[Prepared]:
        """Answer what can be at once (errors, replays); check and stage the others."""
        pilots = {key: self.registry.repo.pilot(key) if len(key) <= 64 else None
                  for key in {s.pilot_key for s in group}}
        found: list[tuple[Submission, PilotRecord]] = []
        for submission in group:
            pilot = pilots[submission.pilot_key]
            if pilot is None or pilot.id != submission.workstation.pilot_id:
                submission.refuse(RegistryError("PILOT_NOT_FOUND"))  # another pilot's token: as if there were none
            else:
                found.append((submission, pilot))
        hashes = {id(s): hashlib.sha256(s.body).hexdigest() for s, _ in found}
        stored = self.collector.batches(None, [s.pair for s, _ in found])
        staged: list[tuple[Submission, PilotRecord, str, StagedSegment]] = []
        try:
            for submission, pilot in found:
                if _replayed(submission, stored.get(submission.pair), hashes[id(submission)]):
                    continue
                try:
                    check_open(pilot)
                except RegistryError as error:
                    submission.refuse(error)
                    continue
                batch_uuid = uuid.uuid4().hex
                staged.append((submission, pilot, batch_uuid, self.registry.segments.stage(
                    pilot.key, pilot.phase, submission.body, origin=f"collector.{batch_uuid}")))
            legacy = [n for n, (_, pilot, _, _) in enumerate(staged) if self._is_legacy(pilot.id)]
            checked = (check or check_batches)([(segment.trace_file, submission.workstation.practitioner)
                                                for submission, _, _, segment in staged], _reference(), legacy)
        except BaseException:
            self.registry.segments.discard([segment for *_, segment in staged])
            raise
        prepared = []
        for (submission, pilot, batch_uuid, segment), batch in zip(staged, checked, strict=True):
            problem = batch.unreadable
            if problem is not None or not batch.records:
                self.registry.segments.discard([segment])
                submission.refuse(RegistryError("MALFORMED_REQUEST", f"lot : {problem.message}") if problem
                                  else RegistryError("INVALID_REQUEST", "lot vide : aucun enregistrement"))
                continue
            if batch.foreign:
                self.registry.segments.rewrite(segment, blanked(submission.body, {line for line, _ in batch.foreign}))
            prepared.append(Prepared(submission, pilot, hashes[id(submission)], batch_uuid, segment, batch,
                                     _rejections(batch, submission.workstation)))
        return prepared

    # ── the store ─────────────────────────────────────────────────────────────────────────────────────────
    def _store_loop(self) -> None:
        for ticket in itertools.count():
            with self._handed:
                while ticket not in self._ready:
                    if self._checks_done == self.checks:
                        return  # every check thread is done, and every group they took is stored
                    self._handed.wait()
                group = self._ready.pop(ticket)
                self._handed.notify_all()
            if not group:
                continue
            try:
                self._store(group)
            except BaseException as error:  # the disk or the database failed: nothing of the group is kept
                log.warning("lots du collecteur non enregistrés : %s", type(error).__name__)
                for prepared in group:
                    prepared.submission.refuse(error)

    def _store(self, group: list[Prepared]) -> None:
        published = dict(zip((id(p) for p in group), self.registry.segments.publish([p.staged for p in group]),
                             strict=True))
        outcomes: dict[int, Answer | RegistryError] = {}
        try:
            for attempt in range(TRANSACTION_ATTEMPTS):
                try:
                    with self.registry.repo.writing() as conn:
                        outcomes = self._record(conn, group, {k: s.name for k, s in published.items()})
                    break
                except IntegrityError:
                    if attempt + 1 == TRANSACTION_ATTEMPTS:
                        raise
        except BaseException:
            for segment in published.values():  # never acknowledged (a crash before this is the repair's)
                segment.path.unlink(missing_ok=True)
            raise
        for prepared in group:
            outcome = outcomes[id(prepared)]
            if isinstance(outcome, Answer) and outcome.status == 201:
                prepared.submission.answer(outcome)
                continue
            published[id(prepared)].path.unlink(missing_ok=True)  # refused, or another's replay: not kept
            if isinstance(outcome, Answer):
                prepared.submission.answer(outcome)
            else:
                prepared.submission.refuse(outcome)

    def _record(self, conn: Connection, group: list[Prepared], segments: dict[int, str]
                ) -> dict[int, Answer | RegistryError]:
        """Record the group's batches in the transaction of `conn`: each one's answer, or why it is refused."""
        outcomes: dict[int, Answer | RegistryError] = {}
        status = {pilot_id: self.collector.lock_pilot(conn, pilot_id)  # in one order: no deadlock with another
                  for pilot_id in sorted({p.pilot.id for p in group})}
        revoked = self.collector.revoked(conn, {p.submission.workstation.id for p in group})
        stored = self.collector.batches(conn, [p.submission.pair for p in group])
        now, touched = self.registry.now(), set()
        for prepared in group:
            submission, pilot = prepared.submission, prepared.pilot
            if status[pilot.id] != pilot.status.value:  # closed (or moved) while the batch was being checked
                outcomes[id(prepared)] = RegistryError("TRACES_CLOSED" if Status(status[pilot.id]) in CLOSED
                                                       else "TRANSITION_REFUSED")
                continue
            if submission.workstation.id in revoked:
                outcomes[id(prepared)] = RegistryError("AUTH_TOKEN_REVOKED")
                continue
            earlier = stored.get(submission.pair)
            if earlier is not None:  # stored meanwhile (a retry of a batch of the group before): its replay
                try:
                    outcomes[id(prepared)] = _replay(submission, earlier, prepared.body_sha256)
                except RegistryError as error:
                    outcomes[id(prepared)] = error
                continue
            duplicated = prepared.checked.events - self._index(conn, pilot.id, prepared.checked)
            answer = {"records": prepared.checked.records,
                      "accepted": prepared.checked.records - len(prepared.rejections) - duplicated,
                      "duplicated": duplicated, "rejected": len(prepared.rejections),
                      "rejections": prepared.rejections, "segment": segments[id(prepared)]}
            batch_id = self.collector.add_batch(
                conn, pilot_id=pilot.id, workstation_id=submission.workstation.id, idempotency_key=submission.key,
                body_sha256=prepared.body_sha256, uuid=prepared.uuid, segment=segments[id(prepared)],
                phase=pilot.phase, received_at=now, answer=answer)
            outcomes[id(prepared)] = Answer(201, {"batch": batch_id, **answer})
            touched.add(submission.workstation.id)
        for workstation_id in sorted(touched):
            self.collector.touch(conn, workstation_id, now)
        return outcomes

    def _is_legacy(self, pilot_id: int) -> bool:
        """Whether the pilot's index holds rows of before migration 0006 (asked once per pilot and process: no
        such row is written since)."""
        if pilot_id not in self._legacy:
            with self.registry.repo.engine.connect() as conn:
                self._legacy[pilot_id] = self.collector.has_legacy_keys(conn, pilot_id)
        return self._legacy[pilot_id]

    def _index(self, conn: Connection, pilot_id: int, checked: CheckedBatch) -> int:
        """Index the batch's events (CheckedBatch.keys); how many were not indexed yet (by an earlier batch, or
        earlier in this one)."""
        keys = checked.keys
        if checked.legacy_contents:  # rows of before 0006: an event of its second (or of none), its old content
            old = self.collector.legacy_keys(conn, pilot_id, keys)
            new = [(second, event, content) for (second, event, content), before
                   in zip(checked.key_triples(), checked.legacy_contents, strict=True)
                   if (second, event, legacy_content(before)) not in old
                   and (LEGACY_TS, event, legacy_content(before)) not in old]
            keys = [n for key in new for n in key]
        return self.collector.add_keys(conn, pilot_id, keys)


def _replayed(submission: Submission, stored: Any, body_sha256: str) -> bool:
    """Answer a batch already stored (200, replayed; 409 for another body under its key): True if answered."""
    if stored is None:
        return False
    try:
        submission.answer(_replay(submission, stored, body_sha256))
    except RegistryError as error:
        submission.refuse(error)
    return True


def _replay(submission: Submission, stored: Any, body_sha256: str) -> Answer:
    if stored.body_sha256 != body_sha256:
        raise RegistryError("IDEMPOTENCY_KEY_REUSED", f"« {submission.key} » : lot n° {stored.id}")
    return Answer(200, {"batch": stored.id, **stored.answer, "replayed": True})


def _rejections(batch: CheckedBatch, workstation: Workstation) -> list[dict[str, Any]]:
    """The answer's rejections, in line order: step 1's, then another practitioner's records (not kept)."""
    found = [(line, {"line": line, "reason": reason, "message": describe_rejection("", line, reason).message})
             for line, reason in batch.rejected]
    found += [(line, {"line": line, "reason": WRONG_PRACTITIONER,
                      "message": f"enregistrement du médecin « {practitioner} », pas de celui du poste "
                                 f"({workstation.practitioner}) : non gardé"}) for line, practitioner in batch.foreign]
    return [rejection for _, rejection in sorted(found, key=lambda pair: pair[0])]
