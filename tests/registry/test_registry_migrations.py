"""The registry's schema comes from its Alembic migrations: upgrading an empty database builds exactly the tables
of `adapters.db.tables`, downgrading removes every one, and a database kept from an earlier start keeps its rows.
SQLite and PostgreSQL (in CI)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
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
