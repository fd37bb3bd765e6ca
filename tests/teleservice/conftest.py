"""One real sandbox server per test module and database: SQLite in a temporary file, and PostgreSQL at
PRESERIE_TEST_DATABASE_URL (skipped when unset, except under CI where it fails). Tables get a random prefix and are
dropped afterwards, so the shared test database keeps nothing."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from teleservice_sandbox import SECRET, Sandbox, running

from preserie.teleservice.app import create_app
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import SqlPrescriptionStore

PG_ENV = "PRESERIE_TEST_DATABASE_URL"


def _database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('teleservice') / 'sandbox.db'}"
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} absent sous CI : les tests PostgreSQL du bac à sable ne doivent pas être sautés")
        pytest.skip(f"{PG_ENV} absent : variante PostgreSQL sautée")
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    settings = Settings(secret=SECRET, database=_database_url(request.param, tmp_path_factory),
                        table_prefix=f"t{secrets.token_hex(4)}_")
    store = SqlPrescriptionStore(settings.database_url, table_prefix=settings.table_prefix)
    try:
        with running(create_app(settings, store=store)) as base_url:
            yield Sandbox(base_url, store)
    finally:
        store.drop_tables()
        store.close()
