"""`SqlCollector`: the collector's reads and writes (workstation tokens, batches, the index of stored events) over
the registry's engine. Writes take the caller's connection: a batch is recorded in one transaction (decision
0004)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine

from preserie.adapters.db import tables as t
from preserie.adapters.db.repository import _utc

CHUNK = 500  # SQLite's bound parameters per statement stay far below its limit


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
        with self.engine.connect() as conn:
            return [_row(row) for row in conn.execute(query)]

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
        b = t.collector_batches
        with self.engine.connect() as conn:
            row = conn.execute(select(b.c.id, b.c.body_sha256, b.c.answer)
                               .where(b.c.workstation_id == workstation_id, b.c.idempotency_key == key)).first()
        return None if row is None else _row(row)

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
    def stored_events(conn: Connection, pilot_id: int, events: Iterable[str]) -> set[tuple[str, str]]:
        e, wanted, found = t.collector_events, sorted(set(events)), set()
        for start in range(0, len(wanted), CHUNK):
            query = select(e.c.event, e.c.content).where(e.c.pilot_id == pilot_id,
                                                         e.c.event.in_(wanted[start:start + CHUNK]))
            found |= {(event, content) for event, content in conn.execute(query)}
        return found

    @staticmethod
    def add_events(conn: Connection, pilot_id: int, pairs: Iterable[tuple[str, str]]) -> None:
        rows = [{"pilot_id": pilot_id, "event": event, "content": content} for event, content in pairs]
        if rows:
            conn.execute(insert(t.collector_events), rows)

    @staticmethod
    def add_batch(conn: Connection, **values: Any) -> int:
        b = t.collector_batches
        return int(conn.execute(insert(b).values(**values).returning(b.c.id)).scalar_one())

    @staticmethod
    def set_answer(conn: Connection, batch_id: int, answer: dict[str, Any]) -> None:
        b = t.collector_batches
        conn.execute(update(b).where(b.c.id == batch_id).values(answer=answer))

    @staticmethod
    def touch(conn: Connection, workstation_id: int, at: dt.datetime) -> None:
        k = t.workstation_tokens
        conn.execute(update(k).where(k.c.workstation_id == workstation_id).values(last_batch_at=at))
