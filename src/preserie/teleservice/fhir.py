"""A FHIR R4 view of a prescription: a ``Bundle`` of one request resource per line. Pure, plain dicts.

Each choice and where it comes from (HL7 FHIR R4 4.0.1 unless said otherwise):

- ``Bundle.type`` is ``collection``: the bundle-type codes keep ``searchset`` for the results of a search (with
  ``total`` and ``entry.search``) and ``document`` for a bundle led by a Composition; reading one prescription gives
  "a set of resources collected into a single package", which is what ``collection`` means.
- No resource for the prescription itself: its lines share one identifier, as in the ANS e-prescription guide
  (interop.esante.gouv.fr/ig/fhir/eprescription, page "Vue d'ensemble": "La prescription en tant que telle [...]
  n'est pas représentée par une ressource FHIR [...] le lien [...] est représenté par l'élément
  MedicationRequest.groupIdentifier"). R4 names that element ``groupIdentifier`` in MedicationRequest and
  ``requisition`` in ServiceRequest ("a shared identifier common to all service requests that were authorized more
  or less simultaneously by a single author"; R4's ServiceRequest has no groupIdentifier). Its value is the
  18-character id, in a sandbox system, not an official OID.
- ``MedicationRequest`` for medicines and medical devices, ``ServiceRequest`` for acts (biology, nursing,
  physiotherapy, speech therapy, orthoptics, podiatry). That ANS guide covers medicines only (its home page: devices
  "feront l'objet de travaux ultérieurs"; acts are outside it), so ServiceRequest for acts is not from that guide:
  it is FHIR R4's resource for "a service to be performed", profiled by FR Core (fr-core-service-request). Devices
  stay MedicationRequest because R4's DeviceRequest has no quantity (R5 added it: the xver-r5.r4 extension
  DeviceRequest.quantity).
- ``status``: issued and partially_dispensed give ``active`` ("not all actions [...] have occurred yet"), dispensed
  gives ``completed``; for the two resources these codes mean the same. When the dispensing is hidden from this
  caller (the patient objected), ``unknown``: status is 1..1, and any other code would tell what the patient hid
  (the JSON consult gives ``status: null`` then). Taken from the whole prescription, not from each line.
- ``subject``: the NIR as FR Core Patient INS's ``INS-NIR-TEST`` slice (use ``official``, type fr-core-cs-v2-0203
  ``INS-NIR-TEST``, system ``urn:oid:1.2.250.1.213.1.4.10``, "Autorité d'affectation des INS-NIR de test":
  Interop-Sante/hl7.fhir.fr.core, input/fsh/profiles/FRCorePatientINSProfile.fsh, beside ``INS-NIR`` at
  ``urn:oid:1.2.250.1.213.1.4.8`` for real identities). Every patient of the sandbox is fictitious, so its NIR is
  a test identity and must never be read as a real patient's: never the real INS-NIR (or NSS) system.
- ``requester``: FR Core Practitioner gives ``urn:oid:1.2.250.1.71.4.2.1`` to the idNatPs, a *prefixed* national id
  (8 + RPPS) that "ne doit pas être construit", and its own slice to the bare RPPS (system
  ``https://rpps.esante.gouv.fr``, type ``RPPS``). The sandbox's prescriber id is a RPPS or a N° AM (liberal doctor,
  not an RPPS at all) or a test id, so a valid RPPS goes in the rpps slice, anything else in a sandbox system.
- Line code: the sandbox binds each category to one code system (rules.CODE_SYSTEMS) and checks the codes' shape
  (a CIP13's key too). A CIP13 goes in the ANSM's presentation system, ``http://data.esante.gouv.fr/ansm/medicament/
  Presentation`` (the ePrescription guide's alias ``$CIP``; its ValueSet fr-medication-code, at the commit read,
  includes UCD, SMS, substances and specialities but not presentations: a required binding the sandbox's CIP13
  codes do not meet, said in docs/teleservice.md); LPP, NABM and NGAP codes go in sandbox systems.
- Content (FR Core MedicationRequest, Interop-Sante/hl7.fhir.fr.core, FRCoreMedicationRequestProfile.fsh, and the
  ePrescription guide's FrMedicationRequest.fsh): the posology is ``dosageInstruction`` (1..*: its text, and
  ``timing.repeat`` frequency / period / periodUnit and ``doseAndRate.doseQuantity`` when structured; never
  ``patientInstruction``, which the guide forbids), the validity ``dispenseRequest.validityPeriod``, the renewals
  ``numberOfRepeatsAllowed``, « non substituable » ``substitution.allowedBoolean`` false; the desired execution
  date the posology's ``timing.repeat.boundsPeriod.start`` (a ServiceRequest's ``occurrenceTiming.event``, 1..1 in
  FR Core ServiceRequest). A line not reimbursed carries FR Core's ``fr-core-not-covered``; ALD, AT/MP and
  prevention (FR Core models them as reasonReference to Observations the sandbox does not keep) a sandbox
  extension, as does the practice's N° AM or the centre's FINESS (system ``http://finess.sante.gouv.fr``).
- Quantities: ``dispenseRequest.quantity`` and ``expectedSupplyDuration`` (UCUM ``d``) for a MedicationRequest;
  ``quantityQuantity`` and ``occurrenceTiming.repeat.boundsDuration`` for a ServiceRequest, which has no
  dispenseRequest. Without a unit in the sandbox, quantities carry a bare value.
- The dispensed quantity, only when the dispensing is shown: an extension. R4 wants an extension's url to be an
  absolute URL, not a URN, so it lives under the reserved ``.invalid`` domain (RFC 2606): plainly not official.
"""

