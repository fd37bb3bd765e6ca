"""What the store takes and gives: plain records, apart from the tables and from the API schemas."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ISSUED, PARTIALLY_DISPENSED, DISPENSED = "issued", "partially_dispensed", "dispensed"
STATUSES = (ISSUED, PARTIALLY_DISPENSED, DISPENSED)


@dataclass(frozen=True)
class NewLine:
    code: str | None
    text: str | None
    quantity: int
    duration_days: int | None


@dataclass(frozen=True)
class NewPrescription:
    id: str  # made by the prescriber's software (ids.py)
    prescriber_id: str
    category: str
    patient_nir: str
    software_name: str
    software_version: str
    dispensing_visible_to_prescriber: bool
    dmp_deposit: bool
    lines: tuple[NewLine, ...]


@dataclass(frozen=True)
class LineRecord:
    number: int
    code: str | None
    text: str | None
    quantity: int
    duration_days: int | None
    dispensed: int


@dataclass(frozen=True)
class DispensationRecord:
    id: int
    dispenser_id: str
    dispenser_role: str
    dispensed_at: datetime
    lines: tuple[tuple[int, int], ...]  # (line number, quantity)


@dataclass(frozen=True)
class PrescriptionRecord:
    id: str
    prescriber_id: str
    category: str
    patient_nir: str
    created_at: datetime
    status: str
    software_name: str
    software_version: str
    dispensing_visible_to_prescriber: bool
    dmp_deposit: bool
    lines: tuple[LineRecord, ...]
    dispensations: tuple[DispensationRecord, ...]


@dataclass(frozen=True)
class SearchQuery:
    prescriber_id: str
    patient_nir: str | None
    start: datetime | None  # inclusive, aware
    end: datetime | None  # exclusive, aware
    category: str | None
    status: str | None
    page: int
    size: int


@dataclass(frozen=True)
class JournalEntry:
    """One call. Never the patient's NIR: the journal says who called what, not about whom."""

    operation: str
    method: str
    status: int
    duration_ms: int
    error_code: str | None = None
    caller_id: str | None = None
    caller_role: str | None = None
    prescription_id: str | None = None
