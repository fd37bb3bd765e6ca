"""The sandbox's database schema, as Alembic migrations (`preserie.teleservice.schema.migrate` runs them).

Tables carry the store's prefix (tests share one database), so every migration takes `prefix`; the version table
is `{prefix}alembic_version`. A new migration: `alembic -c <an ini naming this directory> revision -m "..."`, or a
copy of the last one in versions/ with its down_revision set to it. `tests/teleservice/test_teleservice_migrations.py`
fails when the migrations and the store's tables (`tables.tables`) differ.
"""