from __future__ import annotations

import uuid
from typing import Any

from preserie.domain.identifiers import check_rpps
from preserie.teleservice.records import (
    CANCELLED,
    DISPENSED,
    EXPIRED,
    ISSUED,
    PARTIALLY_DISPENSED,
    LineRecord,
    Posology,
    PrescriptionRecord,
)
from preserie.teleservice.rules import CODE_SYSTEMS

FHIR_JSON = "application/fhir+json"
SANDBOX = "urn:preserie:teleservice"  # the sandbox's own systems: not official identifiers or code systems
PRESCRIPTION_ID_SYSTEM = f"{SANDBOX}:prescription-id"
CATEGORY_SYSTEM = f"{SANDBOX}:category"
PROFESSIONAL_ID_SYSTEM = f"{SANDBOX}:professional-id"
EXTENSIONS = "https://preserie.invalid/fhir/StructureDefinition"
DISPENSED_EXTENSION = f"{EXTENSIONS}/dispensed-quantity"
COVERAGE_EXTENSION = f"{EXTENSIONS}/coverage"  # ald, at-mp, prevention, non-reimbursable: valueBoolean each
STRUCTURE_EXTENSION = f"{EXTENSIONS}/prescriber-structure"  # the practice's N° AM or the centre's FINESS
# A bare FINESS (type FINEG), as the ANS directory's Organization examples carry it; urn:oid:1.2.250.1.71.4.2.2 is
# the prefixed idNatSt, not to be built by hand.
FINESS_SYSTEM = "http://finess.sante.gouv.fr"
# FR Core's extension for a treatment not reimbursed (fr-core-not-covered: MedicationRequest, valueBoolean 1..1).
NOT_COVERED_EXTENSION = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-not-covered"
# The code system of each category's codes (rules.CODE_SYSTEMS): CIP presentations in the ANSM's system, as the
# ePrescription guide names it (alias $CIP); the others in sandbox systems (no public FHIR system was found).
CODE_SYSTEM_URLS = {"cip13": "http://data.esante.gouv.fr/ansm/medicament/Presentation", "lpp": f"{SANDBOX}:lpp",
                    "nabm": f"{SANDBOX}:nabm", "ngap": f"{SANDBOX}:ngap"}
AM_SYSTEM = f"{SANDBOX}:am"  # the N° AM of a practice: no public FHIR system found
# FR Core Patient INS, slice INS-NIR-TEST (fr-core-patient-ins): the sandbox's patients are test identities. The
# real INS-NIR is urn:oid:1.2.250.1.213.1.4.8; .10 is the test OID (Interop-Sante/hl7.fhir.fr.core,
# input/fsh/profiles/FRCorePatientINSProfile.fsh; its type code in input/fsh/codesystems/FRCoreCodeSystemv2-0203.fsh).
NIR_SYSTEM = "urn:oid:1.2.250.1.213.1.4.10"
NIR_TYPE = "INS-NIR-TEST"
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"  # FR Core Practitioner, slice rpps
FR_CORE_V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
UCUM = "http://unitsofmeasure.org"

