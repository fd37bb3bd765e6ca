"""Alembic's entry point: runs the migrations on the connection and prefix the store hands over."""

from __future__ import annotations

from alembic import context

config = context.config
prefix: str = config.attributes.get("table_prefix", "")
context.configure(connection=config.attributes["connection"], version_table=f"{prefix}alembic_version",
                  transaction_per_migration=False)
with context.begin_transaction():
    context.run_migrations(prefix=prefix)
