"""The sandbox's storage: SQLAlchemy Core tables, SQLite by default, PostgreSQL from a ``postgresql+psycopg`` URL.

Writes that read first (dispensing) lock the prescription row (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE``
on SQLite) so that two concurrent calls cannot dispense the same quantity twice. A create with an idempotency key
claims the key in the same transaction as the prescription: of concurrent retries exactly one inserts, the others
hit the key's primary key and replay the first result.

The journal is written in batches: the app queues each call's entry (no I/O on the event loop) and a writer thread
inserts what is queued every 100 ms in one statement; stopping the writer, reading the journal and closing the store
flush it first (benchmarks/teleservice_load.py: one INSERT and transaction per call were a third of a call's cost).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.sql.expression import Executable

from preserie.teleservice.catalogue import DISPENSERS, TeleserviceError
from preserie.teleservice.records import (
    DISPENSED,
    ISSUED,
    DispensationRecord,
    JournalEntry,
    LineRecord,
    NewPrescription,
    PrescriptionRecord,
    SearchQuery,
    new_prescription_id,
    status_of,
)

if TYPE_CHECKING:  # alembic is imported when the schema is migrated, not with the store
    from alembic.config import Config

log = logging.getLogger(__name__)
LINE_COLUMNS = ("number", "code", "text", "quantity", "duration_days", "dispensed")
REGISTERED, REJECTED = "registered", "rejected"
FIRST_REVISION = "0001"  # migrations/versions/v0001_initial.py: the tables the sandbox made before migrations
MAX_PENDING = 100_000  # journal entries kept while the database refuses them; beyond, the oldest are dropped


def _required(name: str, kind: Any, **options: Any) -> Column[Any]:
    return Column(name, kind, nullable=False, **options)


def _tables(prefix: str) -> tuple[MetaData, dict[str, Table]]:
    md, moment = MetaData(), DateTime(timezone=True)
    p = Table(f"{prefix}prescriptions", md, Column("id", String(18), primary_key=True),
              _required("prescriber_id", String(32), index=True), _required("patient_nir", String(15), index=True),
              _required("category", String(32)), _required("created_at", moment, index=True),
              _required("status", String(24)), _required("software_name", String(100)),
              _required("software_version", String(50)), _required("dispensing_visible", Boolean),
              _required("dmp_deposit", Boolean),
              # the registry's verdict (migration 0002): registered, or rejected with a code
              _required("registry_status", String(16), server_default=REGISTERED),
              Column("reject_code", String(40)))
    lines = Table(f"{prefix}lines", md, Column("prescription_id", ForeignKey(p.c.id), primary_key=True),
                  Column("number", Integer, primary_key=True), Column("code", String(64)),
                  Column("text", String(1000)), _required("quantity", Integer), Column("duration_days", Integer),
                  _required("dispensed", Integer))
    d = Table(f"{prefix}dispensations", md, Column("id", Integer, primary_key=True, autoincrement=True),
              _required("prescription_id", ForeignKey(p.c.id), index=True), _required("dispenser_id", String(32)),
              _required("dispenser_role", String(32)), _required("dispensed_at", moment))
    dl = Table(f"{prefix}dispensation_lines", md, Column("dispensation_id", ForeignKey(d.c.id), primary_key=True),
               Column("line_number", Integer, primary_key=True), _required("quantity", Integer))
    keys = Table(f"{prefix}idempotency_keys", md, Column("caller_id", String(32), primary_key=True),
                 Column("key", String(128), primary_key=True), _required("request_hash", String(64)),
                 _required("prescription_id", String(18)), _required("created_at", moment))
    # A dispensing's key keeps its answer (migration 0003): the prescription changes after it, the replay must not.
    dispensing_keys = Table(f"{prefix}dispensation_keys", md, Column("caller_id", String(32), primary_key=True),
                            Column("key", String(128), primary_key=True), _required("request_hash", String(64)),
                            _required("answer", Text), _required("created_at", moment))
    journal = Table(f"{prefix}journal", md, Column("id", Integer, primary_key=True, autoincrement=True),
                    _required("at", moment), _required("operation", String(32)), _required("method", String(8)),
                    Column("caller_id", String(32)), Column("caller_role", String(32)),
                    Column("prescription_id", String(18)), _required("status", Integer),
                    Column("error_code", String(40)), _required("duration_ms", Integer))
    return md, {"prescriptions": p, "lines": lines, "dispensations": d, "dispensation_lines": dl,
                "idempotency_keys": keys, "dispensation_keys": dispensing_keys, "journal": journal}


def _migrations(prefix: str) -> Config:
    """Alembic's configuration for the migrations of tables named with ``prefix``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files(__package__).joinpath("migrations")))
    config.attributes["table_prefix"] = prefix
    return config


