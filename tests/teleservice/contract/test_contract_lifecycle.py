"""The life cycle: a cancel by the prescriber before any dispensing, 410 Gone once cancelled or expired, a
dispensing that cannot be replayed and the states it goes through (docs/teleservice.md, « Life cycle »)."""

from __future__ import annotations

import httpx
import pytest

from contract.kit import DISPENSER, Prescriptions, Target, code_of

GONE_ROUTES = ("", "/qr.svg", "/fhir")  # what a prescribed professional reads from the QR code


def _dispense(client: httpx.Client, prescription_id: str, *lines: tuple[int, int],
              key: str | None = None) -> httpx.Response:
    return client.post(f"/v1/prescriptions/{prescription_id}/dispensations",
                       json={"lines": [{"line": n, "quantity": q} for n, q in lines]},
                       headers={"Idempotency-Key": key} if key else None)


def _cancel(target: Target, prescriber: str, prescription_id: str) -> httpx.Response:
    with target.client(professional_id=prescriber) as client:
        return client.post(f"/v1/prescriptions/{prescription_id}/cancel")


def test_the_prescriber_cancels_before_any_dispensing(target: Target, prescriptions: Prescriptions) -> None:
    made = prescriptions.make()
    answer = _cancel(target, made.prescriber, made.id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "cancelled" and answer.json()["cancelled_at"]


@pytest.mark.parametrize("state", ["partially_dispensed", "dispensed"])
def test_once_dispensed_in_part_it_can_no_longer_be_cancelled(target: Target, prescriptions: Prescriptions,
                                                              state: str) -> None:
    made = prescriptions.make(state)
    assert code_of(_cancel(target, made.prescriber, made.id)) == (409, "PRESCRIPTION_ALREADY_DISPENSED")


def test_cancelling_again_changes_nothing(target: Target, prescriptions: Prescriptions) -> None:
    made = prescriptions.make("cancelled")
    answer = _cancel(target, made.prescriber, made.id)
    assert (answer.status_code, answer.json()["status"]) == (200, "cancelled")


def test_only_its_prescriber_cancels(target: Target, prescriptions: Prescriptions, pharmacist: httpx.Client) -> None:
    made = prescriptions.make()
    assert code_of(_cancel(target, "C0THER0000", made.id)) == (404, "PRESCRIPTION_NOT_FOUND")
    assert code_of(pharmacist.post(f"/v1/prescriptions/{made.id}/cancel")) == (403, "ROLE_NOT_ALLOWED")


@pytest.mark.parametrize(("state", "code"), [("cancelled", "PRESCRIPTION_CANCELLED"),
                                             ("expired", "PRESCRIPTION_EXPIRED")])
def test_a_cancelled_or_expired_prescription_is_gone_for_the_pharmacist(
        prescriptions: Prescriptions, pharmacist: httpx.Client, state: str, code: str) -> None:
    made = prescriptions.make(state)
    for route in GONE_ROUTES:
        assert code_of(pharmacist.get(f"/v1/prescriptions/{made.id}{route}")) == (410, code), route
    assert code_of(_dispense(pharmacist, made.id, (1, 1))) == (410, code)


@pytest.mark.parametrize("state", ["cancelled", "expired"])
def test_its_prescriber_still_reads_it_with_its_status(target: Target, prescriptions: Prescriptions,
                                                       state: str) -> None:
    made = prescriptions.make(state)
    with target.client(professional_id=made.prescriber) as client:
        answer = client.get(f"/v1/prescriptions/{made.id}")
    assert (answer.status_code, answer.json()["status"]) == (200, state)


def test_an_expired_prescription_cannot_be_cancelled(target: Target, prescriptions: Prescriptions) -> None:
    made = prescriptions.make("expired")
    assert code_of(_cancel(target, made.prescriber, made.id)) == (410, "PRESCRIPTION_EXPIRED")


def test_a_part_dispensed_leaves_it_partially_dispensed(prescriptions: Prescriptions,
                                                        pharmacist: httpx.Client) -> None:
    made = prescriptions.make()
    answer = _dispense(pharmacist, made.id, (1, 1))
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "partially_dispensed"
    assert [line["dispensed"] for line in answer.json()["lines"]] == [1, 0]


def test_a_fully_dispensed_prescription_is_dispensed_no_more(prescriptions: Prescriptions,
                                                              pharmacist: httpx.Client) -> None:
    made = prescriptions.make("dispensed")
    assert code_of(_dispense(pharmacist, made.id, (1, 1))) == (409, "PRESCRIPTION_FULLY_DISPENSED")


def test_more_than_remains_or_an_unknown_line_is_refused(prescriptions: Prescriptions,
                                                         pharmacist: httpx.Client) -> None:
    made = prescriptions.make("partially_dispensed")  # line 1: 1 of 2 dispensed
    assert code_of(_dispense(pharmacist, made.id, (1, 2))) == (422, "QUANTITY_EXCEEDS_REMAINING")
    assert code_of(_dispense(pharmacist, made.id, (3, 1))) == (422, "UNKNOWN_LINE")


@pytest.mark.parametrize("category", ["medicines", "nursing", "biology"])
def test_only_the_prescribed_profession_dispenses(target: Target, prescriptions: Prescriptions,
                                                  category: str) -> None:
    made = prescriptions.make(category=category)
    other = "nurse" if category != "nursing" else "pharmacist"
    with target.client(other) as client:
        assert code_of(_dispense(client, made.id, (1, 1))) == (403, "PROFESSION_NOT_PRESCRIBED")
    with target.client(DISPENSER[category]) as client:
        assert _dispense(client, made.id, (1, 1)).status_code == 201
    with target.client(professional_id=made.prescriber) as client:
        assert code_of(_dispense(client, made.id, (1, 1))) == (403, "ROLE_NOT_ALLOWED")


def test_the_dispensing_stays_hidden_from_the_prescriber_when_the_patient_objects(
        target: Target, prescriptions: Prescriptions) -> None:
    made = prescriptions.make("hidden")
    with target.client(professional_id=made.prescriber) as client:
        seen = client.get(f"/v1/prescriptions/{made.id}").json()
    assert (seen["status"], seen["dispensing_visible"], seen["dispensations"]) == (None, False, [])
    assert {line["dispensed"] for line in seen["lines"]} == {None}


@pytest.mark.stateful(reason="les états se suivent d'une délivrance à l'autre")
def test_dispensings_go_issued_partially_dispensed_dispensed(target: Target, prescriptions: Prescriptions,
                                                             pharmacist: httpx.Client) -> None:
    made = prescriptions.make()
    with target.client(professional_id=made.prescriber) as client:
        assert client.get(f"/v1/prescriptions/{made.id}").json()["status"] == "issued"
    assert _dispense(pharmacist, made.id, (1, 1)).json()["status"] == "partially_dispensed"
    assert _dispense(pharmacist, made.id, (1, 1), (2, 1)).json()["status"] == "dispensed"
    assert code_of(_dispense(pharmacist, made.id, (1, 1))) == (409, "PRESCRIPTION_FULLY_DISPENSED")


@pytest.mark.stateful(reason="rejouer une délivrance ne se reconnaît qu'au souvenir de la première")
def test_a_dispensing_retried_with_its_key_is_not_dispensed_twice(prescriptions: Prescriptions,
                                                                  pharmacist: httpx.Client) -> None:
    made = prescriptions.make()
    first = _dispense(pharmacist, made.id, (1, 1), key="delivrance-1")
    again = _dispense(pharmacist, made.id, (1, 1), key="delivrance-1")
    assert (first.status_code, again.status_code) == (201, 201) and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert pharmacist.get(f"/v1/prescriptions/{made.id}").json()["lines"][0]["dispensed"] == 1
    assert code_of(_dispense(pharmacist, made.id, (2, 1), key="delivrance-1")) == (422, "IDEMPOTENCY_KEY_REUSED")


@pytest.mark.stateful(reason="l'annulation doit être gardée pour être vue ensuite")
def test_a_cancel_is_seen_by_the_pharmacist_who_reads_it_next(target: Target, prescriptions: Prescriptions,
                                                              pharmacist: httpx.Client) -> None:
    made = prescriptions.make()
    assert pharmacist.get(f"/v1/prescriptions/{made.id}").status_code == 200
    assert _cancel(target, made.prescriber, made.id).status_code == 200
    assert code_of(pharmacist.get(f"/v1/prescriptions/{made.id}")) == (410, "PRESCRIPTION_CANCELLED")
