"""Between the API's shapes (schemas.py) and the store's records (records.py): a create's body as a draft, a record
as the JSON a caller may see, the day the rules go by."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from preserie.teleservice.catalogue import PRESCRIBER
from preserie.teleservice.records import (
    CANCELLED,
    Coverage,
    NewLine,
    NewPrescription,
    Posology,
    Prescriber,
    PrescriptionRecord,
)
from preserie.teleservice.rules import CODE_SYSTEMS, status_at
from preserie.teleservice.schemas import PrescriptionCreate, PrescriptionPublic
from preserie.teleservice.tokens import Caller

PARIS = ZoneInfo("Europe/Paris")


def today_in_paris() -> date:
    """The day validity and expiry go by: the prescription's dates are French calendar days."""
    return datetime.now(PARIS).date()


def draft_of(body: PrescriptionCreate, prescriber_id: str) -> NewPrescription:
    return NewPrescription(
        body.id, prescriber_id, body.category, body.patient_nir, body.software.name, body.software.version,
        body.consents.dispensing_visible_to_prescriber, body.consents.dmp_deposit,
        tuple(NewLine(line.code, line.text, line.quantity, line.duration_days,
                      Posology(**line.posology.model_dump()) if line.posology else None, line.renewals,
                      line.substitution_allowed, Coverage(**line.coverage.model_dump())) for line in body.lines),
        Prescriber(body.prescriber.rpps, body.prescriber.structure.kind, body.prescriber.structure.id),
        body.authored_on, body.valid_until, body.execute_on)


def as_of(record: PrescriptionRecord, today: date) -> PrescriptionRecord:
    """The record with its status on ``today`` (expired once its validity has passed)."""
    status = status_at(record.status, record.valid_until, today)
    return record if status == record.status else dataclasses.replace(record, status=status)


def is_dispensing_shown(record: PrescriptionRecord, caller: Caller) -> bool:
    return caller.role != PRESCRIBER or record.dispensing_visible_to_prescriber


def public(record: PrescriptionRecord, caller: Caller) -> PrescriptionPublic:
    """What ``caller`` sees of ``record``: without the dispensing (nor a status that would tell of it) when the
    patient hides it from the prescriber; a cancel is the prescriber's own and tells nothing of a dispensing."""
    shown = is_dispensing_shown(record, caller)
    who = record.prescriber
    return PrescriptionPublic.model_validate({
        "id": record.id, "category": record.category, "prescriber_id": record.prescriber_id,
        "patient_nir": record.patient_nir, "created_at": record.created_at,
        "prescriber": {"rpps": who.rpps, "structure": {"kind": who.structure_kind, "id": who.structure_id}}
        if who else None,
        "authored_on": record.authored_on, "valid_until": record.valid_until, "execute_on": record.execute_on,
        "cancelled_at": record.cancelled_at,
        "status": record.status if shown or record.status == CANCELLED else None,
        "software": {"name": record.software_name, "version": record.software_version},
        "consents": {"dispensing_visible_to_prescriber": record.dispensing_visible_to_prescriber,
                     "dmp_deposit": record.dmp_deposit},
        "dispensing_visible": shown,
        "lines": [_line(line.__dict__, record.category, shown) for line in record.lines],
        "dispensations": [{**given.__dict__, "lines": [{"line": n, "quantity": q} for n, q in given.lines]}
                          for given in record.dispensations] if shown else [],
    })


def _line(line: dict[str, Any], category: str, shown: bool) -> dict[str, Any]:
    return {**line, "code_system": CODE_SYSTEMS[category][0] if line["code"] is not None else None,
            "posology": dataclasses.asdict(line["posology"]) if line["posology"] else None,
            "coverage": dataclasses.asdict(line["coverage"]), "dispensed": line["dispensed"] if shown else None}