MEDICATION_CATEGORIES = frozenset({"medicines", "medical_devices"})  # every other category is acts
# R4's codes differ per resource: MedicationRequest cancelled / stopped, ServiceRequest revoked for both.
REQUEST_STATUS = {
    "MedicationRequest": {ISSUED: "active", PARTIALLY_DISPENSED: "active", DISPENSED: "completed",
                          CANCELLED: "cancelled", EXPIRED: "stopped"},
    "ServiceRequest": {ISSUED: "active", PARTIALLY_DISPENSED: "active", DISPENSED: "completed",
                       CANCELLED: "revoked", EXPIRED: "revoked"},
}
HIDDEN_STATUS = "unknown"
# The element that carries the prescription's id, shared by its lines: R4 names it per resource.
GROUP_ELEMENT = {"MedicationRequest": "groupIdentifier", "ServiceRequest": "requisition"}

# The outline published in /openapi.json; the full structure is FHIR R4's.
BUNDLE_JSON_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["resourceType", "type", "entry"],
    "properties": {
        "resourceType": {"const": "Bundle"}, "type": {"const": "collection"},
        "entry": {"type": "array", "items": {
            "type": "object", "required": ["fullUrl", "resource"],
            "properties": {"fullUrl": {"type": "string"}, "resource": {
                "type": "object", "required": ["resourceType", "status", "intent", "subject"],
                "properties": {"resourceType": {"enum": ["MedicationRequest", "ServiceRequest"]}},
                # R4: the prescription's id is a MedicationRequest's groupIdentifier, a ServiceRequest's requisition
                "oneOf": [{"properties": {"resourceType": {"const": kind}}, "required": [element]}
                          for kind, element in (("MedicationRequest", "groupIdentifier"),
                                                ("ServiceRequest", "requisition"))]}}}},
    },
}


def prescription_bundle(record: PrescriptionRecord, *, dispensing_shown: bool) -> dict[str, Any]:
    """The prescription as a FHIR R4 ``collection`` Bundle, one request per line in the lines' order."""
    build = _medication_request if record.category in MEDICATION_CATEGORIES else _service_request
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": _full_url(record.id, line.number), "resource": build(record, line, dispensing_shown)}
                  for line in record.lines],
    }


def _full_url(prescription_id: str, number: int) -> str:
    # The resources are not served one by one: a stable urn:uuid, the same at every read.
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{PRESCRIPTION_ID_SYSTEM}/{prescription_id}/{number}')}"


def _medication_request(record: PrescriptionRecord, line: LineRecord, shown: bool) -> dict[str, Any]:
    supply: dict[str, Any] = {"quantity": {"value": line.quantity}}
    if record.valid_until is not None:
        supply["validityPeriod"] = {"start": (record.authored_on or record.created_at.date()).isoformat(),
                                    "end": record.valid_until.isoformat()}
    if line.renewals:
        supply["numberOfRepeatsAllowed"] = line.renewals
    if line.duration_days is not None:
        supply["expectedSupplyDuration"] = _days(line.duration_days)
    resource = {**_request("MedicationRequest", record, line, shown),
                "medicationCodeableConcept": _concept(line, record.category), **_parties(record)}
    if line.posology is not None:
        resource["dosageInstruction"] = [_dosage(line.posology, record)]
    resource["dispenseRequest"] = supply
    if line.substitution_allowed is not None:
        resource["substitution"] = {"allowedBoolean": line.substitution_allowed}
    return resource


def _dosage(posology: Posology, record: PrescriptionRecord) -> dict[str, Any]:
    """R4 Dosage: the text as prescribed, and its structured reading when there is one."""
    dosage: dict[str, Any] = {"text": posology.text}
    repeat: dict[str, Any] = {}
    if posology.frequency is not None and posology.period is not None and posology.period_unit is not None:
        repeat.update(frequency=posology.frequency, period=posology.period, periodUnit=posology.period_unit)
    if record.execute_on is not None:
        repeat["boundsPeriod"] = {"start": record.execute_on.isoformat()}
    if repeat:
        dosage["timing"] = {"repeat": repeat}
    if posology.dose is not None:
        dose: dict[str, Any] = {"value": posology.dose}
        if posology.unit is not None:
            dose["unit"] = posology.unit
        dosage["doseAndRate"] = [{"doseQuantity": dose}]
    return dosage


