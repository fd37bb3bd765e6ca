"""PostgreSQL drops the sandbox's connections (a restart, an administrator's ``pg_terminate_backend``): the pool is
not pinged before each call (decision 0007, « Throughput »), so the sandbox must notice a dead connection when it
uses one. A read runs again on a fresh connection and answers as if nothing happened; a write answers 503
TS_DATABASE_UNAVAILABLE at most once, and its retry with the same Idempotency-Key stores one prescription."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from teleservice_sandbox import Sandbox, created, database_url, draft, error_code, new_id, serving


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with serving(database_url("postgresql", tmp_path_factory)) as served:
        yield served


def _drop_its_connections(sandbox: Sandbox) -> int:
    """Terminate every PostgreSQL session of this sandbox's store (named after its tables' prefix); how many."""
    name = f"preserie-teleservice {sandbox.store.prefix}".rstrip()
    administrator = create_engine(sandbox.store.engine.url, poolclass=NullPool)  # a session outside the pool
    try:
        with administrator.connect() as conn:
            ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE application_name = :name"), {"name": name})
            return int(ended.scalar_one())
    finally:
        administrator.dispose()


def test_reads_after_the_database_dropped_the_connections_answer_as_before(sandbox: Sandbox) -> None:
    prescriber = new_id()
    with sandbox.client(prescriber) as client:
        mine = [created(client) for _ in range(3)]
        for _ in range(3):  # several pooled connections, all in use once
            assert client.get(f"/v1/prescriptions/{mine[0]}").status_code == 200
        assert _drop_its_connections(sandbox) >= 1
        consulted = client.get(f"/v1/prescriptions/{mine[1]}")
        searched = client.get("/v1/prescriptions")
        health = client.get("/v1/health")
    assert (consulted.status_code, consulted.json()["id"]) == (200, mine[1])
    assert searched.status_code == 200 and {p["id"] for p in searched.json()["items"]} == set(mine)
    assert health.status_code == 200


def test_a_create_on_a_dropped_connection_fails_once_and_its_retry_stores_one_prescription(sandbox: Sandbox) -> None:
    prescriber = new_id()
    body = draft()
    with sandbox.client(prescriber) as client:
        created(client)
        assert _drop_its_connections(sandbox) >= 1
        answers = [client.post("/v1/prescriptions", json=body, headers={"Idempotency-Key": "retry-1"})
                   for _ in range(3)]
        listed = client.get("/v1/prescriptions").json()
    statuses = [a.status_code for a in answers]
    assert statuses in ([201, 201, 201], [503, 201, 201]), statuses
    if statuses[0] == 503:
        assert error_code(answers[0]) == (503, "TS_DATABASE_UNAVAILABLE")
    assert answers[-1].headers.get("Idempotent-Replayed") == "true"
    assert sum(p["id"] == body["id"] for p in listed["items"]) == 1
