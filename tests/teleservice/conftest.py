"""One real sandbox server per test module and database: SQLite in a temporary file, and PostgreSQL at
PRESERIE_TEST_DATABASE_URL (skipped when unset, except under CI where it fails). Tables get a random prefix and are
dropped afterwards, so the shared test database keeps nothing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from teleservice_sandbox import SECRET, Sandbox, database_url, running

from preserie.teleservice.app import create_app
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import SqlPrescriptionStore


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    settings = Settings(secret=SECRET, database=database_url(request.param, tmp_path_factory),
                        table_prefix=f"t{secrets.token_hex(4)}_")
    store = SqlPrescriptionStore(settings.database_url, table_prefix=settings.table_prefix)
    try:
        with running(create_app(settings, store=store)) as base_url:
            yield Sandbox(base_url, store)
    finally:
        store.drop_tables()
        store.close()
