"""`SqlCollector`: the collector's reads and writes (workstation tokens, batches, the index of stored events) over
the registry's engine. Writes take the caller's connection: a batch is recorded in one transaction (decision
0004)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from preserie.adapters.collector_batch import KEY_WIDTH
from preserie.adapters.db import tables as t
from preserie.adapters.db.page_reads import remembered
from preserie.adapters.db.repository import _utc

CHUNK = 500  # SQLite's bound parameters per statement stay far below its limit
KEY_CHUNK = 1000  # events a statement of the index: 3,000 bound numbers, below SQLite's 32,766
LEGACY_TS = -1  # the index's second of an event indexed before the ts was in its key (migration v0006)


def legacy_content(digest: int) -> int:
    """How migration 0006 keeps a content digested the old way: negative, so that no new one can be equal."""
    return -1 - digest


def _row(row: Any) -> dict[str, Any]:
    return {k: _utc(v) for k, v in row._mapping.items()}


class SqlCollector:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ── workstations and their tokens ────────────────────────────────────────────────────────────────────
    def workstations(self, pilot_id: int) -> list[dict[str, Any]]:
        """Each workstation of the pilot with its practitioner (ref, CPAM) and its token's state."""
        w, p, k = t.workstations, t.practitioners, t.workstation_tokens
        query = (select(w.c.id, w.c.enrolled_at, p.c.ref.label("practitioner"), p.c.cpam, k.c.digest,
                        k.c.last_batch_at, k.c.revoked_at)
                 .join(p, p.c.id == w.c.practitioner_id).outerjoin(k, k.c.workstation_id == w.c.id)
                 .where(w.c.pilot_id == pilot_id).order_by(w.c.id))
        return remembered(self.engine, ("collector_workstations", pilot_id),
                          lambda conn: [_row(row) for row in conn.execute(query)])

    def by_digest(self, digest: str) -> dict[str, Any] | None:
        """The workstation of a token: its id, pilot, practitioner ref, and whether the token is revoked."""
        w, p, k = t.workstations, t.practitioners, t.workstation_tokens
        query = (select(w.c.id, w.c.pilot_id, p.c.ref.label("practitioner"), k.c.revoked_at)
                 .join(k, k.c.workstation_id == w.c.id).join(p, p.c.id == w.c.practitioner_id)
                 .where(k.c.digest == digest))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _row(row)

    @staticmethod
    def add_token(conn: Connection, workstation_id: int, digest: str, at: dt.datetime) -> None:
        conn.execute(insert(t.workstation_tokens).values(workstation_id=workstation_id, digest=digest,
                                                         created_at=at))

    @staticmethod
    def revoke(conn: Connection, workstation_id: int, at: dt.datetime, by: int) -> bool:
        k = t.workstation_tokens
        return bool(conn.execute(update(k).where(k.c.workstation_id == workstation_id, k.c.revoked_at.is_(None))
                                 .values(revoked_at=at, revoked_by=by)).rowcount)

    # ── batches ──────────────────────────────────────────────────────────────────────────────────────────
    def batch(self, workstation_id: int, key: str) -> dict[str, Any] | None:
        return self.batches(None, [(workstation_id, key)]).get((workstation_id, key))

    def batches(self, conn: Connection | None, wanted: Iterable[tuple[int, str]]) -> dict[tuple[int, str], Any]:
        """The stored batches of these (workstation, Idempotency-Key) pairs, by pair: id, body_sha256, answer."""
        wanted = set(wanted)
        if not wanted:
            return {}
        if conn is None:
            with self.engine.connect() as own:
                return self.batches(own, wanted)
        b, found = t.collector_batches, {}
        workstations, keys = sorted({w for w, _ in wanted}), sorted({k for _, k in wanted})
        for start in range(0, len(keys), CHUNK):
            query = select(b.c.id, b.c.workstation_id, b.c.idempotency_key, b.c.body_sha256, b.c.answer).where(
                b.c.workstation_id.in_(workstations), b.c.idempotency_key.in_(keys[start:start + CHUNK]))
            for row in conn.execute(query):
                pair = (row.workstation_id, row.idempotency_key)
                if pair in wanted:
                    found[pair] = row
        return found

    def uuids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(t.collector_batches.c.uuid)).scalars())

    @staticmethod
    def lock_pilot(conn: Connection, pilot_id: int) -> str:
        """The pilot's status, its row locked until the transaction ends (PostgreSQL; SQLite's writing
        transaction already holds the database's write lock)."""
        query = select(t.pilots.c.status).where(t.pilots.c.id == pilot_id).with_for_update()
        return str(conn.execute(query).scalar_one())

    @staticmethod
    def revoked(conn: Connection, workstation_ids: Iterable[int]) -> set[int]:
        """Those of the workstations whose token is revoked (or gone)."""
        k, wanted = t.workstation_tokens, set(workstation_ids)
        live = conn.execute(select(k.c.workstation_id).where(k.c.workstation_id.in_(sorted(wanted)),
                                                             k.c.revoked_at.is_(None))).scalars()
        return wanted - set(live)

    @staticmethod
    def has_legacy_keys(conn: Connection, pilot_id: int) -> bool:
        """Whether the pilot's index holds rows carried over from before migration 0006."""
        p = t.collector_legacy_pilots
        return conn.execute(select(p.c.pilot_id).where(p.c.pilot_id == pilot_id)).first() is not None

    @staticmethod
    def legacy_keys(conn: Connection, pilot_id: int, keys: Sequence[int]) -> set[tuple[int, int, int]]:
        """The rows carried over from before migration 0006 (second, event, content: negative, LEGACY_TS for the
        second of a key that had none) that may be those of these events (KEY_WIDTH integers an event): those of
        their seconds, or of none, with their event digests."""
        k, found, step = t.collector_keys, set(), KEY_WIDTH * (CHUNK // 2)  # seconds and events: CHUNK bound at most
        for start in range(0, len(keys), step):
            chunk = keys[start:start + step]
            seconds, events = sorted({*chunk[0::KEY_WIDTH], LEGACY_TS}), sorted(set(chunk[1::KEY_WIDTH]))
            query = select(k.c.ts, k.c.event, k.c.content).where(
                k.c.pilot_id == pilot_id, k.c.ts.in_(seconds), k.c.event.in_(events), k.c.content < 0)
            found |= {(ts, event, content) for ts, event, content in conn.execute(query)}
        return found

    @staticmethod
    def add_keys(conn: Connection, pilot_id: int, keys: Sequence[int]) -> int:
        """Index the events of `keys` (KEY_WIDTH integers an event: second, event, content) not indexed yet, in
        order (an event twice in `keys` is indexed once); how many were new. PostgreSQL reads them as three arrays
        in one statement; SQLite as rows of bound numbers, KEY_CHUNK events a statement (the same statement each
        time, but the last: SQLite's cache keeps it compiled). Numbers, not text: a thousand keys of 32
        characters cost SQLite's B-trees 4 to 6 µs an event, these 1.5 (the index's own bench in decision 0004)."""
        if not keys:
            return 0
        if conn.dialect.name == "postgresql":
            statement = text("INSERT INTO collector_keys (pilot_id, ts, event, content) SELECT :pilot, * FROM "
                             "unnest(CAST(:ts AS BIGINT[]), CAST(:events AS BIGINT[]), CAST(:contents AS BIGINT[])) "
                             "ON CONFLICT DO NOTHING")
            seconds, events, contents = (list(keys[n::KEY_WIDTH]) for n in range(KEY_WIDTH))
            done = conn.execute(statement, {"pilot": pilot_id, "ts": seconds, "events": events, "contents": contents})
            return int(done.rowcount)
        inserted, step = 0, KEY_WIDTH * KEY_CHUNK
        for start in range(0, len(keys), step):
            chunk = keys[start:start + step]
            rows = ", ".join([f"({int(pilot_id)}, ?, ?, ?)"] * (len(chunk) // KEY_WIDTH))
            done = conn.exec_driver_sql(f"INSERT INTO collector_keys (pilot_id, ts, event, content) VALUES {rows} "
                                        "ON CONFLICT DO NOTHING", tuple(chunk))
            inserted += int(done.rowcount)
        return inserted

    @staticmethod
    def add_batch(conn: Connection, **values: Any) -> int:
        b = t.collector_batches
        return int(conn.execute(insert(b).values(**values).returning(b.c.id)).scalar_one())

    @staticmethod
    def touch(conn: Connection, workstation_id: int, at: dt.datetime) -> None:
        k = t.workstation_tokens
        conn.execute(update(k).where(k.c.workstation_id == workstation_id).values(last_batch_at=at))
