"""The sandbox's schema comes from its Alembic migrations: they build exactly the store's tables, a database made
before migrations is adopted with its data, and migrating twice changes nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from teleservice_sandbox import database_url

from preserie.teleservice.records import Coverage
from preserie.teleservice.schema import FIRST_REVISION, head_revision, migrate
from preserie.teleservice.store import SqlPrescriptionStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqlPrescriptionStore]:
    made = SqlPrescriptionStore(database_url(request.param, tmp_path_factory), table_prefix=f"m{uuid.uuid4().hex[:8]}_")
    try:
        yield made
    finally:
        made.drop_tables()
        made.close()


def _version(store: SqlPrescriptionStore) -> list[str]:
    with store.engine.connect() as conn:
        return [row[0] for row in conn.exec_driver_sql(f'SELECT version_num FROM "{store.prefix}alembic_version"')]


def _differences(store: SqlPrescriptionStore) -> list[object]:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": f"{store.prefix}alembic_version",
                                                         "compare_type": True})
        ours = {table.name for table in store.metadata.sorted_tables}
        return [diff for diff in compare_metadata(context, store.metadata)
                if not (diff[0] == "remove_table" and diff[1].name not in ours)]  # other tests' tables


def test_the_migrations_build_exactly_the_store_tables(store: SqlPrescriptionStore) -> None:
    store.create_tables()
    assert _differences(store) == []
    assert _version(store) == [head_revision()]


def test_migrating_twice_changes_nothing(store: SqlPrescriptionStore) -> None:
    store.create_tables()
    store.create_tables()
    assert _version(store) == [head_revision()]
    assert _differences(store) == []


def test_a_database_made_before_migrations_is_adopted_with_its_rows(store: SqlPrescriptionStore) -> None:
    migrate(store.engine, store.prefix, FIRST_REVISION)  # the tables create_all made before migrations, then
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE "{store.prefix}alembic_version"')  # ... without a version table
        conn.execute(store.t["journal"].insert(), {"at": datetime(2026, 1, 1, tzinfo=UTC), "operation": "create",
                                                    "method": "POST", "status": 201, "duration_ms": 3})
    assert f"{store.prefix}alembic_version" not in inspect(store.engine).get_table_names()
    migrate(store.engine, store.prefix)
    assert _version(store) == [head_revision()]
    assert _differences(store) == []
    with store.engine.connect() as conn:
        assert conn.execute(select(store.t["journal"].c.operation)).scalars().all() == ["create"]


def test_prescriptions_stored_before_the_registry_verdict_are_registered(store: SqlPrescriptionStore) -> None:
    migrate(store.engine, store.prefix, FIRST_REVISION)
    with store.engine.begin() as conn:  # a prescription as revision 0001 stored it
        conn.exec_driver_sql(
            f'INSERT INTO "{store.prefix}prescriptions" (id, prescriber_id, patient_nir, category, created_at, '
            "status, software_name, software_version, dispensing_visible, dmp_deposit) VALUES "
            "('01S2TBPZ2JCNZZYGHZ', '10003456789', '184127512345678', 'medicines', '2026-01-05 10:00:00+00:00', "
            "'issued', 'Logiciel', '5.2.0', true, false)")
    migrate(store.engine, store.prefix)
    assert [(pid, status, code) for pid, _, _, status, code in store.registrations()] == [
        ("01S2TBPZ2JCNZZYGHZ", "registered", None)]


def test_prescriptions_stored_before_the_content_revision_read_as_before(store: SqlPrescriptionStore) -> None:
    """Revision 0004 (the prescription's content): a prescription and its line stored at 0003 keep every value,
    and read with no prescriber nor dates (so they never expire), a line without posology, no renewal, the
    substitution unsaid and no coverage flag; the upgraded database takes a dispensing of it."""
    migrate(store.engine, store.prefix, "0003")
    with store.engine.begin() as conn:  # as revision 0003 stored them
        conn.exec_driver_sql(
            f'INSERT INTO "{store.prefix}prescriptions" (id, prescriber_id, patient_nir, category, created_at, '
            "status, software_name, software_version, dispensing_visible, dmp_deposit, registry_status) VALUES "
            "('01S2TBPZ2JCNZZYGHZ', '10003456789', '184127512345678', 'medicines', '2024-01-05 10:00:00+00:00', "
            "'issued', 'Logiciel', '5.2.0', true, false, 'registered')")
        conn.exec_driver_sql(
            f'INSERT INTO "{store.prefix}lines" (prescription_id, number, code, text, quantity, duration_days, '
            "dispensed) VALUES ('01S2TBPZ2JCNZZYGHZ', 1, '3400930000000', 'Paracétamol 1 g', 2, 30, 0)")
    migrate(store.engine, store.prefix)
    assert _differences(store) == []
    found = store.get("01S2TBPZ2JCNZZYGHZ")
    assert found is not None
    assert (found.prescriber_id, found.category, found.patient_nir, found.status, found.software_version) == (
        "10003456789", "medicines", "184127512345678", "issued", "5.2.0")
    assert (found.prescriber, found.authored_on, found.valid_until, found.execute_on, found.cancelled_at) == (
        None, None, None, None, None)
    [line] = found.lines
    assert (line.code, line.text, line.quantity, line.duration_days, line.dispensed) == (
        "3400930000000", "Paracétamol 1 g", 2, 30, 0)
    assert (line.posology, line.renewals, line.substitution_allowed, line.coverage) == (None, 0, None, Coverage())
    status, replayed = store.dispense("01S2TBPZ2JCNZZYGHZ", "2012345678", "pharmacist", {1: 2},
                                      render=lambda record: record.status, today=date(2026, 12, 2))
    assert (status, replayed) == ("dispensed", False)
