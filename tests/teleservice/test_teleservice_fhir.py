"""The FHIR R4 view of a prescription: through a real server (who reads it, what the dispensing changes), then the
pure function that builds the Bundle."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome
from pydantic import ValidationError
from teleservice_sandbox import RPPS as SANDBOX_RPPS
from teleservice_sandbox import UNKNOWN_ID, Sandbox, created, draft, new_id, nir

from preserie.domain.identifiers import luhn_key
from preserie.teleservice.catalogue import DISPENSERS, IN_SCOPE_CATEGORIES
from preserie.teleservice.fhir import (
    CATEGORY_SYSTEM,
    CODE_SYSTEM_URLS,
    DISPENSED_EXTENSION,
    FHIR_JSON,
    FR_CORE_V2_0203,
    NIR_SYSTEM,
    PRESCRIPTION_ID_SYSTEM,
    PROFESSIONAL_ID_SYSTEM,
    RPPS_SYSTEM,
    UCUM,
    prescription_bundle,
)
from preserie.teleservice.records import (
    DISPENSED,
    ISSUED,
    PARTIALLY_DISPENSED,
    LineRecord,
    PrescriptionRecord,
)


# An independent validator: the models of fhir.resources 8.3.0, which ships R5 (its default), R4B and STU3 but no R4.
# R4B (4.3.0) is R4's technical correction and keeps R4's Bundle, MedicationRequest and ServiceRequest (its changes
# are elsewhere: medication definitions, Subscription, evidence); its models forbid any element the resource does not
# define, so a ServiceRequest.groupIdentifier (R4 names it requisition) is refused, as R4 would.
def _validated(bundle: dict[str, Any]) -> dict[str, Any]:
    Bundle.model_validate(bundle)
    return bundle


# --- through the real server -----------------------------------------------------------------------------------


def _fhir(client: httpx.Client, prescription_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/prescriptions/{prescription_id}/fhir")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == FHIR_JSON
    bundle: dict[str, Any] = response.json()
    return _validated(bundle)


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"]]


def _dispensed(resource: dict[str, Any]) -> int | None:
    values = [extension["valueQuantity"]["value"] for extension in resource.get("extension", [])
              if extension["url"] == DISPENSED_EXTENSION]
    return values[0] if values else None


def _dispense(sandbox: Sandbox, prescription_id: str, lines: dict[int, int], role: str = "pharmacist") -> None:
    with sandbox.client(role=role) as professional:
        response = professional.post(f"/v1/prescriptions/{prescription_id}/dispensations",
                                     json={"lines": [{"line": n, "quantity": q} for n, q in lines.items()]})
        assert response.status_code == 201, response.text


def test_a_medicines_prescription_gives_one_medication_request_per_line_in_one_group(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber, draft("medicines", quantities=(2, 1)))
        bundle = _fhir(prescriber, prescription_id)
    resources = _resources(bundle)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert [resource["resourceType"] for resource in resources] == ["MedicationRequest", "MedicationRequest"]
    assert len(prescription_id) == 18 and all(
        resource["groupIdentifier"] == {"system": PRESCRIPTION_ID_SYSTEM, "value": prescription_id}
        for resource in resources)
    assert [resource["medicationCodeableConcept"]["text"] for resource in resources] == ["ligne 1", "ligne 2"]
    assert [resource["dispenseRequest"]["quantity"]["value"] for resource in resources] == [2, 1]
    assert all(resource["status"] == "active" and resource["intent"] == "order" for resource in resources)
    assert {resource["subject"]["identifier"]["value"] for resource in resources} == {nir()}


def test_a_nursing_prescription_gives_service_requests(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber, draft("nursing", quantities=(10, 4)))
        resources = _resources(_fhir(prescriber, prescription_id))
    assert [resource["resourceType"] for resource in resources] == ["ServiceRequest", "ServiceRequest"]
    assert [resource["quantityQuantity"]["value"] for resource in resources] == [10, 4]
    assert [resource["code"]["text"] for resource in resources] == ["ligne 1", "ligne 2"]
    assert not any("dispenseRequest" in resource for resource in resources)


def test_the_status_follows_partial_then_full_dispensing(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber, draft(visible=True, quantities=(2, 1)))
        _dispense(sandbox, prescription_id, {1: 1})
        partial = _resources(_fhir(prescriber, prescription_id))
        _dispense(sandbox, prescription_id, {1: 1, 2: 1})
        full = _resources(_fhir(prescriber, prescription_id))
    assert [(resource["status"], _dispensed(resource)) for resource in partial] == [("active", 1), ("active", 0)]
    assert [(resource["status"], _dispensed(resource)) for resource in full] == [("completed", 2), ("completed", 1)]


def test_the_dispensing_stays_hidden_from_the_prescriber_when_the_patient_objected(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(visible=False, quantities=(2, 1)))
        _dispense(sandbox, prescription_id, {1: 2, 2: 1})
        seen_by_prescriber = _resources(_fhir(prescriber, prescription_id))
        seen_by_pharmacist = _resources(_fhir(pharmacist, prescription_id))
    assert [(resource["status"], _dispensed(resource)) for resource in seen_by_prescriber] == [("unknown", None)] * 2
    assert [(resource["status"], _dispensed(resource)) for resource in seen_by_pharmacist] == [
        ("completed", 2), ("completed", 1)]


@pytest.mark.parametrize("category", IN_SCOPE_CATEGORIES)
def test_every_category_gives_an_r4_bundle_as_dispensed_shown_and_hidden(sandbox: Sandbox, category: str) -> None:
    """Each view (the dispenser's, the prescriber's the patient hid it from) is validated by the R4B models (_fhir)."""
    expected = "MedicationRequest" if category in ("medicines", "medical_devices") else "ServiceRequest"
    group = "groupIdentifier" if expected == "MedicationRequest" else "requisition"
    with sandbox.client() as prescriber, sandbox.client(role=DISPENSERS[category][0]) as dispenser:
        prescription_id = created(prescriber, draft(category, visible=False, quantities=(2, 1)))
        response = dispenser.post(f"/v1/prescriptions/{prescription_id}/dispensations",
                                  json={"lines": [{"line": 1, "quantity": 1}]})
        assert response.status_code == 201, response.text
        seen = {"dispenser": _resources(_fhir(dispenser, prescription_id)),
                "prescriber": _resources(_fhir(prescriber, prescription_id))}
    for resources in seen.values():
        assert [resource["resourceType"] for resource in resources] == [expected] * 2
        assert {resource[group]["value"] for resource in resources} == {prescription_id}
        assert not any({"groupIdentifier", "requisition"} - {group} & resource.keys() for resource in resources)
    assert [(r["status"], _dispensed(r)) for r in seen["dispenser"]] == [("active", 1), ("active", 0)]
    assert [(r["status"], _dispensed(r)) for r in seen["prescriber"]] == [("unknown", None)] * 2


def outcome_code(response: httpx.Response) -> tuple[int, str]:
    """Status and catalogue code of an OperationOutcome answer, checked against R4 (fhir.resources)."""
    assert response.headers["content-type"] == FHIR_JSON
    outcome = OperationOutcome.model_validate(response.json())
    assert outcome.issue[0].severity == "error" and outcome.issue[0].diagnostics
    return response.status_code, str(outcome.issue[0].details.coding[0].code)


def test_another_prescriber_gets_the_same_404_as_for_an_unknown_id(sandbox: Sandbox) -> None:
    with sandbox.client() as owner, sandbox.client() as other:
        prescription_id = created(owner)
        theirs = other.get(f"/v1/prescriptions/{prescription_id}/fhir")
        unknown = other.get(f"/v1/prescriptions/{UNKNOWN_ID}/fhir")
    assert outcome_code(theirs) == outcome_code(unknown) == (404, "PRESCRIPTION_NOT_FOUND")
    assert theirs.json() == unknown.json()


def test_a_pharmacist_reads_it_from_the_id(sandbox: Sandbox) -> None:
    prescriber_id = new_id()
    with sandbox.client(prescriber_id) as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber)
        resources = _resources(_fhir(pharmacist, prescription_id))
    assert {resource["groupIdentifier"]["value"] for resource in resources} == {prescription_id}
    # the RPPS the prescription carries, not the billing number of the token
    assert {resource["requester"]["identifier"]["value"] for resource in resources} == {SANDBOX_RPPS}


def test_the_fhir_view_is_published_and_journaled_as_fhir(sandbox: Sandbox) -> None:
    prescriber_id = new_id()
    with sandbox.client(prescriber_id) as prescriber:
        _fhir(prescriber, created(prescriber))
        spec = prescriber.get("/openapi.json").json()
    responses = spec["paths"]["/v1/prescriptions/{prescription_id}/fhir"]["get"]["responses"]
    assert list(responses["200"]["content"]) == [FHIR_JSON]
    assert list(responses["404"]["content"]) == [FHIR_JSON]  # errors are OperationOutcome on the FHIR route
    journaled = [(entry["operation"], entry["status"]) for entry in sandbox.store.journal_entries()
                 if entry["caller_id"] == prescriber_id]
    assert journaled == [("create", 201), ("fhir", 200)]


# --- the pure function -----------------------------------------------------------------------------------------

RPPS = "1000345678" + luhn_key("1000345678")
RPPS_WITH_A_WRONG_KEY = RPPS[:-1] + str((int(RPPS[-1]) + 1) % 10)
CREATED_AT = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def _record(category: str = "medicines", status: str = ISSUED, *, prescriber_id: str = "P1",
            lines: tuple[LineRecord, ...] | None = None) -> PrescriptionRecord:
    return PrescriptionRecord(
        id="01S2TBPZ2JCNZZYGHZ", prescriber_id=prescriber_id, category=category, patient_nir=nir(),
        created_at=CREATED_AT, status=status, software_name="LogiMed", software_version="5",
        dispensing_visible_to_prescriber=True, dmp_deposit=True, dispensations=(),
        lines=lines or (LineRecord(1, "3400930000001", "paracétamol 1 g", 2, 30, 1),
                        LineRecord(2, None, "texte libre", 1, None, 0)))


def _built(record: PrescriptionRecord, *, shown: bool = True) -> list[dict[str, Any]]:
    return _resources(_validated(prescription_bundle(record, dispensing_shown=shown)))


@pytest.mark.parametrize("shown", [True, False])
@pytest.mark.parametrize("category", IN_SCOPE_CATEGORIES)
def test_every_category_builds_a_bundle_the_r4_models_accept(category: str, shown: bool) -> None:
    for status in (ISSUED, PARTIALLY_DISPENSED, DISPENSED):
        _validated(prescription_bundle(_record(category, status), dispensing_shown=shown))


def test_the_validator_refuses_what_r4_does_not_define() -> None:
    """Not a validator that accepts anything: a ServiceRequest with a groupIdentifier (an R5-ism) is refused."""
    bundle = prescription_bundle(_record("nursing"), dispensing_shown=True)
    resource = bundle["entry"][0]["resource"]
    resource["groupIdentifier"] = resource.pop("requisition")
    with pytest.raises(ValidationError, match="groupIdentifier"):
        Bundle.model_validate(bundle)


@pytest.mark.parametrize(("status", "shown", "expected"), [
    (ISSUED, True, "active"), (PARTIALLY_DISPENSED, True, "active"), (DISPENSED, True, "completed"),
    (ISSUED, False, "unknown"), (DISPENSED, False, "unknown")])
def test_the_record_status_maps_to_the_request_status(status: str, shown: bool, expected: str) -> None:
    assert {resource["status"] for resource in _built(_record(status=status), shown=shown)} == {expected}


@pytest.mark.parametrize("category", IN_SCOPE_CATEGORIES)
def test_medicines_and_devices_are_medication_requests_and_acts_service_requests(category: str) -> None:
    expected = "MedicationRequest" if category in ("medicines", "medical_devices") else "ServiceRequest"
    resources = _built(_record(category))
    assert [resource["resourceType"] for resource in resources] == [expected, expected]
    assert resources[0]["category"] == [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}]


def test_a_line_keeps_its_code_in_its_category_system_and_its_text() -> None:
    coded, free = _built(_record())
    assert coded["medicationCodeableConcept"] == {
        "coding": [{"system": CODE_SYSTEM_URLS["cip13"], "code": "3400930000001"}], "text": "paracétamol 1 g"}
    assert free["medicationCodeableConcept"] == {"text": "texte libre"}


def test_a_medicine_line_asks_its_quantity_for_its_duration_in_ucum_days() -> None:
    with_duration, without = _built(_record())
    assert with_duration["dispenseRequest"] == {
        "quantity": {"value": 2}, "expectedSupplyDuration": {"value": 30, "unit": "jours", "system": UCUM, "code": "d"}}
    assert without["dispenseRequest"] == {"quantity": {"value": 1}}


def test_an_act_line_carries_its_quantity_and_its_duration_as_bounds() -> None:
    with_duration, without = _built(_record("physiotherapy"))
    assert with_duration["quantityQuantity"] == {"value": 2}
    day = CREATED_AT.date().isoformat()  # no execution date asked: the prescription's day (occurrence[x] 1..1)
    assert with_duration["occurrenceTiming"] == {
        "event": [day], "repeat": {"boundsDuration": {"value": 30, "unit": "jours", "system": UCUM, "code": "d"}}}
    assert without["occurrenceTiming"] == {"event": [day]}


def test_the_dispensed_quantity_is_an_extension_only_when_shown() -> None:
    assert [_dispensed(resource) for resource in _built(_record(status=PARTIALLY_DISPENSED), shown=True)] == [1, 0]
    hidden = _built(_record(status=PARTIALLY_DISPENSED), shown=False)
    assert [[e["url"] for e in r["extension"] if e["url"] == DISPENSED_EXTENSION] for r in hidden] == [[], []]


def test_the_patient_is_referenced_by_nir_as_an_fr_core_test_identity() -> None:
    """The sandbox's patients are fictitious: FR Core's INS-NIR-TEST slice, never the real INS-NIR's OID (.4.8)."""
    subject = _built(_record())[0]["subject"]
    assert subject == {"type": "Patient", "identifier": {
        "use": "official", "type": {"coding": [{"system": FR_CORE_V2_0203, "code": "INS-NIR-TEST"}]},
        "system": NIR_SYSTEM, "value": nir()}}
    assert NIR_SYSTEM == "urn:oid:1.2.250.1.213.1.4.10"


