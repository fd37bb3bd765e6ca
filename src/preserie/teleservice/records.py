"""What the store takes and gives: plain records, apart from the tables and from the API schemas."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

ISSUED, PARTIALLY_DISPENSED, DISPENSED = "issued", "partially_dispensed", "dispensed"
# Cancelled is stored (the prescriber's cancel); expired is read from the validity (rules.status_at).
CANCELLED, EXPIRED = "cancelled", "expired"
STATUSES = (ISSUED, PARTIALLY_DISPENSED, DISPENSED, CANCELLED, EXPIRED)
OPEN_STATUSES = (ISSUED, PARTIALLY_DISPENSED)  # still to dispense: they expire at the end of their validity


@dataclass(frozen=True)
class Posology:
    """How to take or do it: the text as prescribed, and its structured reading when the software has one (FHIR
    R4 Dosage: doseAndRate.doseQuantity, timing.repeat.frequency / period / periodUnit)."""

    text: str
    dose: float | None = None
    unit: str | None = None
    frequency: int | None = None
    period: float | None = None
    period_unit: str | None = None


@dataclass(frozen=True)
class Coverage:
    """How the line is paid: long-term illness (ALD), work accident or occupational disease (AT/MP), prevention,
    or not reimbursed at all."""

    ald: bool = False
    at_mp: bool = False
    prevention: bool = False
    non_reimbursable: bool = False


@dataclass(frozen=True)
class Prescriber:
    """Who prescribes and where: the RPPS of the person, and the N° AM of the practice (``am``) or the FINESS of the
    centre (``finess``); the billing number of the token (the caller) is a third, distinct number."""

    rpps: str
    structure_kind: str
    structure_id: str


@dataclass(frozen=True)
class NewLine:
    code: str | None
    text: str | None
    quantity: int
    duration_days: int | None
    posology: Posology | None = None
    renewals: int = 0
    substitution_allowed: bool | None = None  # medicines only: False is « non substituable »
    coverage: Coverage = field(default_factory=Coverage)


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
    prescriber: Prescriber | None = None  # None only for prescriptions stored before migration 0004
    authored_on: date | None = None
    valid_until: date | None = None
    execute_on: date | None = None  # the desired execution date


@dataclass(frozen=True)
class LineRecord:
    number: int
    code: str | None
    text: str | None
    quantity: int
    duration_days: int | None
    dispensed: int
    posology: Posology | None = None
    renewals: int = 0
    substitution_allowed: bool | None = None
    coverage: Coverage = field(default_factory=Coverage)


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
    prescriber: Prescriber | None = None
    authored_on: date | None = None
    valid_until: date | None = None
    execute_on: date | None = None
    cancelled_at: datetime | None = None


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
    today: date | None = None  # the day in Paris, for what has expired (None: the machine's day)


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
