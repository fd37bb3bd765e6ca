"""The registry's test databases: SQLite in a temporary file, and PostgreSQL at PRESERIE_TEST_DATABASE_URL in a
schema of its own (other runs share that database), dropped afterwards. PostgreSQL is skipped when the URL is
unset, except under CI where that fails."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine

PG_ENV = "PRESERIE_TEST_DATABASE_URL"


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A URL to an empty registry database of ``kind``, gone after the block."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'registry.db'}"
        return
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} absent sous CI : les tests PostgreSQL du registre ne doivent pas être sautés")
        pytest.skip(f"{PG_ENV} absent : variante PostgreSQL sautée")
    schema = f"reg_{secrets.token_hex(5)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()
