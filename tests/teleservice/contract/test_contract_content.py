"""What a prescription holds, as the public models have it, and what a create refuses: posology, validity and the
desired execution date, renewals, substitution, the coverage flags, line codes bound to the category, the
prescriber's RPPS and structure id (docs/teleservice.md, « Prescription content »)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from contract.kit import CENTRE_FINESS, CODES, RPPS, body, code_of, paris_today

CATEGORIES = tuple(CODES)


def _refused(client: httpx.Client, sent: dict[str, Any]) -> tuple[int, str]:
    return code_of(client.post("/v1/prescriptions", json=sent))


def _accepted(client: httpx.Client, sent: dict[str, Any]) -> None:
    answer = client.post("/v1/prescriptions", json=sent)
    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_takes_a_line_of_its_own_code_system(prescriber: httpx.Client, category: str) -> None:
    _accepted(prescriber, body(category))


@pytest.mark.parametrize(("category", "foreign"), [
    ("nursing", "medicines"), ("medicines", "medical_devices"), ("biology", "nursing"),
    ("physiotherapy", "nursing"), ("medical_devices", "biology"), ("podiatry", "orthoptics")])
def test_a_line_code_of_another_category_is_refused(prescriber: httpx.Client, category: str, foreign: str) -> None:
    """A nursing prescription cannot carry a drug code, nor a physiotherapy one a nurse's act."""
    sent = body(category)
    sent["lines"][0]["code"] = CODES[foreign]
    assert _refused(prescriber, sent) == (422, "CODE_NOT_FOR_CATEGORY")


def test_a_cip13_with_a_wrong_key_is_refused(prescriber: httpx.Client) -> None:
    sent = body()
    code = sent["lines"][0]["code"]
    sent["lines"][0]["code"] = code[:-1] + str((int(code[-1]) + 1) % 10)
    assert _refused(prescriber, sent) == (422, "CODE_NOT_FOR_CATEGORY")


def test_a_medicine_line_needs_its_posology_an_act_does_not(prescriber: httpx.Client) -> None:
    sent = body()
    del sent["lines"][1]["posology"]
    assert _refused(prescriber, sent) == (422, "POSOLOGY_REQUIRED")
    act = body("nursing")
    del act["lines"][0]["posology"]
    _accepted(prescriber, act)


def test_a_posology_in_text_alone_is_enough(prescriber: httpx.Client) -> None:
    sent = body()
    sent["lines"][0]["posology"] = {"text": "2 gélules le soir"}
    _accepted(prescriber, sent)


@pytest.mark.parametrize(("dates", "code"), [
    ({"authored_on": 1}, "INVALID_VALIDITY_PERIOD"),  # dated tomorrow
    ({"authored_on": -10, "valid_until": -11}, "INVALID_VALIDITY_PERIOD"),  # ends before it is written
    ({"authored_on": -10, "valid_until": 400}, "INVALID_VALIDITY_PERIOD"),  # longer than a year
    ({"valid_until": 30, "execute_on": 31}, "INVALID_EXECUTION_DATE"),  # to carry out once it is no longer valid
    ({"authored_on": -5, "execute_on": -6}, "INVALID_EXECUTION_DATE")])  # before it is written
def test_the_validity_period_and_the_execution_date_are_checked(prescriber: httpx.Client, dates: dict[str, int],
                                                                code: str) -> None:
    today = paris_today()
    sent = body(**{name: (today + timedelta(days=days)).isoformat() for name, days in dates.items()})
    assert _refused(prescriber, sent) == (422, code)


def test_a_late_registration_keeps_the_day_it_was_written(prescriber: httpx.Client) -> None:
    """Printed first, registered later: authored_on in the past, the validity and the execution date within."""
    today = paris_today()
    _accepted(prescriber, body(authored_on=(today - timedelta(days=3)).isoformat(),
                               valid_until=(today + timedelta(days=60)).isoformat(),
                               execute_on=(today + timedelta(days=1)).isoformat()))


@pytest.mark.parametrize("renewals", [-1, 12])
def test_renewals_are_bounded(prescriber: httpx.Client, renewals: int) -> None:
    sent = body()
    sent["lines"][0]["renewals"] = renewals
    assert _refused(prescriber, sent) == (422, "INVALID_REQUEST")


