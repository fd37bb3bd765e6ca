"""The sandbox's storage of prescriptions, SQLite by default, PostgreSQL from a ``postgresql+psycopg`` URL: its
tables and statements are tables.py's, its engine and migrations schema.py's, the journal journal.py's and the rules
it applies rules.py's; this module reads and writes the rows.

Writes that read first (dispensing) lock the prescription row (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite) so that two concurrent calls cannot dispense the same quantity twice. A create with an idempotency key
claims the key in the same transaction as the prescription: of concurrent retries exactly one inserts, the others
hit the key's primary key and replay the first result.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from preserie.teleservice.catalogue import TeleserviceError
from preserie.teleservice.journal import JournalWriter
from preserie.teleservice.records import (
    CANCELLED,
    EXPIRED,
    ISSUED,
    OPEN_STATUSES,
    DispensationRecord,
    JournalEntry,
    LineRecord,
    NewPrescription,
    PrescriptionRecord,
    SearchQuery,
)
from preserie.teleservice.rows import aware, line_record, line_rows, prescription_record, prescription_row
from preserie.teleservice.rules import check_cancel, check_content, status_after_dispensing, status_at, status_of
from preserie.teleservice.schema import make_engine, migrate
from preserie.teleservice.tables import REGISTERED, REJECTED, statements, tables

log = logging.getLogger(__name__)
T = TypeVar("T")


UNDISPENSED = (ISSUED, CANCELLED)  # statuses of prescriptions without any dispensing: their rows are not read


def request_hash(canonical_body: str) -> str:
    return hashlib.sha256(canonical_body.encode()).hexdigest()


class SqlPrescriptionStore:
    """Prescriptions, lines, dispensations, idempotency keys and the journal, in one SQL database."""

    def __init__(self, url: str, *, table_prefix: str = "") -> None:
        self.engine = make_engine(url, application_name=f"preserie-teleservice {table_prefix}".rstrip())
        # Reads without BEGIN and ROLLBACK on PostgreSQL: each statement of READ COMMITTED had its own snapshot anyway.
        postgres = self.engine.dialect.name == "postgresql"
        self.reader = self.engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else self.engine
        self.prefix = table_prefix
        self.metadata, self.t = tables(table_prefix)
        self._q = statements(self.t, self.engine.dialect.name)
        self.journal_writer = JournalWriter(self.engine, self.t["journal"])

    def create_tables(self) -> None:
        """Bring the database to the current schema (`migrate`)."""
        migrate(self.engine, self.prefix)

    def drop_tables(self) -> None:
        self.metadata.drop_all(self.engine)
        with self.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{self.prefix}alembic_version"')

    def close(self) -> None:
        try:
            self.stop_journal_writer()
        except Exception:
            log.exception("journal non écrit à la fermeture : %d entrées perdues", self.journal_writer.pending)
        self.engine.dispose()

    def _read(self, work: Callable[[Connection], T]) -> T:
        """``work`` on a reading connection. A connection the database dropped (a restart, an administrator's
        pg_terminate_backend) is not pinged before use: its failure renews the pool and the read runs once more,
        as reading twice changes nothing. A write is not run again: it answers 503, and its client retries it with
        its Idempotency-Key."""
        try:
            with self.reader.connect() as conn:
                return work(conn)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.warning("connexion à la base perdue (%s) : lecture reprise sur une nouvelle", type(error.orig).__name__)
        with self.reader.connect() as conn:
            return work(conn)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                yield conn

    def create(self, draft: NewPrescription, *, today: date, key: str | None = None, body_hash: str = "",
               registry: Callable[[str], str | None] | None = None) -> tuple[str, bool]:
        """Insert a prescription under the id its software made, once its content passes the rules
        (rules.check_content, ``today`` the day in Paris); return that id and whether it is the replay of an earlier
        call with ``key``. ``registry`` gives the reject code of a new id, or None when the registry registers it.
        An id already stored is PRESCRIPTION_ID_TAKEN, and the key is not claimed.

        The key is not looked up first: most keys are new. It is claimed in the transaction that inserts the
        prescription; a retry finds it claimed, inserts nothing, and replays the earlier answer."""
        dates = check_content(draft, today)
        prescription_id, now = draft.id, datetime.now(UTC)
        replayed = False
        with self._write() as conn:
            if key is not None:
                replayed = conn.execute(self._q["claim_key"], {
                    "caller_id": draft.prescriber_id, "key": key, "request_hash": body_hash,
                    "prescription_id": prescription_id, "created_at": now}).first() is None
            if not replayed:
                reject_code = registry(prescription_id) if registry else None
                status = status_of([(line.quantity, 0) for line in draft.lines])
                row = prescription_row(draft, now, status, dates,
                                       (REGISTERED if reject_code is None else REJECTED, reject_code))
                if conn.execute(self._q["claim_prescription_id"], row).first() is None:
                    raise TeleserviceError("PRESCRIPTION_ID_TAKEN")  # in the transaction: the key's claim rolls back
                conn.execute(self._q["insert_lines"], line_rows(draft))
        if key is None or not replayed:
            return prescription_id, False
        earlier = self._replay(draft.prescriber_id, key, body_hash)
        if earlier is None:  # the claim met a committed key, which the replay then reads: not reachable
            raise RuntimeError("clé d'idempotence déjà revendiquée mais introuvable")
        return earlier, True

    def _replay(self, caller_id: str, key: str, body_hash: str) -> str | None:
        row = self._read(lambda conn: conn.execute(self._q["replay"], {"caller_id": caller_id, "key": key}).first())
        if row is None:
            return None
        if row.request_hash != body_hash:
            raise TeleserviceError("IDEMPOTENCY_KEY_REUSED")
        return str(row.prescription_id)

    def ping(self) -> None:
        """One ``SELECT 1`` (the health probe)."""
        self._read(lambda conn: conn.execute(self._q["one"]).scalar_one())

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        found = self._read(lambda conn: self._records(conn, [prescription_id]))
        return found[0] if found else None

    def _records(self, conn: Connection, ids: list[str]) -> list[PrescriptionRecord]:
        """The prescriptions of ``ids`` that exist, in that order: one query for them and their lines, and one for
        the dispensations of those no longer ``issued`` (a dispensing gives at least one unit, so it always
        changes the status, in the same transaction)."""
        if not ids:
            return []
        rows = conn.execute(self._q["records"], {"ids": ids}).all()
        heads: dict[str, Any] = {}
        their_lines: dict[str, list[LineRecord]] = defaultdict(list)
        for r in rows:
            heads.setdefault(r.id, r)
            if r.number is not None:
                their_lines[r.id].append(line_record(r))
        given = self._dispensations(conn, [i for i, row in heads.items() if row.status not in UNDISPENSED])
        return [prescription_record(row, tuple(their_lines[i]), given.get(i, ()))
                for i in ids if (row := heads.get(i)) is not None]

    def _dispensations(self, conn: Connection, ids: list[str]) -> dict[str, tuple[DispensationRecord, ...]]:
        if not ids:
            return {}
        given = conn.execute(self._q["dispensations"], {"ids": ids}).all()
        found: dict[str, dict[int, DispensationRecord]] = defaultdict(dict)
        for g in given:
            earlier = found[g.prescription_id].get(g.id)
            done = earlier.lines if earlier else ()
            found[g.prescription_id][g.id] = DispensationRecord(
                g.id, g.dispenser_id, g.dispenser_role, aware(g.dispensed_at), (*done, (g.line_number, g.quantity)))
        return {prescription_id: tuple(by_id.values()) for prescription_id, by_id in found.items()}

    def dispense(self, prescription_id: str, dispenser_id: str, role: str, given: dict[int, int], *,
                 render: Callable[[PrescriptionRecord], str], today: date, key: str | None = None,
                 body_hash: str = "") -> tuple[str, bool]:
        """Record a dispensing of ``given`` (line number → quantity); checks and writes under one row lock. Return
        ``render`` of the prescription after it, and whether that is the replay of an earlier dispensing with ``key``.

        As for a create, the key is claimed first, in the same transaction: of concurrent retries, one dispenses and
        the others wait for it, then replay its answer, kept with the key. A refused dispensing claims nothing."""
        with self._write() as conn:
            if key is not None:
                earlier = self._claim_dispensing(conn, dispenser_id, key, body_hash)
                if earlier is not None:
                    return earlier, True
            self._checked_dispensing(conn, prescription_id, dispenser_id, role, given, today)
            answer = render(self._records(conn, [prescription_id])[0])
            if key is not None:
                conn.execute(self._q["dispensing_answer"], {"of": dispenser_id, "named": key, "answer": answer})
        return answer, False

    def _claim_dispensing(self, conn: Connection, dispenser_id: str, key: str, body_hash: str) -> str | None:
        """Claim ``key``, or give the answer of the dispensing that claimed it (IDEMPOTENCY_KEY_REUSED for another)."""
        mine = {"caller_id": dispenser_id, "key": key}
        if conn.execute(self._q["claim_dispensing_key"], {**mine, "request_hash": body_hash, "answer": "",
                                                          "created_at": datetime.now(UTC)}).first() is not None:
            return None
        earlier = conn.execute(self._q["dispensing_replay"], mine).one()  # committed: the claim waited for it
        if earlier.request_hash != body_hash:
            raise TeleserviceError("IDEMPOTENCY_KEY_REUSED")
        return str(earlier.answer)

    def _checked_dispensing(self, conn: Connection, prescription_id: str, dispenser_id: str, role: str,
                            given: dict[int, int], today: date) -> None:
        p, lines = self.t["prescriptions"], self.t["lines"]
        row = conn.execute(select(p.c.category, p.c.status, p.c.valid_until).where(p.c.id == prescription_id)
                           .with_for_update()).first()
        if row is None:
            raise TeleserviceError("PRESCRIPTION_NOT_FOUND")
        current = {r.number: (r.quantity, r.dispensed) for r in conn.execute(
            select(lines.c.number, lines.c.quantity, lines.c.dispensed)
            .where(lines.c.prescription_id == prescription_id))}
        after = status_after_dispensing(row.category, status_at(row.status, row.valid_until, today), role, current,
                                        given)
        self._record_dispensing(conn, prescription_id, dispenser_id, role, given)
        conn.execute(update(p).where(p.c.id == prescription_id).values(status=after))

    def _record_dispensing(self, conn: Connection, prescription_id: str, dispenser_id: str, role: str,
                           given: dict[int, int]) -> None:
        d, dl, lines = self.t["dispensations"], self.t["dispensation_lines"], self.t["lines"]
        result = conn.execute(insert(d).values(prescription_id=prescription_id, dispenser_id=dispenser_id,
                                               dispenser_role=role, dispensed_at=datetime.now(UTC)))
        assert result.inserted_primary_key is not None
        dispensation_id = result.inserted_primary_key[0]
        conn.execute(insert(dl), [{"dispensation_id": dispensation_id, "line_number": n, "quantity": q}
                                  for n, q in sorted(given.items())])
        for number, quantity in given.items():
            conn.execute(update(lines).where(lines.c.prescription_id == prescription_id, lines.c.number == number)
                         .values(dispensed=lines.c.dispensed + quantity))

    def cancel(self, prescription_id: str, prescriber_id: str, today: date) -> PrescriptionRecord:
        """The prescriber's cancel of their prescription, before any dispensing (rules.check_cancel), under the
        row's lock; cancelling a cancelled one changes nothing. Another prescriber's is not found."""
        p = self.t["prescriptions"]
        with self._write() as conn:
            row = conn.execute(select(p.c.prescriber_id, p.c.status, p.c.valid_until)
                               .where(p.c.id == prescription_id).with_for_update()).first()
            if row is None or row.prescriber_id != prescriber_id:
                raise TeleserviceError("PRESCRIPTION_NOT_FOUND")
            status = status_at(row.status, row.valid_until, today)
            if status != CANCELLED:
                check_cancel(status)
                conn.execute(update(p).where(p.c.id == prescription_id)
                             .values(status=CANCELLED, cancelled_at=datetime.now(UTC)))
            return self._records(conn, [prescription_id])[0]

    def search(self, query: SearchQuery) -> tuple[list[PrescriptionRecord], int]:
        """The prescriber's own prescriptions matching ``query``, newest first, and how many match in all.

        A status filter only matches prescriptions whose patient lets the prescriber see the dispensing."""
        p = self.t["prescriptions"]
        conditions = [p.c.prescriber_id == query.prescriber_id]
        if query.patient_nir is not None:
            conditions.append(p.c.patient_nir == query.patient_nir)
        if query.start is not None:
            conditions.append(p.c.created_at >= query.start)
        if query.end is not None:
            conditions.append(p.c.created_at < query.end)
        if query.category is not None:
            conditions.append(p.c.category == query.category)
        if query.status is not None:  # expired is not stored: open, and past its validity on that day
            today = query.today or date.today()
            expired = p.c.status.in_(OPEN_STATUSES) & (p.c.valid_until < today)
            still = p.c.valid_until.is_(None) | (p.c.valid_until >= today)
            conditions += [p.c.dispensing_visible.is_(True),
                           expired if query.status == EXPIRED else
                           (p.c.status == query.status) & still if query.status in OPEN_STATUSES else
                           p.c.status == query.status]
        page = (select(p.c.id, func.count().over().label("total")).where(*conditions)
                .order_by(p.c.created_at.desc(), p.c.id).limit(query.size).offset((query.page - 1) * query.size))

        def read(conn: Connection) -> tuple[list[PrescriptionRecord], int]:
            rows = conn.execute(page).all()
            if rows or query.page == 1:  # the total comes with the page; a page past the end needs it counted
                total = rows[0].total if rows else 0
            else:
                total = conn.execute(select(func.count()).select_from(p).where(*conditions)).scalar_one()
            return self._records(conn, [row.id for row in rows]), int(total)

        return self._read(read)

    # The journal (journal.py), through the store that owns its table.
    def journal(self, entry: JournalEntry) -> None:
        self.journal_writer.add(entry)

    def flush_journal(self) -> None:
        self.journal_writer.flush()

    def start_journal_writer(self, every: float = 0.1) -> None:
        self.journal_writer.start(every)

    def stop_journal_writer(self) -> None:
        self.journal_writer.stop()

    def registrations(self, *, since: datetime | None = None, practitioners: tuple[str, ...] = (),
                      ) -> Iterator[tuple[str, str, datetime, str, str | None]]:
        """(prescription id, prescriber, creation, registry status, reject code) of every stored prescription,
        oldest first: the sandbox's database is the registry. Each is the prescription of exactly one create the
        journal shows answered 201 (tests/e2e/test_closed_loop.py), but it is written in the create's own
        transaction, where the journal's entry comes up to 100 ms later, from the server's process."""
        p = self.t["prescriptions"]
        conditions = []
        if since is not None:
            conditions.append(p.c.created_at >= since)
        if practitioners:
            conditions.append(p.c.prescriber_id.in_(practitioners))
        query = (select(p.c.id, p.c.prescriber_id, p.c.created_at, p.c.registry_status, p.c.reject_code)
                 .where(*conditions).order_by(p.c.created_at, p.c.id))
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                yield (str(row.id), str(row.prescriber_id), aware(row.created_at), str(row.registry_status),
                       row.reject_code)

    def journal_entries(self) -> list[dict[str, Any]]:
        return self.journal_writer.entries()
