"""The doctors' survey and the vendor's anomaly log (SPEC §4), as validated rows."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationInfo, field_validator


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_null(cls, value: object, info: ValidationInfo) -> object:
        """An empty cell is no value: null, or the field's default when it is text (an anomaly's summary)."""
        if value != "":
            return value
        default = cls.model_fields[info.field_name].default if info.field_name else None
        return default if isinstance(default, str) else None


class SurveyAnswer(_Row):
    practitioner: StrictStr = Field(min_length=1)
    submitted_on: dt.date
    ease: int = Field(ge=1, le=5)
    speed: int = Field(ge=1, le=5)
    integration: int = Field(ge=1, le=5)
    training: int = Field(ge=1, le=5)
    support: int = Field(ge=1, le=5)
    overall: int = Field(ge=1, le=5)
    blocking_issue: bool
    blocking_issue_text: str | None = None
    comment: str | None = None

    @field_validator("blocking_issue", mode="before")
    @classmethod
    def _exact_boolean(cls, value: object) -> object:
        if isinstance(value, str) and value not in ("true", "false"):
            raise ValueError("true ou false attendu")
        return value == "true" if isinstance(value, str) else value


SCORES: tuple[str, ...] = ("ease", "speed", "integration", "training", "support", "overall")


class Anomaly(_Row):
    id: StrictStr = Field(min_length=1)
    opened_on: dt.date
    closed_on: dt.date | None = None
    operation: Literal["create", "consult", "search"] | None = None
    severity: Literal["blocking", "major", "minor"]
    origin: Literal["software", "teleservice", "environment"]
    practitioner: str | None = None
    summary: str = ""

    def is_open_on(self, day: dt.date) -> bool:
        """Open at the evaluation day: opened on or before it, and not closed on or before it (SPEC §6 C3)."""
        return self.opened_on <= day and (self.closed_on is None or self.closed_on > day)

    def blocks(self, operation: str) -> bool:
        return self.severity == "blocking" and self.origin == "software" and self.operation in (None, operation)
