"""Dispensing through a real server: line by line, partial, never beyond what was prescribed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from teleservice_sandbox import Sandbox, created, draft, error_code


def _url(prescription_id: str) -> str:
    return f"/v1/prescriptions/{prescription_id}/dispensations"


def test_a_prescription_is_dispensed_in_parts_then_no_more(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client("PHARMA1", role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(2, 1)))
        first = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 1}]})
        assert first.status_code == 201 and first.json()["status"] == "partially_dispensed"
        rest = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 1},
                                                                       {"line": 2, "quantity": 1}]})
        body = rest.json()
        assert rest.status_code == 201 and body["status"] == "dispensed"
        assert [line["dispensed"] for line in body["lines"]] == [2, 1]
        assert [d["dispenser_id"] for d in body["dispensations"]] == ["PHARMA1", "PHARMA1"]
        again = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 1}]})
        assert error_code(again) == (409, "PRESCRIPTION_FULLY_DISPENSED")


def test_more_than_remains_on_a_line_is_refused(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(2,)))
        response = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 3}]})
        assert error_code(response) == (422, "QUANTITY_EXCEEDS_REMAINING")
        assert pharmacist.get(f"/v1/prescriptions/{prescription_id}").json()["status"] == "issued"


def test_an_unknown_line_is_refused(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(2,)))
        response = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 2, "quantity": 1}]})
    assert error_code(response) == (422, "UNKNOWN_LINE")


def test_a_line_twice_in_one_dispensing_is_invalid(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber)
        twice = {"lines": [{"line": 1, "quantity": 1}, {"line": 1, "quantity": 1}]}
        assert error_code(pharmacist.post(_url(prescription_id), json=twice)) == (422, "INVALID_REQUEST")


def test_only_the_prescribed_profession_dispenses(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="nurse") as nurse:
        medicines = created(prescriber, draft("medicines"))
        nursing = created(prescriber, draft("nursing"))
        refused = nurse.post(_url(medicines), json={"lines": [{"line": 1, "quantity": 1}]})
        accepted = nurse.post(_url(nursing), json={"lines": [{"line": 1, "quantity": 1}]})
    assert error_code(refused) == (403, "PROFESSION_NOT_PRESCRIBED") and accepted.status_code == 201


def test_a_prescriber_cannot_dispense(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber)
        response = prescriber.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 1}]})
    assert error_code(response) == (403, "ROLE_NOT_ALLOWED")


def test_dispensing_an_unknown_prescription_is_not_found(sandbox: Sandbox) -> None:
    with sandbox.client(role="pharmacist") as pharmacist:
        for unknown in ("Z" * 18, "nope"):
            response = pharmacist.post(_url(unknown), json={"lines": [{"line": 1, "quantity": 1}]})
            assert error_code(response) == (404, "PRESCRIPTION_NOT_FOUND")


def test_concurrent_dispensings_never_exceed_the_prescribed_quantity(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(3,)))

        def dispense_one(_: int) -> int:
            return pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 1}]}).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = sorted(pool.map(dispense_one, range(8)))
        body = pharmacist.get(f"/v1/prescriptions/{prescription_id}").json()
    assert statuses.count(201) == 3 and set(statuses) <= {201, 409, 422}
    assert body["lines"][0]["dispensed"] == 3 and len(body["dispensations"]) == 3
