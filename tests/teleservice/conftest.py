"""One real sandbox server per test module and database: SQLite in a temporary file, and PostgreSQL at
PRESERIE_TEST_DATABASE_URL (skipped when unset, except under CI where it fails). Tables get a random prefix and are
dropped afterwards, so the shared test database keeps nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from teleservice_sandbox import Sandbox, database_url, serving


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sandbox(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with serving(database_url(request.param, tmp_path_factory)) as served:
        yield served