def head_revision() -> str:
    """The last migration: the schema of the store's tables (`_tables`)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_migrations("")).get_current_head()
    return str(head)


def migrate(engine: Engine, prefix: str = "", revision: str = "head") -> None:
    """Run the migrations the database lacks, up to ``revision`` (Alembic, `migrations/`). A database the sandbox
    made before it had migrations (its tables, no version table) is first marked as being at the first one,
    whose tables it has."""
    from alembic import command

    config = _migrations(prefix)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if f"{prefix}prescriptions" in tables and f"{prefix}alembic_version" not in tables:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


def _statements(t: dict[str, Table], dialect: str) -> dict[str, Executable]:
    """The statements of every call, built once: building one per call cost ~0.2 ms of CPU per read."""
    p, lines, d, dl, keys, given_keys = (t[name] for name in (
        "prescriptions", "lines", "dispensations", "dispensation_lines", "idempotency_keys", "dispensation_keys"))
    ids: BindParameter[list[str]] = bindparam("ids", expanding=True)

    def claim(table: Table) -> Executable:
        # A retry's key is already there: ON CONFLICT DO NOTHING says so without an error (PostgreSQL logged one
        # ERROR per replay), and still waits for a concurrent insert of the same key to commit or roll back.
        # RETURNING tells whether the row went in (psycopg's rowcount is -1 here).
        statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
        return statement.on_conflict_do_nothing(index_elements=[table.c.caller_id, table.c.key]).returning(
            table.c.key)

    def same_key(table: Table) -> Any:
        return (table.c.caller_id == bindparam("caller_id")) & (table.c.key == bindparam("key"))

    return {
        **{f"insert_{name}": insert(table) for name, table in t.items()},
        "claim_key": claim(keys),
        "claim_dispensing_key": claim(given_keys),
        "dispensing_replay": select(given_keys.c.request_hash, given_keys.c.answer).where(same_key(given_keys)),
        # an UPDATE reserves its columns' names for its SET values: other names for the key
        "dispensing_answer": update(given_keys).where(given_keys.c.caller_id == bindparam("of"),
                                                      given_keys.c.key == bindparam("named")),
        "one": select(literal(1)),
        "records": select(p, *(lines.c[name] for name in LINE_COLUMNS))
        .outerjoin(lines, lines.c.prescription_id == p.c.id).where(p.c.id.in_(ids)).order_by(p.c.id, lines.c.number),
        "dispensations": select(d.c.prescription_id, d.c.id, d.c.dispenser_id, d.c.dispenser_role, d.c.dispensed_at,
                                dl.c.line_number, dl.c.quantity).join(dl, dl.c.dispensation_id == d.c.id)
        .where(d.c.prescription_id.in_(ids)).order_by(d.c.id, dl.c.line_number),
        "replay": select(keys.c.request_hash, keys.c.prescription_id).where(same_key(keys)),
    }


def _engine(url: str) -> Engine:
    # hide_parameters: a failed statement's message (logged with the 503 it gives) would name its parameters, a
    # patient's NIR among them.
    if not url.startswith("sqlite"):
        # Per process: `serve --workers 4` then holds at most 64 of PostgreSQL's 100 connections by default.
        return create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True, hide_parameters=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

    # pysqlite's own transaction handling cannot BEGIN IMMEDIATE; take it over (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def request_hash(canonical_body: str) -> str:
    return hashlib.sha256(canonical_body.encode()).hexdigest()


class SqlPrescriptionStore:
    """Prescriptions, lines, dispensations, idempotency keys and the journal, in one SQL database."""

    def __init__(self, url: str, *, table_prefix: str = "") -> None:
        self.engine = _engine(url)
        # Reads without BEGIN and ROLLBACK on PostgreSQL: each statement of READ COMMITTED had its own snapshot anyway.
        postgres = self.engine.dialect.name == "postgresql"
        self.reader = self.engine.execution_options(isolation_level="AUTOCOMMIT") if postgres else self.engine
        self.prefix = table_prefix
        self.metadata, self.t = _tables(table_prefix)
        self._q = _statements(self.t, self.engine.dialect.name)
        self._pending: deque[dict[str, Any]] = deque()
        self._flushing = threading.Lock()
        self._writer: tuple[threading.Thread, threading.Event] | None = None

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
            log.exception("journal non écrit à la fermeture : %d entrées perdues", len(self._pending))
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                yield conn

    def create(self, draft: NewPrescription, *, key: str | None = None, body_hash: str = "",
               registry: Callable[[str], str | None] | None = None) -> tuple[str, bool]:
        """Insert a prescription; return its id and whether it is the replay of an earlier call with ``key``.
        ``registry`` gives the reject code of a new id, or None when the registry registers it.

        The key is not looked up first: most keys are new. It is claimed in the transaction that inserts the
        prescription; a retry finds it claimed, inserts nothing, and replays the earlier answer."""
        prescription_id, now = new_prescription_id(), datetime.now(UTC)
        replayed = False
        with self._write() as conn:
            if key is not None:
                replayed = conn.execute(self._q["claim_key"], {
                    "caller_id": draft.prescriber_id, "key": key, "request_hash": body_hash,
                    "prescription_id": prescription_id, "created_at": now}).first() is None
            if not replayed:
                self._insert(conn, prescription_id, draft, now, registry(prescription_id) if registry else None)
        if key is None or not replayed:
            return prescription_id, False
        earlier = self._replay(draft.prescriber_id, key, body_hash)
        if earlier is None:  # the claim met a committed key, which the replay then reads: not reachable
            raise RuntimeError("clé d'idempotence déjà revendiquée mais introuvable")
        return earlier, True

    def _insert(self, conn: Connection, prescription_id: str, draft: NewPrescription, now: datetime,
                reject_code: str | None) -> None:
        conn.execute(self._q["insert_prescriptions"], {
            "registry_status": REGISTERED if reject_code is None else REJECTED, "reject_code": reject_code,
            "id": prescription_id, "prescriber_id": draft.prescriber_id, "patient_nir": draft.patient_nir,
            "category": draft.category, "created_at": now,
            "status": status_of([(line.quantity, 0) for line in draft.lines]),
            "software_name": draft.software_name, "software_version": draft.software_version,
            "dispensing_visible": draft.dispensing_visible_to_prescriber, "dmp_deposit": draft.dmp_deposit})
        conn.execute(self._q["insert_lines"], [
            {"prescription_id": prescription_id, "number": number, "code": line.code, "text": line.text,
             "quantity": line.quantity, "duration_days": line.duration_days, "dispensed": 0}
            for number, line in enumerate(draft.lines, start=1)])

    def _replay(self, caller_id: str, key: str, body_hash: str) -> str | None:
        with self.reader.connect() as conn:
            row = conn.execute(self._q["replay"], {"caller_id": caller_id, "key": key}).first()
        if row is None:
            return None
        if row.request_hash != body_hash:
            raise TeleserviceError("IDEMPOTENCY_KEY_REUSED")
        return str(row.prescription_id)

    def ping(self) -> None:
        """One ``SELECT 1`` (the health probe)."""
        with self.reader.connect() as conn:
            conn.execute(self._q["one"]).scalar_one()

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        with self.reader.connect() as conn:
            found = self._records(conn, [prescription_id])
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
                their_lines[r.id].append(LineRecord(r.number, r.code, r.text, r.quantity, r.duration_days, r.dispensed))
        given = self._dispensations(conn, [i for i, row in heads.items() if row.status != ISSUED])
        return [PrescriptionRecord(
            row.id, row.prescriber_id, row.category, row.patient_nir, _aware(row.created_at), row.status,
            row.software_name, row.software_version, row.dispensing_visible, row.dmp_deposit,
            tuple(their_lines[i]), given.get(i, ())) for i in ids if (row := heads.get(i)) is not None]

    def _dispensations(self, conn: Connection, ids: list[str]) -> dict[str, tuple[DispensationRecord, ...]]:
        if not ids:
            return {}
        given = conn.execute(self._q["dispensations"], {"ids": ids}).all()
        found: dict[str, dict[int, DispensationRecord]] = defaultdict(dict)
        for g in given:
            earlier = found[g.prescription_id].get(g.id)
            done = earlier.lines if earlier else ()
            found[g.prescription_id][g.id] = DispensationRecord(
                g.id, g.dispenser_id, g.dispenser_role, _aware(g.dispensed_at), (*done, (g.line_number, g.quantity)))
        return {prescription_id: tuple(by_id.values()) for prescription_id, by_id in found.items()}

    def dispense(self, prescription_id: str, dispenser_id: str, role: str, given: dict[int, int], *,
                 render: Callable[[PrescriptionRecord], str], key: str | None = None,
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
            self._checked_dispensing(conn, prescription_id, dispenser_id, role, given)
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
                            given: dict[int, int]) -> None:
        p, lines = self.t["prescriptions"], self.t["lines"]
        row = conn.execute(select(p.c.category, p.c.status).where(p.c.id == prescription_id).with_for_update()).first()
        if row is None:
            raise TeleserviceError("PRESCRIPTION_NOT_FOUND")
        if role not in DISPENSERS[row.category]:
            raise TeleserviceError("PROFESSION_NOT_PRESCRIBED", f"{role} pour {row.category}")
        if row.status == DISPENSED:
            raise TeleserviceError("PRESCRIPTION_FULLY_DISPENSED")
        current = {r.number: (r.quantity, r.dispensed) for r in conn.execute(
            select(lines.c.number, lines.c.quantity, lines.c.dispensed)
            .where(lines.c.prescription_id == prescription_id))}
        for number, quantity in given.items():
            if number not in current:
                raise TeleserviceError("UNKNOWN_LINE", f"ligne {number}")
            prescribed, dispensed = current[number]
            if quantity > prescribed - dispensed:
                raise TeleserviceError("QUANTITY_EXCEEDS_REMAINING", f"ligne {number}, reste {prescribed - dispensed}")
        self._record_dispensing(conn, prescription_id, dispenser_id, role, given)
        after = [(q, d + given.get(n, 0)) for n, (q, d) in current.items()]
        conn.execute(update(p).where(p.c.id == prescription_id).values(status=status_of(after)))

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
        if query.status is not None:
            conditions += [p.c.status == query.status, p.c.dispensing_visible.is_(True)]
        page = (select(p.c.id, func.count().over().label("total")).where(*conditions)
                .order_by(p.c.created_at.desc(), p.c.id).limit(query.size).offset((query.page - 1) * query.size))
        with self.reader.connect() as conn:
            rows = conn.execute(page).all()
            if rows or query.page == 1:  # the total comes with the page; a page past the end needs it counted
                total = rows[0].total if rows else 0
            else:
                total = conn.execute(select(func.count()).select_from(p).where(*conditions)).scalar_one()
            return self._records(conn, [row.id for row in rows]), int(total)

    def journal(self, entry: JournalEntry) -> None:
        """Queue ``entry``, stamped now, for the writer thread or the next flush (no I/O)."""
        row = {"at": datetime.now(UTC), **entry.__dict__}
        row["method"] = entry.method[:8]  # any token is a method in HTTP; the column keeps the first 8 characters
        self._pending.append(row)

    def flush_journal(self) -> None:
        """Insert the queued entries in their order; on failure keep them for the next flush, and raise."""
        with self._flushing:
            batch = [self._pending.popleft() for _ in range(len(self._pending))]
            if not batch:
                return
            try:
                with self.engine.begin() as conn:
                    conn.execute(self._q["insert_journal"], batch)
            except (IntegrityError, DataError):  # one entry the table refuses must not hold back the others
                self._insert_one_by_one(batch)
            except Exception:
                self._pending.extendleft(reversed(batch))
                if (excess := len(self._pending) - MAX_PENDING) > 0:
                    log.error("journal : %d entrées les plus anciennes abandonnées", excess)
                    for _ in range(excess):
                        self._pending.popleft()
                raise

    def _insert_one_by_one(self, batch: list[dict[str, Any]]) -> None:
        for row in batch:
            try:
                with self.engine.begin() as conn:
                    conn.execute(self._q["insert_journal"], [row])
            except (IntegrityError, DataError):
                log.error("journal : entrée refusée par la base, abandonnée (%s %s, statut %s)",
                          row.get("operation"), row.get("method"), row.get("status"))

    def start_journal_writer(self, every: float = 0.1) -> None:
        """Flush the journal every ``every`` seconds in a thread, until ``stop_journal_writer``."""
        if self._writer is not None:
            return
        stop = threading.Event()

        def write() -> None:
            while not stop.wait(every):
                try:
                    self.flush_journal()
                except Exception:  # the database is down: the entries wait for the next pass
                    log.exception("journal non écrit, nouvel essai dans %s s", every)

        thread = threading.Thread(target=write, name="journal-writer", daemon=True)
        thread.start()
        self._writer = (thread, stop)

    def stop_journal_writer(self) -> None:
        """Stop the writer thread, then flush what is still queued."""
        if self._writer is not None:
            thread, stop = self._writer
            stop.set()
            thread.join()
            self._writer = None
        self.flush_journal()

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
                yield (str(row.id), str(row.prescriber_id), _aware(row.created_at), str(row.registry_status),
                       row.reject_code)

    def journal_entries(self) -> list[dict[str, Any]]:
        j = self.t["journal"]
        self.flush_journal()
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(j).order_by(j.c.id))]
