"""FHIR as peers serve it: each category's Bundle valid by an independent validator (the R4B models of
fhir.resources: R4's technical correction, whose models refuse any element a resource does not define), every error
of the FHIR route as an OperationOutcome, ``_format`` and ``Accept`` honoured, 406 for what is not served
(docs/teleservice.md, « FHIR »)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from contract.kit import CODES, Prescriptions, Target, code_of
from preserie.teleservice.ids import with_check_character

FHIR_JSON = "application/fhir+json"
# The R4 status of a medicines prescription's MedicationRequests (a ServiceRequest says revoked for both ends)
EXPECTED_STATUS = {"partially_dispensed": "active", "dispensed": "completed", "cancelled": "cancelled",
                   "expired": "stopped", "hidden": "unknown"}
RESOURCE = {"medicines": "MedicationRequest", "medical_devices": "MedicationRequest"}  # the others: ServiceRequest


def _bundle(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].split(";")[0] == FHIR_JSON
    payload: dict[str, Any] = answer.json()
    Bundle.model_validate(payload)
    return payload


def _outcome(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.headers["content-type"].split(";")[0] == FHIR_JSON
    OperationOutcome.model_validate(answer.json())
    assert code_of(answer) == (status, code)
    assert answer.json()["issue"][0]["diagnostics"]  # the French message


@pytest.mark.parametrize("category", CODES)
def test_each_category_gives_a_valid_r4_bundle(target: Target, prescriptions: Prescriptions,
                                               category: str) -> None:
    made = prescriptions.make(category=category)
    for role, who in (("prescriber", made.prescriber), ("pharmacist", None)):
        with target.client(role, who) as client:
            bundle = _bundle(client.get(f"/v1/prescriptions/{made.id}/fhir"))
        resources = [entry["resource"] for entry in bundle["entry"]]
        assert bundle["type"] == "collection" and len(resources) == 2
        assert {resource["resourceType"] for resource in resources} == {RESOURCE.get(category, "ServiceRequest")}
        group = [resource.get("groupIdentifier", resource.get("requisition"))["value"] for resource in resources]
        assert group == [made.id, made.id]


@pytest.mark.parametrize("state", ["partially_dispensed", "dispensed", "cancelled", "expired", "hidden"])
def test_every_state_gives_a_valid_bundle_to_its_prescriber(target: Target, prescriptions: Prescriptions,
                                                            state: str) -> None:
    made = prescriptions.make(state)
    with target.client(professional_id=made.prescriber) as client:
        bundle = _bundle(client.get(f"/v1/prescriptions/{made.id}/fhir"))
    statuses = {entry["resource"]["status"] for entry in bundle["entry"]}
    assert statuses == {EXPECTED_STATUS[state]}, statuses


def test_errors_of_the_fhir_route_are_operation_outcomes(target: Target, prescriptions: Prescriptions,
                                                         pharmacist: httpx.Client) -> None:
    made = prescriptions.make()
    cancelled = prescriptions.make("cancelled")
    with target.anonymous() as anonymous:
        _outcome(anonymous.get(f"/v1/prescriptions/{made.id}/fhir"), 401, "AUTH_TOKEN_MISSING")
    _outcome(pharmacist.get(f"/v1/prescriptions/{with_check_character('Z' * 17)}/fhir"), 404,
             "PRESCRIPTION_NOT_FOUND")
    _outcome(pharmacist.get(f"/v1/prescriptions/{made.id.lower()}/fhir"), 400, "INVALID_PRESCRIPTION_ID")
    _outcome(pharmacist.get(f"/v1/prescriptions/{cancelled.id}/fhir"), 410, "PRESCRIPTION_CANCELLED")
    with target.client("registry") as registry:
        _outcome(registry.get(f"/v1/prescriptions/{made.id}/fhir"), 403, "ROLE_NOT_ALLOWED")


def test_the_json_routes_keep_their_own_error_shape(pharmacist: httpx.Client) -> None:
    answer = pharmacist.get(f"/v1/prescriptions/{with_check_character('Z' * 17)}")
    assert set(answer.json()) >= {"code", "message"} and "resourceType" not in answer.json()


@pytest.mark.parametrize(("query", "accept"), [
    ("", None), ("", FHIR_JSON), ("", "application/json"), ("", "*/*"), ("", "application/fhir+json;q=0.9, */*;q=0.1"),
    ("?_format=json", None), ("?_format=application/fhir%2Bjson", None),
    ("?_format=json", "application/fhir+xml")])  # _format wins over Accept, as R4 says
def test_json_is_served_as_format_and_accept_ask(target: Target, prescriptions: Prescriptions,
                                                 pharmacist: httpx.Client, query: str, accept: str | None) -> None:
    made = prescriptions.make()
    _bundle(pharmacist.get(f"/v1/prescriptions/{made.id}/fhir{query}",
                           headers={"Accept": accept} if accept else None))


@pytest.mark.parametrize(("query", "accept"), [
    ("?_format=xml", None), ("?_format=application/fhir%2Bxml", None), ("?_format=ttl", None),
    ("", "application/fhir+xml"), ("", "application/fhir+json;q=0, application/xml"),
    ("?_format=xml", FHIR_JSON)])
def test_what_is_not_served_is_406_as_an_operation_outcome(target: Target, prescriptions: Prescriptions,
                                                           pharmacist: httpx.Client, query: str,
                                                           accept: str | None) -> None:
    made = prescriptions.make()
    _outcome(pharmacist.get(f"/v1/prescriptions/{made.id}/fhir{query}",
                            headers={"Accept": accept} if accept else None), 406, "NOT_ACCEPTABLE")
