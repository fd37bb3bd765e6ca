"""Alembic's entry point: runs the migrations on the connection `engine.migrate` hands over."""

from __future__ import annotations

from alembic import context

from preserie.adapters.db.tables import metadata

config = context.config
connection = config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, transaction_per_migration=False,
                  render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters tables by copying them
with context.begin_transaction():
    context.run_migrations()
