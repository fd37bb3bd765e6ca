"""The sandbox's database: its engine (SQLite tuned for concurrent writes, or PostgreSQL) and its schema's
migrations (Alembic, ``migrations/``), which build the tables of tables.py."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Connection, Engine

if TYPE_CHECKING:  # alembic is imported when the schema is migrated, not with the store
    from alembic.config import Config

FIRST_REVISION = "0001"  # migrations/versions/v0001_initial.py: the tables the sandbox made before migrations


def _migrations(prefix: str) -> Config:
    """Alembic's configuration for the migrations of tables named with ``prefix``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files(__package__).joinpath("migrations")))
    config.attributes["table_prefix"] = prefix
    return config


def head_revision() -> str:
    """The last migration: the schema of the store's tables (`tables`)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_migrations("")).get_current_head()
    return str(head)


def migrate(engine: Engine, prefix: str = "", revision: str = "head") -> None:
    """Run the migrations the database lacks, up to ``revision`` (Alembic, `migrations/`). A database the sandbox
    made before it had migrations (its tables, no version table) is first marked as being at the first one,
    whose tables it has."""
    from alembic import command

    config = _migrations(prefix)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if f"{prefix}prescriptions" in tables and f"{prefix}alembic_version" not in tables:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


def make_engine(url: str, *, application_name: str = "preserie-teleservice") -> Engine:
    """The store's engine. On PostgreSQL its sessions are named ``application_name`` (pg_stat_activity), and a
    pooled connection is not pinged before each use: that ``SELECT 1`` was a round trip of every call (decision
    0007, « Throughput »); a connection the database dropped fails once, the pool is then renewed (store._read)."""
    # hide_parameters: a failed statement's message (logged with the 503 it gives) would name its parameters, a
    # patient's NIR among them.
    if not url.startswith("sqlite"):
        # Per process (a process runs one call at a time, its journal writer beside it; `slow-database` runs calls in
        # threads): `serve --workers 4` holds at most 64 of PostgreSQL's 100 connections by default.
        return create_engine(url, pool_size=8, max_overflow=8, hide_parameters=True,
                             connect_args={"application_name": application_name[:63]})
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

    # pysqlite's own transaction handling cannot BEGIN IMMEDIATE; take it over (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
