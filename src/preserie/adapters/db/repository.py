"""`SqlRegistry`: the registry's reads and writes, one short transaction each, rows turned into domain records.

Moments are stored in UTC; SQLite gives them back without their offset, so every read puts UTC back on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any, TypeVar

from sqlalchemy import Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection, Engine

from preserie.adapters.db import tables as t
from preserie.adapters.db.page_reads import remembered
from preserie.domain.lifecycle import Status
from preserie.domain.registry import (
    AnomalyRecord,
    DecisionRecord,
    HistoryEntry,
    MeetingRecord,
    PhaseRecord,
    PilotRecord,
    PractitionerRecord,
)

Record = TypeVar("Record")


def _utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def _record(kind: type[Record], row: Row[Any]) -> Record:
    names = _fields(kind)
    return kind(**{k: _utc(v) for k, v in row._mapping.items() if k in names})


_FIELDS: dict[type, frozenset[str]] = {}


def _fields(kind: type) -> frozenset[str]:
    """A record's field names (looked up once a kind, not for every row)."""
    found = _FIELDS.get(kind)
    if found is None:
        found = _FIELDS[kind] = frozenset(f.name for f in fields(kind))
    return found


def _pilot(row: Row[Any]) -> PilotRecord:
    record = _record(PilotRecord, row)
    return PilotRecord(**{**record.__dict__, "status": Status(record.status)})


