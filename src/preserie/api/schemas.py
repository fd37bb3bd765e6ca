"""The API's request and response bodies, named by role (`PilotPublic`, `AnomalyCreate`…): neither the tables nor
the domain's records, which the routes translate into these."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from preserie.domain.lifecycle import STATUS_LABELS
from preserie.domain.registry import AnomalyRecord, DecisionRecord, HistoryEntry, PilotRecord, PractitionerRecord

Ref = Field(min_length=1, max_length=64)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PilotPublic(BaseModel):
    id: str
    ref: str
    vendor: str
    software: str
    status: str
    status_label: str
    phase: int
    reduced_minimum: bool | None
    module_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, p: PilotRecord) -> PilotPublic:
        return cls(id=p.key, ref=p.ref, vendor=p.vendor, software=p.declaration["software"]["name"],
                   status=p.status.value, status_label=STATUS_LABELS[p.status], phase=p.phase,
                   reduced_minimum=p.reduced_minimum, module_id=p.module_id, created_at=p.created_at,
                   updated_at=p.updated_at)


class PractitionerPublic(BaseModel):
    id: str
    phase: int
    situation: str
    cpam: str
    equipped: bool
    health_center: str | None
    specialty: str | None
    practice: str | None
    agreement_on: dt.date | None
    compatibility_checked_on: dt.date | None
    compatible: bool | None
    compatibility_note: str | None
    planned_installation_on: dt.date | None
    planned_training_on: dt.date | None
    installed_on: dt.date | None
    installed_by: int | None  # the account that recorded it
    trained_on: dt.date | None
    trained_by: int | None

    @classmethod
    def of(cls, p: PractitionerRecord) -> PractitionerPublic:
        return cls(id=p.ref, **{name: getattr(p, name) for name in cls.model_fields if name != "id"})


class PractitionerUpdate(_Body):
    agreement_on: dt.date | None = None
    compatibility_checked_on: dt.date | None = None
    compatible: bool | None = None
    compatibility_note: str | None = Field(default=None, max_length=2000)
    planned_installation_on: dt.date | None = None
    planned_training_on: dt.date | None = None


class Done(_Body):
    on: dt.date


class Reason(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class Acceptance(_Body):
    reduced_minimum: bool | None = None


class Participant(_Body):
    party: Literal["vendor", "cnam", "gie", "cpam"]
    name: str = Field(min_length=1, max_length=200)


class LaunchMeeting(_Body):
    held_on: dt.date
    participants: list[Participant] = Field(min_length=1, max_length=100)


class DecisionCreate(_Body):
    decision: Literal["deploy", "extend"]
    justification: str | None = Field(default=None, max_length=5000)


class DecisionPublic(BaseModel):
    id: int
    phase: int
    decision: str
    decided_at: dt.datetime
    justification: str | None
    assessment_sha256: str
    assessment: dict[str, Any] | None = None  # absent for a CPAM (its view is its zone's)

    @classmethod
    def of(cls, d: DecisionRecord, *, with_assessment: bool) -> DecisionPublic:
        import json

        return cls(id=d.id, phase=d.phase, decision=d.decision, decided_at=d.decided_at,
                   justification=d.justification, assessment_sha256=d.assessment_sha256,
                   assessment=json.loads(d.assessment) if with_assessment else None)


class SoftwareVersion(_Body):
    software_version: str = Field(min_length=1, max_length=100)


class AnomalyCreate(_Body):
    id: str = Ref
    opened_on: dt.date
    operation: Literal["create", "consult", "search"] | None = None
    severity: Literal["blocking", "major", "minor"]
    origin: Literal["software", "teleservice", "environment"]
    practitioner: str | None = Field(default=None, max_length=32)
    summary: str = Field(default="", max_length=5000)


class AnomalyFix(_Body):
    fixed_in_version: str = Field(min_length=1, max_length=100)


class AnomalyClose(_Body):
    closed_on: dt.date | None = None


class AnomalyPublic(BaseModel):
    id: str
    phase: int
    opened_on: dt.date
    operation: str | None
    severity: str
    origin: str
    practitioner: str | None
    summary: str
    acknowledged_at: dt.datetime | None
    fixed_at: dt.datetime | None
    fixed_in_version: str | None
    closed_on: dt.date | None
    days_to_acknowledge: float | None  # measured: opening day (00:00 UTC) to acknowledgement
    days_to_close: int | None

    @classmethod
    def of(cls, a: AnomalyRecord) -> AnomalyPublic:
        opened = dt.datetime.combine(a.opened_on, dt.time(), dt.UTC)
        ack = None if a.acknowledged_at is None else round((a.acknowledged_at - opened).total_seconds() / 86400, 2)
        return cls(id=a.ref, phase=a.phase, opened_on=a.opened_on, operation=a.operation, severity=a.severity,
                   origin=a.origin, practitioner=a.practitioner, summary=a.summary,
                   acknowledged_at=a.acknowledged_at, fixed_at=a.fixed_at, fixed_in_version=a.fixed_in_version,
                   closed_on=a.closed_on, days_to_acknowledge=ack,
                   days_to_close=None if a.closed_on is None else (a.closed_on - a.opened_on).days)


class HistoryPublic(BaseModel):
    at: dt.datetime
    account_id: int | None
    event: str
    from_status: str | None
    to_status: str | None
    detail: str | None

    @classmethod
    def of(cls, h: HistoryEntry) -> HistoryPublic:
        return cls(**h.__dict__)


class ModuleCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class ModuleChoice(_Body):
    module_id: int = Field(ge=1, le=2**31 - 1)


class ProductCreate(_Body):
    name: str = Field(min_length=1, max_length=200)
    module_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    audience: Literal["liberal", "health_center", "mixed"]
    third_party_engine: bool = False


class Error(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: list[dict[str, Any]] | None = None


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of these error statuses: the Error body, and the catalogue's codes of each."""
    from preserie.services.errors import ERRORS

    return {status: {"model": Error, "description": " ; ".join(
        f"`{code}` : {kind.message}" for code, kind in ERRORS.items() if kind.status == status)}
        for status in statuses}


# What any route may answer (its own refusals are among these): a malformed or refused request, a token that does
# not work, a role or a pilot it may not reach, a step out of turn, a body too large or of another type, the
# database away. A route adds its own (410 when traces are closed).
COMMON_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 503)
