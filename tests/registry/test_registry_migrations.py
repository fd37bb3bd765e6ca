"""The registry's schema comes from its Alembic migrations: upgrading an empty database builds exactly the tables
of `adapters.db.tables`, downgrading removes every one, and a database kept from an earlier start keeps its rows.
SQLite and PostgreSQL (in CI)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from registry_databases import database
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from preserie.adapters.db import tables
from preserie.adapters.db.engine import downgrade, head_revision, make_engine, migrate
from preserie.bootstrap import build_registry
from preserie.config import ServiceSettings


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as made:
        yield made


@pytest.fixture
def engine(url: str) -> Iterator[Engine]:
    made = make_engine(url)
    yield made
    made.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata))


def _version(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrading_an_empty_database_builds_exactly_the_tables(engine: Engine) -> None:
    migrate(engine)
    assert _differences(engine) == []
    assert _version(engine) == head_revision()


def test_downgrading_to_base_removes_every_table_and_upgrading_again_rebuilds_them(engine: Engine) -> None:
    migrate(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert _version(engine) is None
    migrate(engine)
    assert _differences(engine) == []


def test_migrating_twice_changes_nothing(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    assert _version(engine) == head_revision() and _differences(engine) == []


def test_a_database_from_an_earlier_start_keeps_its_rows(url: str, tmp_path: Path) -> None:
    settings = ServiceSettings(data=tmp_path / "data", database=url)
    first = build_registry(settings)
    first.repo.add_account("cnam", "Cnam", None, None, dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    first.repo.engine.dispose()
    again = build_registry(settings)  # what `preserie serve` does at each start
    with again.repo.engine.connect() as conn:
        assert conn.execute(select(tables.accounts.c.name)).scalars().all() == ["Cnam"]
    assert _version(again.repo.engine) == head_revision()
    again.repo.engine.dispose()


def test_a_database_at_the_first_revision_keeps_its_rows_when_serve_migrates_it(url: str, tmp_path: Path) -> None:
    """Rows written under revision 0001 (what the first release of the registry made) are there after `serve`'s
    start has brought the schema to the head."""
    first = make_engine(url)
    migrate(first, "0001")
    at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    with first.begin() as conn:
        conn.execute(tables.accounts.insert(), {"role": "vendor", "name": "Éditeur", "vendor": "V", "created_at": at})
        conn.execute(tables.pilots.insert(), {"key": "a1b2c3d4e5f60718", "ref": "p-1", "vendor": "V",
                                              "status": "running", "phase": 1, "declaration": {"software": {}},
                                              "created_at": at, "updated_at": at})
    first.dispose()
    registry = build_registry(ServiceSettings(data=tmp_path / "data", database=url))
    try:
        assert _version(registry.repo.engine) == head_revision()
        assert [a["name"] for a in registry.repo.accounts()] == ["Éditeur"]
        kept = registry.repo.pilot("a1b2c3d4e5f60718")
        assert kept is not None and kept.ref == "p-1" and kept.status == "running"
        assert registry.repo.registration_uploads(kept.id) == []  # the tables of later revisions, empty
    finally:
        registry.repo.engine.dispose()


def test_going_down_from_the_web_sessions_keeps_the_accounts_tokens(engine: Engine) -> None:
    """0005 adds a column to `accounts`; taking it away again must not copy the table (on SQLite, dropping the
    old copy would cascade to every token)."""
    migrate(engine)
    at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    with engine.begin() as conn:
        account = conn.execute(tables.accounts.insert().returning(tables.accounts.c.id),
                               {"role": "cnam", "name": "Cnam", "created_at": at}).scalar_one()
        conn.execute(tables.tokens.insert(), {"account_id": account, "digest": "d" * 64, "created_at": at,
                                              "expires_at": at + dt.timedelta(days=90)})
    downgrade(engine, "0003")
    with engine.connect() as conn:
        assert conn.execute(select(tables.tokens.c.digest)).scalars().all() == ["d" * 64]
    assert "revoked_at" not in {c["name"] for c in inspect(engine).get_columns("accounts")}
    migrate(engine)
    assert _differences(engine) == []


# The digests the duplicates index kept before 0006 (trace_sql of then): a key of "t", the second in 9 hex digits and
# 22 of md5(event_id); the content, md5 of the other fields as the engine normalised them.
OLD_DIGESTS = """
SELECT 't' || lpad(lower(to_hex(floor(epoch(ts))::BIGINT)), 9, '0') || left(md5(event_id), 22),
       md5(event_id), md5(to_json(struct_pack({fields})))
FROM records ORDER BY rowid
"""


def test_the_duplicates_index_is_carried_to_numbers_and_a_batch_sent_again_still_matches(engine: Engine,
                                                                                       tmp_path: Path) -> None:
    """0006: every row of the text index becomes the numbers the collector's check now gives the same record (a
    key of before the ts came first, with the second LEGACY_TS), so that a batch sent again after the upgrade is
    still found."""
    from preserie.adapters import trace_sql
    from preserie.adapters.collector_batch import check_batches
    from preserie.adapters.db.collector_repository import LEGACY_TS, legacy_content
    from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
    from preserie.adapters.trace_files import TraceFile
    from preserie.data import load_reference

    record = {"event_id": "e1", "ts": "2025-01-13T09:00:00.250+01:00", "practitioner": "111", "situation": "liberal",
              "workstation": "111-P1", "software_version": "5.2.0", "type": "workstation", "os": "Windows",
              "os_version": "11", "card_reader": "R", "card_kind": "cps", "network": "fibre"}
    older = {**record, "event_id": "e0", "network": "4g"}
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in (record, older)))
    trace_file = TraceFile(path, "traces/batch.jsonl", "jsonl", False)
    with DuckdbTraceStore(load_reference()) as store:
        store.load_traces([trace_file], lambda _: None)
        (key, _, content), (_, legacy_event, legacy_digest) = store.con.execute(
            OLD_DIGESTS.format(fields=", ".join(trace_sql.TEXT_FIELDS[1:]))).fetchall()
    migrate(engine, "0005")
    at = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    old = sa.table("collector_events", sa.column("pilot_id"), sa.column("event"), sa.column("content"))
    with engine.begin() as conn:
        pilot = conn.execute(tables.pilots.insert().returning(tables.pilots.c.id), {
            "key": "a1b2c3d4e5f60718", "ref": "p-1", "vendor": "V", "status": "running", "phase": 1,
            "declaration": {}, "created_at": at, "updated_at": at}).scalar_one()
        conn.execute(old.insert(), [{"pilot_id": pilot, "event": key, "content": content},
                                    {"pilot_id": pilot, "event": legacy_event, "content": legacy_digest}])
    migrate(engine)
    (checked,) = check_batches([(trace_file, "111")], load_reference(), legacy=[0])
    (now, now_event, _), (_, older_event, _) = checked.key_triples()
    now_old, older_old = checked.legacy_contents
    with engine.connect() as conn:
        carried = set(conn.execute(select(tables.collector_keys)).all())
        legacy = conn.execute(select(tables.collector_legacy_pilots.c.pilot_id)).scalars().all()
    assert now == 1736755200  # 08:00:00 UTC, the quarter second dropped
    assert carried == {(pilot, now, now_event, legacy_content(now_old)),
                       (pilot, LEGACY_TS, older_event, legacy_content(older_old))}
    assert now_old == int(content[:16], 16) >> 1 and legacy == [pilot]
    assert "collector_events" not in inspect(engine).get_table_names()
