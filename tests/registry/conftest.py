"""The registry world, built once per test session and database: SQLite in a temporary data directory, and
PostgreSQL at PRESERIE_TEST_DATABASE_URL in a schema of its own, dropped afterwards (skipped when the URL is unset,
except under CI where it fails)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_world import BACKENDS, World, simulate, world_on


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Vendor A's folder (nominal) and vendor B's (another seed, another outcome); read, never written."""
    base = tmp_path_factory.mktemp("folders")
    return {"a": simulate(base / "a", seed=1), "b": simulate(base / "b", seed=2, scenario="unhappy")}


@pytest.fixture(scope="session", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          simulated: dict[str, Path]) -> Iterator[World]:
    """The world the read-only tests share: requests that change nothing, or that the rules refuse."""
    with world_on(request.param, tmp_path_factory.mktemp(f"world-{request.param}"), simulated) as built:
        yield built
