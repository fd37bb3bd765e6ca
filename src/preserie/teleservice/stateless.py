"""The stateless sandbox (`preserie teleservice serve --stateless`), as the NHS open sandbox is: no database, canned
and valid answers for every documented example, so that a module's CI runs against it in a second.

Every request is checked as the stateful sandbox checks it (token, schema, the content rules of rules.py); nothing
is stored. A create answers 201 with the id sent, or 409 PRESCRIPTION_ID_TAKEN for an example's id; consult, QR,
FHIR, search, dispense and cancel answer from the examples below (EXAMPLES, listed in docs/teleservice.md), as if
each call were the first: a dispensing or a cancel is answered and forgotten. The examples belong to
EXAMPLE_PRESCRIBER; their dates follow the day the sandbox started, so that the expired one is always expired.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from preserie.teleservice.catalogue import TeleserviceError
from preserie.teleservice.ids import with_check_character
from preserie.teleservice.records import (
    CANCELLED,
    DISPENSED,
    ISSUED,
    PARTIALLY_DISPENSED,
    Coverage,
    DispensationRecord,
    JournalEntry,
    LineRecord,
    NewPrescription,
    Posology,
    Prescriber,
    PrescriptionRecord,
    SearchQuery,
)
from preserie.teleservice.rules import check_cancel, check_content, cip13, status_after_dispensing, status_at

EXAMPLE_PRESCRIBER = "10003456786"  # the examples' prescriber: a token with this id and role prescriber sees them
EXAMPLE_PHARMACIST = "PHARMACIE-EXEMPLE"
EXAMPLE_PATIENT = "1841275123456" + f"{97 - 1841275123456 % 97:02d}"  # a NIR with its key
_CODES = {"medicines": cip13("340093000001"), "medical_devices": "1314220", "biology": "1104",
          "nursing": "AMI 2", "physiotherapy": "AMK 8", "speech_therapy": "AMO 13.5", "orthoptics": "AMY 5",
          "podiatry": "POD 1"}


def example_id(name: str) -> str:
    """The id of an example: EX, its name (15 characters, padded with 0), its check character.

    >>> example_id("MEDICINES")
    'EXMEDICINES000000G'
    """
    return with_check_character(f"EX{name.upper().replace('_', '')[:15]:0<15}")


# name → (category, status, dispensed quantities of its two lines)
_SHAPES: dict[str, tuple[str, str, tuple[int, int]]] = {
    **{category: (category, ISSUED, (0, 0)) for category in _CODES},
    "partially_dispensed": ("medicines", PARTIALLY_DISPENSED, (1, 0)),
    "dispensed": ("medicines", DISPENSED, (2, 1)),
    "cancelled": ("medicines", CANCELLED, (0, 0)),
    "expired": ("medicines", ISSUED, (0, 0)),  # open, past its validity: expired when read
    "hidden": ("medicines", PARTIALLY_DISPENSED, (1, 0)),  # the patient hides the dispensing from the prescriber
}


def _example(name: str, started: date) -> PrescriptionRecord:
    category, status, given = _SHAPES[name]
    authored = started - timedelta(days=120) if name == "expired" else started
    created = datetime.combine(authored, time(9, 30), tzinfo=UTC)
    posology = Posology("1 comprimé matin et soir", 1, "comprimé", 2, 1, "d")
    lines = tuple(LineRecord(n, _CODES[category], f"ligne {n} ({category})", quantity, 30, given[n - 1], posology,
                             renewals=0, substitution_allowed=False if category == "medicines" and n == 2 else None,
                             coverage=Coverage(ald=n == 1))
                  for n, quantity in ((1, 2), (2, 1)))
    dispensations = tuple(DispensationRecord(n, EXAMPLE_PHARMACIST, "pharmacist", created + timedelta(hours=n),
                                             ((n, given[n - 1]),)) for n in (1, 2) if given[n - 1])
    return PrescriptionRecord(
        example_id(name), EXAMPLE_PRESCRIBER, category, EXAMPLE_PATIENT, created, status, "Exemple", "1",
        name != "hidden", True, lines, dispensations, Prescriber(EXAMPLE_PRESCRIBER, "am", "750123457"), authored,
        authored + timedelta(days=90), None, created + timedelta(hours=1) if status == CANCELLED else None)


class CannedStore:
    """The examples, and answers computed from them without keeping anything (ports.PrescriptionStore)."""

    def __init__(self, today: date | None = None) -> None:
        started = today or date.today()
        self.examples = {record.id: record for record in (_example(name, started) for name in _SHAPES)}

    def create_tables(self) -> None:
        pass

    def close(self) -> None:
        pass

    def ping(self) -> None:
        pass

    def create(self, draft: NewPrescription, *, today: date, key: str | None = None, body_hash: str = "",
               registry: Callable[[str], str | None] | None = None) -> tuple[str, bool]:
        check_content(draft, today)
        if draft.id in self.examples:
            raise TeleserviceError("PRESCRIPTION_ID_TAKEN")
        return draft.id, False

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        return self.examples.get(prescription_id)

    def dispense(self, prescription_id: str, dispenser_id: str, role: str, given: dict[int, int], *,
                 render: Callable[[PrescriptionRecord], str], today: date, key: str | None = None,
                 body_hash: str = "") -> tuple[str, bool]:
        record = self._found(prescription_id)
        lines = {line.number: (line.quantity, line.dispensed) for line in record.lines}
        after = status_after_dispensing(record.category, status_at(record.status, record.valid_until, today), role,
                                        lines, given)
        now = datetime.now(UTC)
        done = DispensationRecord(len(record.dispensations) + 1, dispenser_id, role, now, tuple(sorted(given.items())))
        return render(dataclasses.replace(
            record, status=after, dispensations=(*record.dispensations, done),
            lines=tuple(dataclasses.replace(line, dispensed=line.dispensed + given.get(line.number, 0))
                        for line in record.lines))), False

    def cancel(self, prescription_id: str, prescriber_id: str, today: date) -> PrescriptionRecord:
        record = self._found(prescription_id)
        if record.prescriber_id != prescriber_id:
            raise TeleserviceError("PRESCRIPTION_NOT_FOUND")
        status = status_at(record.status, record.valid_until, today)
        if status == CANCELLED:
            return record
        check_cancel(status)
        return dataclasses.replace(record, status=CANCELLED, cancelled_at=datetime.now(UTC))

    def _found(self, prescription_id: str) -> PrescriptionRecord:
        record = self.examples.get(prescription_id)
        if record is None:
            raise TeleserviceError("PRESCRIPTION_NOT_FOUND")
        return record

    def search(self, query: SearchQuery) -> tuple[list[PrescriptionRecord], int]:
        today = query.today or date.today()

        def matches(r: PrescriptionRecord) -> bool:
            status = status_at(r.status, r.valid_until, today)
            return (r.prescriber_id == query.prescriber_id
                    and query.patient_nir in (None, r.patient_nir) and query.category in (None, r.category)
                    and (query.start is None or r.created_at >= query.start)
                    and (query.end is None or r.created_at < query.end)
                    and (query.status is None or (status == query.status and r.dispensing_visible_to_prescriber)))

        found = sorted((r for r in self.examples.values() if matches(r)), key=lambda r: (-r.created_at.timestamp(),
                                                                                        r.id))
        start = (query.page - 1) * query.size
        return found[start:start + query.size], len(found)

    def registrations(self, *, since: datetime | None = None, practitioners: tuple[str, ...] = (),
                      ) -> Iterator[tuple[str, str, datetime, str, str | None]]:
        return iter(())  # nothing is ever registered: the stateless sandbox keeps nothing

    def journal(self, entry: JournalEntry) -> None:
        pass  # no journal either: the access log still says who called what

    def start_journal_writer(self, every: float = 0.1) -> None:
        pass

    def stop_journal_writer(self) -> None:
        pass


EXAMPLES = tuple(_SHAPES)