def _service_request(record: PrescriptionRecord, line: LineRecord, shown: bool) -> dict[str, Any]:
    resource = {**_request("ServiceRequest", record, line, shown), "code": _concept(line, record.category),
                "quantityQuantity": {"value": line.quantity}, **_parties(record)}
    # FR Core ServiceRequest: occurrence[x] 1..1, the desired date (the prescription's day when none is given)
    timing: dict[str, Any] = {"event": [(record.execute_on or record.authored_on or record.created_at.date())
                                        .isoformat()]}
    if line.duration_days is not None:
        timing["repeat"] = {"boundsDuration": _days(line.duration_days)}
    resource["occurrenceTiming"] = timing
    if line.posology is not None:
        resource["patientInstruction"] = line.posology.text
    return resource


def _request(resource_type: str, record: PrescriptionRecord, line: LineRecord, shown: bool) -> dict[str, Any]:
    """What both kinds of request share, up to what is requested."""
    resource: dict[str, Any] = {"resourceType": resource_type, "id": f"{record.id}-{line.number}"}
    cover = line.coverage.__dict__
    if resource_type == "MedicationRequest":  # FR Core's own extension where it applies, ours for the rest
        extensions: list[dict[str, Any]] = [{"url": NOT_COVERED_EXTENSION, "valueBoolean": cover["non_reimbursable"]}]
        cover = {name: value for name, value in cover.items() if name != "non_reimbursable"}
    else:
        extensions = []
    extensions.append({"url": COVERAGE_EXTENSION, "extension": [
        {"url": name.replace("_", "-"), "valueBoolean": value} for name, value in cover.items()]})
    if record.prescriber is not None:
        system = FINESS_SYSTEM if record.prescriber.structure_kind == "finess" else AM_SYSTEM
        extensions.append({"url": STRUCTURE_EXTENSION, "valueIdentifier": {
            "system": system, "value": record.prescriber.structure_id}})
    if shown:
        extensions.append({"url": DISPENSED_EXTENSION, "valueQuantity": {"value": line.dispensed}})
    resource["extension"] = extensions
    group = GROUP_ELEMENT[resource_type]
    told = shown or record.status == CANCELLED  # a cancel tells nothing of the dispensing the patient hides
    return {**resource,
            group: {"system": PRESCRIPTION_ID_SYSTEM, "value": record.id},
            "status": REQUEST_STATUS[resource_type][record.status] if told else HIDDEN_STATUS,
            "intent": "order",
            "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": record.category}]}]}


def _parties(record: PrescriptionRecord) -> dict[str, Any]:
    return {"subject": {"type": "Patient", "identifier": {
                "use": "official", "type": {"coding": [{"system": FR_CORE_V2_0203, "code": NIR_TYPE}]},
                "system": NIR_SYSTEM, "value": record.patient_nir}},
            "authoredOn": (record.authored_on.isoformat() if record.authored_on else record.created_at.isoformat()),
            "requester": {"type": "Practitioner", "identifier": practitioner_identifier(
                record.prescriber.rpps if record.prescriber else record.prescriber_id)}}


def practitioner_identifier(prescriber_id: str) -> dict[str, Any]:
    """FR Core's rpps slice for a valid RPPS number; a N° AM or a test id goes, as it is, in a sandbox system."""
    if check_rpps(prescriber_id, allow_test=True).valid:
        return {"type": {"coding": [{"system": FR_CORE_V2_0203, "code": "RPPS"}]}, "system": RPPS_SYSTEM,
                "value": prescriber_id}
    return {"system": PROFESSIONAL_ID_SYSTEM, "value": prescriber_id}


def _concept(line: LineRecord, category: str) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if line.code is not None:
        concept["coding"] = [{"system": CODE_SYSTEM_URLS[CODE_SYSTEMS[category][0]], "code": line.code}]
    if line.text is not None:
        concept["text"] = line.text
    return concept


def _days(days: int) -> dict[str, Any]:
    return {"value": days, "unit": "jours", "system": UCUM, "code": "d"}
