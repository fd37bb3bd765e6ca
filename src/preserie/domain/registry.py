"""What the registry keeps of a présérie, as plain records: what the repositories return and the services use.

The tables (`adapters.db.tables`) and the API's schemas (`api.schemas`) are other shapes of the same facts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from preserie.domain.lifecycle import Status


@dataclass(frozen=True)
class PilotRecord:
    id: int
    key: str  # the public id
    ref: str  # the vendor's id of the pilot (pilot.yaml `id`)
    vendor: str
    status: Status
    phase: int
    declaration: dict[str, Any]  # pilot.yaml without practitioners
    reduced_minimum: bool | None
    created_at: dt.datetime
    updated_at: dt.datetime
    module_id: int | None = None


@dataclass(frozen=True)
class PractitionerRecord:
    id: int
    pilot_id: int
    phase: int
    ref: str
    situation: str
    cpam: str
    equipped: bool
    health_center: str | None = None
    specialty: str | None = None
    practice: str | None = None
    agreement_on: dt.date | None = None
    compatibility_checked_on: dt.date | None = None
    compatible: bool | None = None
    compatibility_note: str | None = None
    planned_installation_on: dt.date | None = None
    planned_training_on: dt.date | None = None
    installed_on: dt.date | None = None
    installed_by: int | None = None
    trained_on: dt.date | None = None
    trained_by: int | None = None

    def declared(self) -> dict[str, Any]:
        """The practitioner as pilot.yaml declares it."""
        data: dict[str, Any] = {"id": self.ref, "situation": self.situation, "cpam": self.cpam,
                                "equipped": self.equipped}
        for name in ("health_center", "specialty", "practice", "installed_on", "trained_on"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value.isoformat() if isinstance(value, dt.date) else value
        return data


@dataclass(frozen=True)
class AnomalyRecord:
    id: int
    pilot_id: int
    phase: int
    ref: str
    opened_on: dt.date
    opened_by: int
    severity: str
    origin: str
    summary: str
    operation: str | None = None
    practitioner: str | None = None
    acknowledged_at: dt.datetime | None = None
    acknowledged_by: int | None = None
    fixed_at: dt.datetime | None = None
    fixed_by: int | None = None
    fixed_in_version: str | None = None
    closed_on: dt.date | None = None
    closed_by: int | None = None


@dataclass(frozen=True)
class DecisionRecord:
    id: int
    pilot_id: int
    phase: int
    decision: str
    decided_at: dt.datetime
    decided_by: int
    assessment: str
    assessment_sha256: str
    justification: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    account_id: int | None
    event: str
    from_status: str | None = None
    to_status: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class PhaseRecord:
    number: int
    software_version: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None = None


@dataclass(frozen=True)
class MeetingRecord:
    id: int
    held_on: dt.date
    participants: list[dict[str, str]] = field(default_factory=list)
    recorded_by: int = 0
    recorded_at: dt.datetime | None = None
