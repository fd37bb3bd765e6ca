"""Dispensing through a real server: line by line, partial, never beyond what was prescribed."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from teleservice_sandbox import UNKNOWN_ID, Sandbox, created, draft, error_code


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
        response = pharmacist.post(_url(UNKNOWN_ID), json={"lines": [{"line": 1, "quantity": 1}]})
        assert error_code(response) == (404, "PRESCRIPTION_NOT_FOUND")
        response = pharmacist.post(_url("nope"), json={"lines": [{"line": 1, "quantity": 1}]})
        assert error_code(response) == (400, "INVALID_PRESCRIPTION_ID")


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


ONE = {"lines": [{"line": 1, "quantity": 1}]}


def _dispensations(sandbox: Sandbox, prescription_id: str) -> list[dict[str, object]]:
    with sandbox.client(role="pharmacist") as reader:
        found: list[dict[str, object]] = reader.get(f"/v1/prescriptions/{prescription_id}").json()["dispensations"]
    return found


def test_a_retried_dispensing_with_its_key_dispenses_once_and_answers_the_same(sandbox: Sandbox) -> None:
    """A repeated identical dispensing was counted twice: the workstation that did not get its answer retries."""
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(3,)))
        first = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "d-1"})
        again = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "d-1"})
        other = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "d-2"})
        late = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "d-1"})
    assert first.status_code == again.status_code == late.status_code == other.status_code == 201
    assert again.json() == first.json() == late.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers and "idempotent-replayed" not in other.headers
    assert first.json()["lines"][0]["dispensed"] == 1 and other.json()["lines"][0]["dispensed"] == 2
    assert len(_dispensations(sandbox, prescription_id)) == 2


def test_a_dispensing_without_a_key_is_a_new_dispensing_each_time(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(3,)))
        assert [pharmacist.post(_url(prescription_id), json=ONE).status_code for _ in range(2)] == [201, 201]
    assert len(_dispensations(sandbox, prescription_id)) == 2


def test_the_same_key_for_another_dispensing_is_refused(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id, elsewhere = created(prescriber, draft(quantities=(3, 3))), created(prescriber)
        pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "d-3"})
        more = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 2}]},
                               headers={"Idempotency-Key": "d-3"})
        moved = pharmacist.post(_url(elsewhere), json=ONE, headers={"Idempotency-Key": "d-3"})
    assert error_code(more) == error_code(moved) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert len(_dispensations(sandbox, prescription_id)) == 1 and _dispensations(sandbox, elsewhere) == []


def test_dispensing_keys_belong_to_their_dispenser(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as one, \
            sandbox.client(role="pharmacist") as other:
        prescription_id = created(prescriber, draft(quantities=(3,)))
        for pharmacist in (one, other):
            response = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "shared"})
            assert response.status_code == 201 and "idempotent-replayed" not in response.headers
    assert len(_dispensations(sandbox, prescription_id)) == 2


def test_a_refused_dispensing_claims_no_key(sandbox: Sandbox) -> None:
    """Nothing was dispensed, so nothing to replay: the corrected dispensing goes through with the same key."""
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(2,)))
        too_much = pharmacist.post(_url(prescription_id), json={"lines": [{"line": 1, "quantity": 3}]},
                                   headers={"Idempotency-Key": "d-4"})
        corrected = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "d-4"})
    assert error_code(too_much) == (422, "QUANTITY_EXCEEDS_REMAINING") and corrected.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 129, "clé"])
def test_an_unusable_dispensing_key_is_refused(sandbox: Sandbox, key: str) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber)
        response = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": key.encode()})
    assert error_code(response) == (400, "INVALID_IDEMPOTENCY_KEY")
    assert _dispensations(sandbox, prescription_id) == []


def test_concurrent_retries_of_one_dispensing_dispense_once(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(8,)))

        def retry(_: int) -> tuple[int, str]:
            response = pharmacist.post(_url(prescription_id), json=ONE, headers={"Idempotency-Key": "storm"})
            return response.status_code, response.text

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(retry, range(8)))
    assert {status for status, _ in answers} == {201} and len({text for _, text in answers}) == 1
    assert len(_dispensations(sandbox, prescription_id)) == 1
