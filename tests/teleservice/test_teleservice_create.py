"""Create, through a real server: scope, NIR, validation, QR code, and idempotency under concurrent retries."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import event
from teleservice_sandbox import PRACTICE_AM, RPPS, Sandbox, database_url, draft, error_code, nir

from preserie.teleservice.catalogue import TeleserviceError
from preserie.teleservice.ids import is_prescription_id, new_prescription_id
from preserie.teleservice.records import NewLine, NewPrescription, Posology, Prescriber, SearchQuery
from preserie.teleservice.rules import cip13
from preserie.teleservice.store import SqlPrescriptionStore


def test_a_prescriber_creates_a_prescription_with_an_issued_id_and_its_qr_code(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        response = prescriber.post("/v1/prescriptions", json=draft())
        assert response.status_code == 201
        body = response.json()
        assert is_prescription_id(body["id"])
        assert response.headers["location"] == body["url"] == f"/v1/prescriptions/{body['id']}"
        assert body["qr_svg"].startswith("<svg") and body["id"] in body["qr_svg"]
        png = prescriber.get(body["qr_png_url"])
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        assert png.content.startswith(b"\x89PNG")
        svg = prescriber.get(body["qr_svg_url"])
        assert svg.headers["content-type"].startswith("image/svg+xml") and body["id"] in svg.text


def test_two_creates_issue_two_different_ids(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        first, second = (prescriber.post("/v1/prescriptions", json=draft()).json()["id"] for _ in range(2))
    assert first != second


@pytest.mark.parametrize("category", ["imaging", "transport"])
def test_imaging_and_transport_are_refused_out_of_scope(sandbox: Sandbox, category: str) -> None:
    with sandbox.client() as prescriber:
        assert error_code(prescriber.post("/v1/prescriptions", json=draft(category))) == (422, "CATEGORY_OUT_OF_SCOPE")


def test_an_unknown_category_is_refused(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        assert error_code(prescriber.post("/v1/prescriptions", json=draft("surgery"))) == (422, "UNKNOWN_CATEGORY")


def test_a_nir_with_a_wrong_key_is_refused_with_the_expected_key(sandbox: Sandbox) -> None:
    good = nir()
    bad = good[:13] + f"{(int(good[13:]) + 1) % 100:02d}"
    with sandbox.client() as prescriber:
        response = prescriber.post("/v1/prescriptions", json=draft(patient=bad))
    assert error_code(response) == (422, "INVALID_NIR")
    assert good[13:] in response.json()["message"]


def test_a_spaced_nir_is_refused_as_the_schema_says_not_stored_as_typed(sandbox: Sandbox) -> None:
    good = nir()
    spaced = f"{good[0]} {good[1:3]} {good[3:5]} {good[5:7]} {good[7:10]} {good[10:13]} {good[13:]}"
    with sandbox.client() as prescriber:
        response = prescriber.post("/v1/prescriptions", json=draft(patient=spaced))
        assert error_code(response) == (422, "INVALID_NIR")
        assert "sans espace" in response.json()["message"]
        assert error_code(prescriber.get("/v1/prescriptions", params={"patient": spaced}))[0] == 422


def test_a_body_missing_fields_is_invalid_with_the_fields_named(sandbox: Sandbox) -> None:
    body = draft()
    del body["consents"]
    body["lines"][0]["quantity"] = 0
    with sandbox.client() as prescriber:
        response = prescriber.post("/v1/prescriptions", json=body)
    assert error_code(response) == (422, "INVALID_REQUEST")
    places = {tuple(detail["loc"]) for detail in response.json()["details"]}
    assert ("body", "consents") in places and ("body", "lines", 0, "quantity") in places


def test_a_line_needs_a_code_or_a_text(sandbox: Sandbox) -> None:
    body = draft()
    body["lines"] = [{"quantity": 1}]
    with sandbox.client() as prescriber:
        assert error_code(prescriber.post("/v1/prescriptions", json=body)) == (422, "INVALID_REQUEST")


def test_unreadable_json_is_a_malformed_request(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        response = prescriber.post("/v1/prescriptions", content=b"{not json",
                                   headers={"content-type": "application/json"})
    assert error_code(response) == (400, "MALFORMED_REQUEST")


def test_a_pharmacist_cannot_create(sandbox: Sandbox) -> None:
    with sandbox.client(role="pharmacist") as pharmacist:
        assert error_code(pharmacist.post("/v1/prescriptions", json=draft())) == (403, "ROLE_NOT_ALLOWED")


def test_a_retry_with_the_same_key_returns_the_first_prescription(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        body = draft()
        first = prescriber.post("/v1/prescriptions", json=body, headers={"Idempotency-Key": "k-1"})
        again = prescriber.post("/v1/prescriptions", json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        assert prescriber.get("/v1/prescriptions").json()["total"] == 1


def test_the_same_key_with_another_body_is_refused(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescriber.post("/v1/prescriptions", json=draft(), headers={"Idempotency-Key": "k-2"})
        response = prescriber.post("/v1/prescriptions", json=draft("nursing"), headers={"Idempotency-Key": "k-2"})
        assert error_code(response) == (422, "IDEMPOTENCY_KEY_REUSED")
        assert prescriber.get("/v1/prescriptions").json()["total"] == 1


def test_keys_belong_to_their_prescriber(sandbox: Sandbox) -> None:
    with sandbox.client() as one, sandbox.client() as other:
        first = one.post("/v1/prescriptions", json=draft(), headers={"Idempotency-Key": "shared"}).json()["id"]
        second = other.post("/v1/prescriptions", json=draft(), headers={"Idempotency-Key": "shared"}).json()["id"]
    assert first != second


@pytest.mark.parametrize("key", ["", "x" * 129, "clé"])
def test_an_unusable_idempotency_key_is_refused(sandbox: Sandbox, key: str) -> None:
    with sandbox.client() as prescriber:
        response = prescriber.post("/v1/prescriptions", json=draft(),
                                   headers={"Idempotency-Key": key.encode()})
        assert error_code(response) == (400, "INVALID_IDEMPOTENCY_KEY")


def test_concurrent_retries_with_one_key_create_exactly_one_prescription(sandbox: Sandbox) -> None:
    body = draft()
    with sandbox.client() as prescriber:
        def create(_: int) -> tuple[int, str]:
            response = prescriber.post("/v1/prescriptions", json=body, headers={"Idempotency-Key": "storm"})
            return response.status_code, response.json().get("id", response.text)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(create, range(8)))
        assert {status for status, _ in answers} == {201}
        assert len({prescription_id for _, prescription_id in answers}) == 1
        assert prescriber.get("/v1/prescriptions").json()["total"] == 1


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_replay_raises_no_database_error(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A retried create finds its key claimed without a failed statement (PostgreSQL logged an ERROR for each
    replay when the duplicate key was caught as an IntegrityError)."""
    store = SqlPrescriptionStore(database_url(kind, tmp_path_factory), table_prefix=f"t{uuid.uuid4().hex[:8]}_")
    errors: list[str] = []
    event.listen(store.engine, "handle_error", lambda context: errors.append(str(context.original_exception)))
    store.create_tables()
    try:
        prescription = NewPrescription(
            id=new_prescription_id(), prescriber_id="10003456789", category="medicines", patient_nir=nir(),
            software_name="Logiciel", software_version="5.2.0", dispensing_visible_to_prescriber=True,
            dmp_deposit=False, prescriber=Prescriber(RPPS, "am", PRACTICE_AM),
            lines=(NewLine(code=cip13("340093000000"), text=None, quantity=1, duration_days=None,
                           posology=Posology("1 par jour")),))
        first, replayed = store.create(prescription, today=date.today(), key="k-1", body_hash="h1")
        again, replayed_again = store.create(prescription, today=date.today(), key="k-1", body_hash="h1")
        assert (again, replayed, replayed_again) == (first, False, True)
        with pytest.raises(TeleserviceError) as refused:
            store.create(prescription, today=date.today(), key="k-1", body_hash="another body")
        assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
        assert errors == []
        found, total = store.search(SearchQuery(prescriber_id="10003456789", patient_nir=None, start=None, end=None,
                                                category=None, status=None, page=1, size=10))
        assert ([p.id for p in found], total) == ([first], 1)
    finally:
        store.drop_tables()
        store.close()