@pytest.mark.parametrize(("prescriber_id", "system"), [
    (RPPS, RPPS_SYSTEM), ("081234567", PROFESSIONAL_ID_SYSTEM), (RPPS_WITH_A_WRONG_KEY, PROFESSIONAL_ID_SYSTEM)])
def test_a_valid_rpps_goes_in_the_rpps_slice_and_any_other_id_in_the_sandbox_system(
        prescriber_id: str, system: str) -> None:
    requester = _built(_record(prescriber_id=prescriber_id))[0]["requester"]
    assert requester["type"] == "Practitioner"
    assert (requester["identifier"]["system"], requester["identifier"]["value"]) == (system, prescriber_id)
    assert ("type" in requester["identifier"]) == (system == RPPS_SYSTEM)


def test_authored_on_is_the_creation_time_with_its_offset() -> None:
    assert {resource["authoredOn"] for resource in _built(_record())} == {"2025-03-14T09:30:00+00:00"}


def test_the_bundle_is_plain_json_with_a_stable_distinct_full_url_per_entry() -> None:
    bundle = prescription_bundle(_record(), dispensing_shown=True)
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert json.loads(json.dumps(bundle)) == bundle
    assert len(set(full_urls)) == 2 and all(url.startswith("urn:uuid:") for url in full_urls)
    assert full_urls == [entry["fullUrl"] for entry in prescription_bundle(_record(), dispensing_shown=False)["entry"]]
    assert [resource["id"] for resource in _resources(bundle)] == ["01S2TBPZ2JCNZZYGHZ-1", "01S2TBPZ2JCNZZYGHZ-2"]
