"""`SqlCollector`: the collector's reads and writes (workstation tokens, batches, the index of stored events) over
the registry's engine. Writes take the caller's connection: a batch is recorded in one transaction (decision
0004)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.engine import Connection, Engine

from preserie.adapters.db import tables as t
from preserie.adapters.db.page_reads import remembered
from preserie.adapters.db.repository import _utc

CHUNK = 500  # SQLite's bound parameters per statement stay far below its limit
LEGACY_BEFORE = "t"  # the index's keys before "t": md5(event_id) alone (decision 0004)


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
    def has_legacy_events(conn: Connection, pilot_id: int) -> bool:
        """Whether the pilot's index holds events keyed by md5(event_id) alone, as before the ts came first in
        the key (the new keys start with "t", after every hexadecimal digit)."""
        e = t.collector_events
        return conn.execute(select(e.c.event).where(e.c.pilot_id == pilot_id, e.c.event < LEGACY_BEFORE)
                            .limit(1)).first() is not None

    @staticmethod
    def stored_events(conn: Connection, pilot_id: int, events: Iterable[str]) -> set[tuple[str, str]]:
        """The (event, content) pairs stored among these events (the keys of the index's rows)."""
        e, wanted, found = t.collector_events, sorted(set(events)), set()
        for start in range(0, len(wanted), CHUNK):
            query = select(e.c.event, e.c.content).where(e.c.pilot_id == pilot_id,
                                                         e.c.event.in_(wanted[start:start + CHUNK]))
            found |= {(event, content) for event, content in conn.execute(query)}
        return found

    @staticmethod
    def add_events(conn: Connection, pilot_id: int, pairs: Sequence[tuple[str, str]]) -> int:
        """Index the (event, content) pairs not indexed yet, in order (a pair twice in `pairs` is indexed once);
        how many were new. One statement for them all: PostgreSQL reads them as two arrays, SQLite as one JSON
        array (a statement run once a pair let go of the interpreter's lock a thousand times a batch, and waited
        to get it back behind every other thread: 40 ms a batch where one statement takes 5)."""
        if not pairs:
            return 0
        if conn.dialect.name == "postgresql":
            statement = text("INSERT INTO collector_events (pilot_id, event, content) SELECT :pilot, * FROM "
                             "unnest(CAST(:events AS VARCHAR[]), CAST(:contents AS VARCHAR[])) "
                             "ON CONFLICT DO NOTHING")
            done = conn.execute(statement, {"pilot": pilot_id, "events": [event for event, _ in pairs],
                                            "contents": [content for _, content in pairs]})
        else:  # "WHERE true": SQLite's parser would take ON CONFLICT for a join's ON otherwise
            statement = text("INSERT INTO collector_events (pilot_id, event, content) SELECT :pilot, "
                             "json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:pairs) "
                             "WHERE true ON CONFLICT DO NOTHING")
            done = conn.execute(statement, {"pilot": pilot_id, "pairs": json.dumps(pairs)})
        return int(done.rowcount)

    @staticmethod
    def add_batch(conn: Connection, **values: Any) -> int:
        b = t.collector_batches
        return int(conn.execute(insert(b).values(**values).returning(b.c.id)).scalar_one())

    @staticmethod
    def touch(conn: Connection, workstation_id: int, at: dt.datetime) -> None:
        k = t.workstation_tokens
        conn.execute(update(k).where(k.c.workstation_id == workstation_id).values(last_batch_at=at))
