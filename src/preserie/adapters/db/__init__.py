"""The registry's database: its tables (SQLAlchemy Core, `tables.py`), their migrations (Alembic, `migrations/`),
the engine (`engine.py`) and one repository per thing the parties record (`repositories.py`).

SQLite (a file in the data directory) by default, PostgreSQL in production. Tables are neither the API's schemas
(`api/schemas.py`) nor the domain's objects (`domain/`): the repositories translate.
"""