def test_substitution_is_a_field_of_medicines_only(prescriber: httpx.Client) -> None:
    sent = body("physiotherapy")
    sent["lines"][0]["substitution_allowed"] = True
    assert _refused(prescriber, sent) == (422, "FIELD_NOT_FOR_CATEGORY")


@pytest.mark.parametrize("flag", ["ald", "at_mp", "prevention"])
def test_a_non_reimbursable_line_is_not_ald_nor_at_mp_nor_prevention(prescriber: httpx.Client, flag: str) -> None:
    sent = body()
    sent["lines"][0]["coverage"] = {"non_reimbursable": True, flag: True}
    assert _refused(prescriber, sent) == (422, "INCONSISTENT_COVERAGE")
    sent["lines"][0]["coverage"] = {flag: True}
    _accepted(prescriber, sent)


@pytest.mark.parametrize(("prescriber_field", "code"), [
    ({"rpps": RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10)}, "INVALID_PRESCRIBER"),  # the RPPS's Luhn key
    ({"structure": {"kind": "am", "id": "750123450"}}, "INVALID_PRESCRIBER"),  # the N° AM's key
    ({"structure": {"kind": "finess", "id": "750000120"}}, "INVALID_PRESCRIBER"),  # the FINESS's key
    ({"structure": {"kind": "siret", "id": "750000127"}}, "INVALID_REQUEST"),
    ({"rpps": None}, "INVALID_REQUEST")])
def test_the_prescriber_is_a_rpps_and_a_structure_with_their_keys(prescriber: httpx.Client,
                                                                  prescriber_field: dict[str, Any],
                                                                  code: str) -> None:
    sent = body()
    sent["prescriber"] = {**sent["prescriber"], **prescriber_field}
    assert _refused(prescriber, sent) == (422, code)


def test_a_prescription_without_its_prescriber_is_invalid(prescriber: httpx.Client) -> None:
    sent = body()
    del sent["prescriber"]
    assert _refused(prescriber, sent) == (422, "INVALID_REQUEST")


def test_a_centre_prescribes_under_its_finess(prescriber: httpx.Client) -> None:
    _accepted(prescriber, body(prescriber={"rpps": RPPS, "structure": {"kind": "finess", "id": CENTRE_FINESS}}))


@pytest.mark.parametrize("category", ["imaging", "transport"])
def test_imaging_and_transport_are_no_e_prescriptions(prescriber: httpx.Client, category: str) -> None:
    sent = body()
    sent["category"] = category
    assert _refused(prescriber, sent) == (422, "CATEGORY_OUT_OF_SCOPE")


@pytest.mark.stateful(reason="relire le contenu enregistré demande une base")
def test_the_content_is_kept_as_sent_with_its_defaults(prescriber: httpx.Client) -> None:
    """Every field read back; validity 90 days from the day written when the prescription says none; the RPPS and
    the structure are the prescription's, the token's id is the billing number (prescriber_id), a third number."""
    sent = body(execute_on=paris_today().isoformat())
    _accepted(prescriber, sent)
    kept = prescriber.get(f"/v1/prescriptions/{sent['id']}").json()
    assert kept["prescriber"] == sent["prescriber"] and kept["prescriber_id"] not in (RPPS, sent["prescriber"])
    assert kept["authored_on"] == paris_today().isoformat() and kept["execute_on"] == sent["execute_on"]
    assert kept["valid_until"] == (paris_today() + timedelta(days=90)).isoformat()
    for line, given in zip(kept["lines"], sent["lines"], strict=True):
        assert line["code_system"] == "cip13"
        assert {name: line[name] for name in given} == given


@pytest.mark.stateful(reason="relire le contenu enregistré demande une base")
def test_an_act_keeps_its_ngap_code_and_no_substitution(prescriber: httpx.Client) -> None:
    sent = body("nursing")
    _accepted(prescriber, sent)
    line = prescriber.get(f"/v1/prescriptions/{sent['id']}").json()["lines"][0]
    assert (line["code"], line["code_system"], line["substitution_allowed"]) == (CODES["nursing"], "ngap", None)
