"""Records to table rows and back (records.py ↔ tables.py): what the store writes and reads, without I/O."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from typing import Any

from preserie.teleservice.records import (
    Coverage,
    DispensationRecord,
    LineRecord,
    NewPrescription,
    Posology,
    Prescriber,
    PrescriptionRecord,
)
from preserie.teleservice.tables import COVERAGE_FLAGS


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def prescription_row(draft: NewPrescription, now: datetime, status: str, dates: tuple[date, date],
                     registry: tuple[str, str | None]) -> dict[str, Any]:
    """The prescriptions row of ``draft``: ``dates`` are its (authored_on, valid_until) after the rules' defaults,
    ``registry`` the registry's (status, reject code)."""
    who = draft.prescriber
    return {"id": draft.id, "prescriber_id": draft.prescriber_id, "patient_nir": draft.patient_nir,
            "category": draft.category, "created_at": now, "status": status, "software_name": draft.software_name,
            "software_version": draft.software_version, "dispensing_visible": draft.dispensing_visible_to_prescriber,
            "dmp_deposit": draft.dmp_deposit, "registry_status": registry[0], "reject_code": registry[1],
            "prescriber_rpps": who.rpps if who else None, "structure_kind": who.structure_kind if who else None,
            "structure_id": who.structure_id if who else None, "authored_on": dates[0], "valid_until": dates[1],
            "execute_on": draft.execute_on}


def line_rows(draft: NewPrescription) -> list[dict[str, Any]]:
    return [{"prescription_id": draft.id, "number": number, "code": line.code, "text": line.text,
             "quantity": line.quantity, "duration_days": line.duration_days, "dispensed": 0,
             "posology": json.dumps(dataclasses.asdict(line.posology)) if line.posology else None,
             "renewals": line.renewals, "substitution_allowed": line.substitution_allowed,
             **dataclasses.asdict(line.coverage)}
            for number, line in enumerate(draft.lines, start=1)]


def line_record(r: Any) -> LineRecord:
    return LineRecord(r.number, r.code, r.text, r.quantity, r.duration_days, r.dispensed,
                      Posology(**json.loads(r.posology)) if r.posology else None, r.renewals,
                      r.substitution_allowed, Coverage(**{flag: bool(getattr(r, flag)) for flag in COVERAGE_FLAGS}))


def prescription_record(row: Any, lines: tuple[LineRecord, ...],
                        given: tuple[DispensationRecord, ...]) -> PrescriptionRecord:
    prescriber = Prescriber(row.prescriber_rpps, row.structure_kind, row.structure_id) \
        if row.prescriber_rpps is not None else None
    return PrescriptionRecord(
        row.id, row.prescriber_id, row.category, row.patient_nir, aware(row.created_at), row.status,
        row.software_name, row.software_version, row.dispensing_visible, row.dmp_deposit, lines, given,
        prescriber, row.authored_on, row.valid_until, row.execute_on,
        aware(row.cancelled_at) if row.cancelled_at is not None else None)
