"""The registry's schema as Alembic migrations (`adapters.db.engine.migrate` runs them at `preserie serve`'s start).

A new migration: change `tables.py`, then copy the last file of versions/ with its down_revision set to it (or
`alembic revision --autogenerate` with an ini naming this directory). `tests/integration/test_registry_migrations.py`
fails when the migrations and `tables.metadata` differ.
"""
