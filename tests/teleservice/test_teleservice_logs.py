"""No patient's NIR in what the server writes: its whole stdout and stderr, as deployed (``app.serve`` in a process
of its own), after searches by patient answered 200, 401 and 403, and in the errors of a database that fails."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError
from teleservice_sandbox import SECRET, created, database_url, draft, nir, server_process

from preserie.teleservice.records import SearchQuery
from preserie.teleservice.store import SqlPrescriptionStore
from preserie.teleservice.tokens import issue_token

NIR = nir("1841275123456")


@pytest.mark.parametrize(("kind", "workers"), [("sqlite", 1), ("sqlite", 2), ("postgresql", 1)])
def test_no_nir_in_the_server_output_whatever_the_answer(kind: str, workers: int, tmp_path: Path,
                                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    output = tmp_path / "server.log"
    by_patient = {"patient": NIR}
    with server_process(database_url(kind, tmp_path_factory), output, workers=workers) as sandbox, \
            sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist, \
            sandbox.anonymous() as anonymous:
        prescription_id = created(prescriber, draft(patient=NIR))
        statuses = [prescriber.get("/v1/prescriptions", params=by_patient).status_code,
                    anonymous.get("/v1/prescriptions", params=by_patient).status_code,
                    anonymous.get("/v1/prescriptions", params=by_patient,
                                  headers={"Authorization": "Bearer forged"}).status_code,
                    pharmacist.get("/v1/prescriptions", params=by_patient).status_code,
                    prescriber.get(f"/v1/nothing/{NIR}", params=by_patient).status_code,
                    pharmacist.get(f"/v1/prescriptions/{prescription_id}").status_code]
    assert statuses == [200, 401, 401, 403, 404, 200]
    written = output.read_text(encoding="utf-8", errors="replace")
    assert NIR not in written and NIR[:13] not in written
    assert prescription_id not in written  # who holds an id reads the prescription (the QR code): not logged either
    # the access log is still there, one line a call, with the route's template
    assert written.count('"GET /v1/prescriptions HTTP/1.1" 200') == 1
    assert written.count('"GET /v1/prescriptions HTTP/1.1" 401') == 2
    assert written.count('"GET /v1/prescriptions HTTP/1.1" 403') == 1
    assert '"GET /v1/prescriptions/{prescription_id} HTTP/1.1" 200' in written


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_failing_statement_names_no_parameter(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A database error was logged with its statement's parameters (SQLAlchemy's default): a search by patient
    while the database failed wrote the NIR in the warning of the 503."""
    store = SqlPrescriptionStore(database_url(kind, tmp_path_factory), table_prefix=f"n{uuid.uuid4().hex[:8]}_")
    try:  # its tables never created: every statement fails
        with pytest.raises(DBAPIError) as failed:
            store.search(SearchQuery("P1", NIR, None, None, None, None, 1, 20))
        assert NIR not in str(failed.value) and "parameters" in str(failed.value)
    finally:
        store.close()


def test_the_token_secret_is_not_written_either(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    output = tmp_path / "server.log"
    with server_process(database_url("sqlite", tmp_path_factory), output) as sandbox:
        token = issue_token(SECRET, "P1", "prescriber")
        with sandbox.anonymous() as client:
            assert client.get("/v1/prescriptions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    written = output.read_text(encoding="utf-8")
    assert SECRET not in written and token not in written and "Uvicorn running" in written
