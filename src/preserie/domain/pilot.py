"""The pilot declaration (`pilot.yaml`, SPEC §4), as a validated model.

Ids are strings: a N° AM may start with 0, so YAML numbers are refused rather than converted.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, field_validator, model_validator

SCHEMA = "preserie.pilot/1"


class Audience(StrEnum):
    LIBERAL = "liberal"
    HEALTH_CENTER = "health_center"
    MIXED = "mixed"


class Situation(StrEnum):
    LIBERAL = "liberal"
    HEALTH_CENTER = "health_center"


# The seed's words for them, on screens and in the dossier's details.
SITUATION_LABELS: dict[str, str] = {Situation.LIBERAL: "libéral", Situation.HEALTH_CENTER: "centre de santé"}
AUDIENCE_LABELS: dict[str, str] = {**SITUATION_LABELS, Audience.MIXED: "mixte"}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Department = Annotated[StrictStr, Field(pattern=r"^(\d{2}|2A|2B|97\d)$")]
IdString = Annotated[StrictStr, Field(min_length=1, max_length=32)]


class Software(_Model):
    name: StrictStr
    version: StrictStr
    cnda_authorization: StrictStr | None = None
    audience: Audience
    market_share_percent: float | None = Field(default=None, ge=0, le=100)


class Readiness(_Model):
    support: StrictBool = False
    installation_and_training: StrictBool = False
    kit: StrictBool = False


class HealthCenter(_Model):
    finess: IdString
    name: StrictStr


class Practitioner(_Model):
    id: IdString
    situation: Situation
    health_center: IdString | None = None
    specialty: Literal["general", "specialist"] | None = None
    practice: Literal["solo", "group", "msp", "health_center"] | None = None
    cpam: Department
    equipped: StrictBool
    installed_on: dt.date | None = None
    trained_on: dt.date | None = None

    @property
    def is_user(self) -> bool:
        return self.equipped


class PilotDeclaration(_Model):
    schema_: Literal["preserie.pilot/1"] = Field(alias="schema")
    id: IdString
    vendor: StrictStr
    software: Software
    readiness: Readiness = Readiness()
    cpams: list[Department] = Field(min_length=0)
    planned_weeks: int = Field(ge=1, le=104)
    launch_meeting: dt.date | None = None
    technical_prerequisites: list[StrictStr] = []
    health_centers: list[HealthCenter] = []
    practitioners: list[Practitioner] = Field(min_length=1)
    policy: dict[str, Any] = {}
    # « le nombre de PS minimum pourra être revu à 3 PS »: the Cnam's decision, recorded by the registry. Absent: the
    # folder's rule (3 below 1 % market share); false: the usual minimum whatever the share; true: 3.
    reduced_minimum: StrictBool | None = None

    @field_validator("technical_prerequisites", "health_centers", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def _ids_are_unique(self) -> PilotDeclaration:
        seen: set[str] = set()
        for index, practitioner in enumerate(self.practitioners):
            if practitioner.id in seen:
                raise ValueError(f"practitioners[{index}].id : {practitioner.id} est déclaré deux fois")
            seen.add(practitioner.id)
        return self

    @property
    def users(self) -> list[Practitioner]:
        """The equipped practitioners: the « médecins utilisateurs » of the seed."""
        return [p for p in self.practitioners if p.is_user]
