"""Consult and search through a real server: who sees what, and no answer that tells an id exists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from teleservice_sandbox import UNKNOWN_ID, Sandbox, created, draft, error_code, new_id, nir


def test_the_prescriber_consults_their_own_prescription(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber)
        body = prescriber.get(f"/v1/prescriptions/{prescription_id}").json()
    assert body["id"] == prescription_id and body["category"] == "medicines" and body["status"] == "issued"
    assert [line["quantity"] for line in body["lines"]] == [2, 1] and body["patient_nir"] == nir()
    assert body["software"] == {"name": "LogiMed Cabinet", "version": "5.2.0"}


def test_another_prescriber_gets_the_same_404_as_for_an_unknown_id(sandbox: Sandbox) -> None:
    with sandbox.client() as owner, sandbox.client() as other:
        prescription_id = created(owner)
        theirs = other.get(f"/v1/prescriptions/{prescription_id}")
        unknown = other.get(f"/v1/prescriptions/{UNKNOWN_ID}")
        qr = other.get(f"/v1/prescriptions/{prescription_id}/qr.png")
    assert error_code(theirs) == error_code(unknown) == error_code(qr) == (404, "PRESCRIPTION_NOT_FOUND")
    assert theirs.json() == unknown.json()


@pytest.mark.parametrize("odd_id", ["short", "0" * 19, "01S2TBPZ2JCNZZYGHZ"])
def test_an_id_that_cannot_be_one_is_told_apart_from_an_unknown_one(sandbox: Sandbox, odd_id: str) -> None:
    with sandbox.client() as prescriber:
        answer = prescriber.get(f"/v1/prescriptions/{odd_id}")
        assert error_code(answer) == (400, "INVALID_PRESCRIPTION_ID")


def test_a_prescribed_professional_consults_from_the_id(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber)
        response = pharmacist.get(f"/v1/prescriptions/{prescription_id}")
    assert response.status_code == 200 and response.json()["id"] == prescription_id


def _dispense_first_line(sandbox: Sandbox, prescription_id: str) -> None:
    with sandbox.client(role="pharmacist") as pharmacist:
        response = pharmacist.post(f"/v1/prescriptions/{prescription_id}/dispensations",
                                   json={"lines": [{"line": 1, "quantity": 1}]})
        assert response.status_code == 201, response.text


def test_the_prescriber_sees_the_dispensing_when_the_patient_agrees(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber, draft(visible=True))
        _dispense_first_line(sandbox, prescription_id)
        body = prescriber.get(f"/v1/prescriptions/{prescription_id}").json()
    assert body["dispensing_visible"] and body["status"] == "partially_dispensed"
    assert body["lines"][0]["dispensed"] == 1 and len(body["dispensations"]) == 1


def test_the_dispensing_stays_hidden_from_the_prescriber_when_the_patient_objected(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(visible=False))
        _dispense_first_line(sandbox, prescription_id)
        body = prescriber.get(f"/v1/prescriptions/{prescription_id}").json()
        found = prescriber.get("/v1/prescriptions").json()["items"][0]
        seen_by_pharmacist = pharmacist.get(f"/v1/prescriptions/{prescription_id}").json()
    for view in (body, found):
        assert view["dispensing_visible"] is False and view["status"] is None and view["dispensations"] == []
        assert all(line["dispensed"] is None for line in view["lines"])
    assert seen_by_pharmacist["status"] == "partially_dispensed" and len(seen_by_pharmacist["dispensations"]) == 1


@pytest.mark.parametrize("role", ["pharmacist", "nurse"])
def test_a_prescribed_professional_cannot_search(sandbox: Sandbox, role: str) -> None:
    with sandbox.client(role=role) as professional:
        assert error_code(professional.get("/v1/prescriptions")) == (403, "ROLE_NOT_ALLOWED")


def test_search_finds_only_the_prescribers_own_by_patient_and_category(sandbox: Sandbox) -> None:
    other_patient = nir("2950599123456")
    with sandbox.client() as prescriber, sandbox.client() as other:
        mine = {created(prescriber), created(prescriber, draft("nursing")),
                created(prescriber, draft(patient=other_patient))}
        created(other)
        everything = prescriber.get("/v1/prescriptions").json()
        by_patient = prescriber.get("/v1/prescriptions", params={"patient": other_patient}).json()
        nursing = prescriber.get("/v1/prescriptions", params={"category": "nursing"}).json()
    assert everything["total"] == 3 and {item["id"] for item in everything["items"]} == mine
    assert by_patient["total"] == 1 and by_patient["items"][0]["patient_nir"] == other_patient
    assert nursing["total"] == 1 and nursing["items"][0]["category"] == "nursing"


def test_search_by_date_range_and_status(sandbox: Sandbox) -> None:
    today = date.today()
    with sandbox.client() as prescriber:
        dispensed_one = created(prescriber)
        created(prescriber)
        created(prescriber, draft(visible=False))  # never matches a status filter
        _dispense_first_line(sandbox, dispensed_one)
        around = {"from": str(today - timedelta(days=1)), "to": str(today + timedelta(days=1))}
        assert prescriber.get("/v1/prescriptions", params=around).json()["total"] == 3
        past = {"from": "2020-01-01", "to": "2020-12-31"}
        assert prescriber.get("/v1/prescriptions", params=past).json()["total"] == 0
        partial = prescriber.get("/v1/prescriptions", params={"status": "partially_dispensed"}).json()
        issued = prescriber.get("/v1/prescriptions", params={"status": "issued"}).json()
    assert [item["id"] for item in partial["items"]] == [dispensed_one] and issued["total"] == 1


def test_search_pages_are_bounded_and_cover_everything_once(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        ids = {created(prescriber) for _ in range(5)}
        pages = [prescriber.get("/v1/prescriptions", params={"size": 2, "page": page}).json() for page in (1, 2, 3)]
        too_big = prescriber.get("/v1/prescriptions", params={"size": 101})
    assert [len(page["items"]) for page in pages] == [2, 2, 1] and {p["total"] for p in pages} == {5}
    assert {item["id"] for page in pages for item in page["items"]} == ids
    assert error_code(too_big) == (422, "INVALID_REQUEST")


@pytest.mark.parametrize(("params", "expected"), [
    ({"from": "2025-02-01", "to": "2025-01-01"}, (422, "INVALID_DATE_RANGE")),
    ({"patient": "1841275123456" + "00"}, (422, "INVALID_NIR")),
    ({"category": "imaging"}, (422, "CATEGORY_OUT_OF_SCOPE")),
    ({"status": "lost"}, (422, "INVALID_REQUEST")),
    ({"from": "yesterday"}, (422, "INVALID_REQUEST")),
])
def test_search_refuses_bad_criteria(sandbox: Sandbox, params: dict[str, str], expected: tuple[int, str]) -> None:
    with sandbox.client(new_id()) as prescriber:
        assert error_code(prescriber.get("/v1/prescriptions", params=params)) == expected