class SqlRegistry:
    """The registry's repository over one engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def writing(self) -> Any:
        """A writing transaction (on SQLite, holding the write lock from its start). Never read through the
        repository's own methods inside one: they take another connection, which waits for this one."""
        return self.engine.execution_options(immediate=True).begin()

    # ── accounts and tokens ──────────────────────────────────────────────────────────────────────────────
    def add_account(self, role: str, name: str, vendor: str | None, department: str | None, at: dt.datetime) -> int:
        with self.writing() as conn:
            return int(conn.execute(insert(t.accounts).values(role=role, name=name, vendor=vendor,
                                                              department=department, created_at=at)
                                    .returning(t.accounts.c.id)).scalar_one())

    def add_token(self, account_id: int, digest: str, at: dt.datetime, expires_at: dt.datetime) -> int:
        with self.writing() as conn:
            return int(conn.execute(insert(t.tokens).values(account_id=account_id, digest=digest, created_at=at,
                                                            expires_at=expires_at).returning(t.tokens.c.id))
                       .scalar_one())

    def token(self, digest: str) -> dict[str, Any] | None:
        """The token of this digest with its account, or None."""
        query = (select(t.tokens.c.expires_at, t.tokens.c.revoked_at, t.accounts.c.id, t.accounts.c.role,
                        t.accounts.c.name, t.accounts.c.vendor, t.accounts.c.department,
                        t.accounts.c.revoked_at.label("account_revoked_at"))
                 .join(t.accounts, t.accounts.c.id == t.tokens.c.account_id).where(t.tokens.c.digest == digest))
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else {k: _utc(v) for k, v in row._mapping.items()}

    def revoke_account(self, account_id: int, at: dt.datetime) -> int:
        """The account revoked: its live tokens (how many), its password (the account is marked) and its
        browsers' sessions (deleted), in one transaction."""
        with self.writing() as conn:
            conn.execute(update(t.accounts).where(t.accounts.c.id == account_id, t.accounts.c.revoked_at.is_(None))
                         .values(revoked_at=at))
            conn.execute(delete(t.web_sessions).where(t.web_sessions.c.account_id == account_id))
            return int(conn.execute(update(t.tokens).where(t.tokens.c.account_id == account_id,
                                                           t.tokens.c.revoked_at.is_(None)).values(revoked_at=at))
                       .rowcount)

    def accounts(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(t.accounts).order_by(t.accounts.c.id))]

    # ── audit ────────────────────────────────────────────────────────────────────────────────────────────
    def audit(self, **entry: Any) -> None:
        with self.writing() as conn:
            conn.execute(insert(t.audit).values(**entry))

    def audit_log(self, *, limit: int, offset: int) -> list[dict[str, Any]]:
        query = select(t.audit).order_by(t.audit.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [{k: _utc(v) for k, v in row._mapping.items()} for row in conn.execute(query)]

    # ── pilots ───────────────────────────────────────────────────────────────────────────────────────────
    def add_pilot(self, conn: Connection, **values: Any) -> int:
        return int(conn.execute(insert(t.pilots).values(**values).returning(t.pilots.c.id)).scalar_one())

    def pilot(self, key: str) -> PilotRecord | None:
        def read(conn: Connection) -> PilotRecord | None:
            row = conn.execute(select(t.pilots).where(t.pilots.c.key == key)).first()
            return None if row is None else _pilot(row)

        return remembered(self.engine, ("pilot", key), read)

    def pilots(self) -> list[tuple[PilotRecord, set[str]]]:
        """Every pilot with the departments of its practitioners (for who-sees-what)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.pilots).order_by(t.pilots.c.id)).all()
            zones: dict[int, set[str]] = {}
            for pilot_id, cpam in conn.execute(select(t.practitioners.c.pilot_id, t.practitioners.c.cpam)):
                zones.setdefault(pilot_id, set()).add(cpam)
        return [(_pilot(row), zones.get(row.id, set())) for row in rows]

    def departments(self, pilot_id: int) -> set[str]:
        return remembered(self.engine, ("departments", pilot_id), lambda conn: set(conn.execute(
            select(t.practitioners.c.cpam).where(t.practitioners.c.pilot_id == pilot_id)).scalars()))

    def set_pilot(self, conn: Connection, pilot_id: int, *, expected: Status | None = None, **values: Any) -> bool:
        """Change the pilot; with ``expected``, only if it still has that status (False: another request moved it
        first)."""
        query = update(t.pilots).where(t.pilots.c.id == pilot_id)
        if expected is not None:
            query = query.where(t.pilots.c.status == expected.value)
        return bool(conn.execute(query.values(**values)).rowcount)

    # ── phases, practitioners, meetings, workstations ─────────────────────────────────────────────────────
    def add_phase(self, conn: Connection, pilot_id: int, number: int, version: str, at: dt.datetime) -> None:
        conn.execute(insert(t.phases).values(pilot_id=pilot_id, number=number, software_version=version,
                                             opened_at=at))

    def close_phase(self, conn: Connection, pilot_id: int, number: int, at: dt.datetime) -> None:
        conn.execute(update(t.phases).where(t.phases.c.pilot_id == pilot_id, t.phases.c.number == number)
                     .values(closed_at=at))

    def set_phase_version(self, conn: Connection, pilot_id: int, number: int, version: str) -> None:
        conn.execute(update(t.phases).where(t.phases.c.pilot_id == pilot_id, t.phases.c.number == number)
                     .values(software_version=version))

    def phases(self, pilot_id: int) -> list[PhaseRecord]:
        return self._all(PhaseRecord, t.phases, pilot_id, t.phases.c.number)

    def add_practitioners(self, conn: Connection, pilot_id: int, phase: int, rows: Iterable[dict[str, Any]]) -> None:
        values = [{**row, "pilot_id": pilot_id, "phase": phase} for row in rows]
        if values:
            conn.execute(insert(t.practitioners), values)

    def remove_practitioners(self, conn: Connection, pilot_id: int, phase: int) -> None:
        conn.execute(delete(t.practitioners).where(t.practitioners.c.pilot_id == pilot_id,
                                                   t.practitioners.c.phase == phase))

    def set_practitioner(self, conn: Connection, practitioner_id: int, **values: Any) -> None:
        conn.execute(update(t.practitioners).where(t.practitioners.c.id == practitioner_id).values(**values))

    def practitioners(self, pilot_id: int) -> list[PractitionerRecord]:
        return self._all(PractitionerRecord, t.practitioners, pilot_id, t.practitioners.c.id)

    def add_meeting(self, conn: Connection, pilot_id: int, **values: Any) -> None:
        conn.execute(insert(t.meetings).values(pilot_id=pilot_id, **values))

    def meetings(self, pilot_id: int) -> list[MeetingRecord]:
        return self._all(MeetingRecord, t.meetings, pilot_id, t.meetings.c.id)

    def add_workstation(self, conn: Connection, pilot_id: int, **values: Any) -> int:
        return int(conn.execute(insert(t.workstations).values(pilot_id=pilot_id, **values)
                                .returning(t.workstations.c.id)).scalar_one())

    def workstations(self, pilot_id: int) -> list[dict[str, Any]]:
        query = select(t.workstations).where(t.workstations.c.pilot_id == pilot_id).order_by(t.workstations.c.id)
        return remembered(self.engine, ("workstations", pilot_id), lambda conn: _rows(conn, query))

    # ── anomalies, survey, decisions, history ────────────────────────────────────────────────────────────
    def add_anomaly(self, conn: Connection, pilot_id: int, **values: Any) -> int:
        return int(conn.execute(insert(t.anomalies).values(pilot_id=pilot_id, **values)
                                .returning(t.anomalies.c.id)).scalar_one())

    def set_anomaly(self, conn: Connection, anomaly_id: int, **values: Any) -> None:
        conn.execute(update(t.anomalies).where(t.anomalies.c.id == anomaly_id).values(**values))

    def anomalies(self, pilot_id: int) -> list[AnomalyRecord]:
        return self._all(AnomalyRecord, t.anomalies, pilot_id, t.anomalies.c.id)

    def add_answers(self, conn: Connection, pilot_id: int, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            conn.execute(insert(t.survey_answers), [{**row, "pilot_id": pilot_id} for row in rows])

    def answers(self, pilot_id: int) -> list[dict[str, Any]]:
        query = (select(t.survey_answers).where(t.survey_answers.c.pilot_id == pilot_id)
                 .order_by(t.survey_answers.c.id))
        return remembered(self.engine, ("answers", pilot_id), lambda conn: _rows(conn, query))

    def add_decision(self, conn: Connection, pilot_id: int, **values: Any) -> int:
        return int(conn.execute(insert(t.decisions).values(pilot_id=pilot_id, **values)
                                .returning(t.decisions.c.id)).scalar_one())

    def decisions(self, pilot_id: int) -> list[DecisionRecord]:
        return self._all(DecisionRecord, t.decisions, pilot_id, t.decisions.c.id)

    def add_history(self, conn: Connection, pilot_id: int, **values: Any) -> None:
        conn.execute(insert(t.history).values(pilot_id=pilot_id, **values))

    def history(self, pilot_id: int) -> list[HistoryEntry]:
        return self._all(HistoryEntry, t.history, pilot_id, t.history.c.id)

    def add_registration_upload(self, conn: Connection, pilot_id: int, **values: Any) -> None:
        conn.execute(insert(t.registration_uploads).values(pilot_id=pilot_id, **values))

    def registration_uploads(self, pilot_id: int) -> list[dict[str, Any]]:
        query = (select(t.registration_uploads).where(t.registration_uploads.c.pilot_id == pilot_id)
                 .order_by(t.registration_uploads.c.number))
        return remembered(self.engine, ("registration_uploads", pilot_id), lambda conn: _rows(conn, query))

    # ── modules and products ─────────────────────────────────────────────────────────────────────────────
    def add_module(self, vendor: str, name: str, description: str | None) -> int:
        with self.writing() as conn:
            return int(conn.execute(insert(t.modules).values(vendor=vendor, name=name, description=description)
                                    .returning(t.modules.c.id)).scalar_one())

    def add_product(self, **values: Any) -> int:
        with self.writing() as conn:
            return int(conn.execute(insert(t.products).values(**values).returning(t.products.c.id)).scalar_one())

    def modules(self, vendor: str | None) -> list[dict[str, Any]]:
        query = select(t.modules).order_by(t.modules.c.id)
        if vendor is not None:
            query = query.where(t.modules.c.vendor == vendor)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def products(self, vendor: str | None) -> list[dict[str, Any]]:
        """Each product with whether a deployed or deploy-approved présérie of its module covers its audience."""
        p, m, pil = t.products, t.modules, t.pilots
        validated = (select(func.count()).select_from(pil)
                     .where(pil.c.module_id == p.c.module_id,
                            pil.c.status.in_([Status.DEPLOY_APPROVED.value, Status.DEPLOYED.value]),
                            func.json_extract(pil.c.declaration, "$.software.audience") == p.c.audience)
                     .scalar_subquery()) if self.engine.dialect.name == "sqlite" else (
            select(func.count()).select_from(pil)
            .where(pil.c.module_id == p.c.module_id,
                   pil.c.status.in_([Status.DEPLOY_APPROVED.value, Status.DEPLOYED.value]),
                   pil.c.declaration["software"]["audience"].as_string() == p.c.audience).scalar_subquery())
        query = (select(p, m.c.name.label("module"), validated.label("validated_pilots"))
                 .outerjoin(m, m.c.id == p.c.module_id).order_by(p.c.id))
        if vendor is not None:
            query = query.where(p.c.vendor == vendor)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    # ──
    def _all(self, kind: type[Record], table: Table, pilot_id: int, order: Any) -> list[Record]:
        """The pilot's rows of ``table`` as records (read once within a page: `page_reads`), by a statement built
        once per table (building one costs more than running it on a pilot's few rows)."""
        return remembered(self.engine, (table.name, pilot_id), lambda conn: [
            _record(kind, row) for row in conn.execute(_by_pilot(table, order), {"pilot_id": pilot_id})])


_BY_PILOT: dict[str, Any] = {}


def _by_pilot(table: Table, order: Any) -> Any:
    """SELECT the pilot's rows of ``table`` in ``order`` (one order a table), the pilot a bound parameter."""
    found = _BY_PILOT.get(table.name)
    if found is None:
        found = _BY_PILOT[table.name] = (select(table).where(table.c.pilot_id == bindparam("pilot_id"))
                                         .order_by(order))
    return found


def _rows(conn: Connection, query: Any) -> list[dict[str, Any]]:
    return [{k: _utc(v) for k, v in row._mapping.items()} for row in conn.execute(query)]
