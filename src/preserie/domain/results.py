"""The assessment's result as typed, frozen values: one per criterion, reason and check.

Screens, reports and exports read their attributes; `as_dict()` gives the `preserie.assessment/1` JSON (SPEC §7),
whose keys are the attribute names, in this order. Rates are plain fractions; ids are the strings of the input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from preserie.domain.accounting import DataQuality
from preserie.domain.dossier import CheckResult
from preserie.domain.policy import Policy

if TYPE_CHECKING:  # pydantic's import is left to overlap with the reading of the traces (services/assess.py)
    from preserie.domain.feedback import SurveyAnswer

SCHEMA = "preserie.assessment/1"
DEPLOY, EXTEND = "deploy", "extend"


@dataclass(frozen=True)
class WeekCounts:
    week: str  # ISO date of the Monday (Paris)
    digital: int
    total: int

    def as_dict(self) -> dict[str, Any]:
        return {"week": self.week, "digital": self.digital, "total": self.total}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WeekCounts:
        return cls(week=data["week"], digital=data["digital"], total=data["total"])


@dataclass(frozen=True)
class UserUsage:
    """C1 for one user: their window, counts and rate (None before their first e-prescription)."""

    id: str
    window_start: str | None
    digital: int
    total: int | None
    rate: float | None
    rate_ci95: tuple[float, float] | None
    low_volume: bool
    met: bool
    weekly: tuple[WeekCounts, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "window_start": self.window_start, "digital": self.digital, "total": self.total,
                "rate": self.rate, "rate_ci95": list(self.rate_ci95) if self.rate_ci95 else None,
                "low_volume": self.low_volume, "met": self.met, "weekly": [w.as_dict() for w in self.weekly]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UserUsage:
        ci95 = data["rate_ci95"]
        return cls(id=data["id"], window_start=data["window_start"], digital=data["digital"], total=data["total"],
                   rate=data["rate"], rate_ci95=(ci95[0], ci95[1]) if ci95 else None, low_volume=data["low_volume"],
                   met=data["met"], weekly=tuple(WeekCounts.from_dict(w) for w in data["weekly"]))


@dataclass(frozen=True)
class UsageRate:
    met: bool
    threshold: float
    count_out_of_scope: bool
    practitioners: tuple[UserUsage, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"met": self.met, "threshold": self.threshold, "count_out_of_scope": self.count_out_of_scope,
                "practitioners": [p.as_dict() for p in self.practitioners]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UsageRate:
        return cls(met=data["met"], threshold=data["threshold"], count_out_of_scope=data["count_out_of_scope"],
                   practitioners=tuple(UserUsage.from_dict(p) for p in data["practitioners"]))


@dataclass(frozen=True)
class RegistrationRate:
    met: bool
    threshold: float
    created: int
    registered: int
    rate: float | None
    source: str  # "registrations" (registrations.csv) or "traces" (successful create calls)
    orphans: int
    rejected: int | None
    unknown: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"met": self.met, "threshold": self.threshold, "created": self.created, "registered": self.registered,
                "rate": self.rate, "source": self.source, "orphans": self.orphans, "rejected": self.rejected,
                "unknown": self.unknown}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RegistrationRate:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class BlockingAnomaly:
    """An anomaly open at as_of, blocking, of the software's own origin."""

    id: str
    opened_on: str
    operation: str | None
    summary: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "opened_on": self.opened_on, "operation": self.operation, "summary": self.summary}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockingAnomaly:
        return cls(id=data["id"], opened_on=data["opened_on"], operation=data["operation"], summary=data["summary"])


@dataclass(frozen=True)
class OperationResult:
    """C3 for one operation: its calls, successes and errors by class (reference data's order)."""

    calls: int
    ok: int
    errors: Mapping[str, int]
    software_error_rate: float  # an int 0 when there is no call, as the JSON has always said
    open_blocking_anomalies: tuple[BlockingAnomaly, ...]
    met: bool

    def count(self, result: str) -> int:
        """The calls of one result: "ok" or an error class."""
        return self.ok if result == "ok" else self.errors[result]

    def as_dict(self) -> dict[str, Any]:
        return {"calls": self.calls, "ok": self.ok, **self.errors, "software_error_rate": self.software_error_rate,
                "open_blocking_anomalies": [a.as_dict() for a in self.open_blocking_anomalies], "met": self.met}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationResult:
        """The error classes are the keys between "ok" and "software_error_rate", in their order."""
        named = ("calls", "ok", "software_error_rate", "open_blocking_anomalies", "met")
        return cls(calls=data["calls"], ok=data["ok"], errors={k: v for k, v in data.items() if k not in named},
                   software_error_rate=data["software_error_rate"], met=data["met"],
                   open_blocking_anomalies=tuple(BlockingAnomaly.from_dict(a)
                                                 for a in data["open_blocking_anomalies"]))


@dataclass(frozen=True)
class Operations:
    met: bool
    threshold: float
    operations: Mapping[str, OperationResult]  # create, consult, search

    @property
    def open_blocking_anomalies(self) -> tuple[BlockingAnomaly, ...]:
        """Every open blocking anomaly once (one may block several operations), in the operations' order."""
        seen: list[BlockingAnomaly] = []
        for op in self.operations.values():
            seen += [a for a in op.open_blocking_anomalies if a not in seen]
        return tuple(seen)

    def as_dict(self) -> dict[str, Any]:
        return {"met": self.met, "threshold": self.threshold,
                "operations": {name: op.as_dict() for name, op in self.operations.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Operations:
        return cls(met=data["met"], threshold=data["threshold"],
                   operations={name: OperationResult.from_dict(op) for name, op in data["operations"].items()})


@dataclass(frozen=True)
class Suspect:
    """A configuration value whose create calls fail far more often than the others (C4)."""

    field: str
    value: str
    calls: int
    failures: int
    failure_rate: float
    overall_failure_rate: float

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "value": self.value, "calls": self.calls, "failures": self.failures,
                "failure_rate": self.failure_rate, "overall_failure_rate": self.overall_failure_rate}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Suspect:
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Prerequisites:
    met: bool
    declared: tuple[str, ...]
    observed: Mapping[str, Mapping[str, int]]  # field -> value -> workstations
    users_without_snapshot: tuple[str, ...]
    suspects: tuple[Suspect, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"met": self.met, "declared": list(self.declared),
                "observed": {f: dict(values) for f, values in self.observed.items()},
                "users_without_snapshot": list(self.users_without_snapshot),
                "suspects": [s.as_dict() for s in self.suspects]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Prerequisites:
        return cls(met=data["met"], declared=tuple(data["declared"]),
                   observed={f: dict(values) for f, values in data["observed"].items()},
                   users_without_snapshot=tuple(data["users_without_snapshot"]),
                   suspects=tuple(Suspect.from_dict(s) for s in data["suspects"]))


@dataclass(frozen=True)
class BlockingIssue:
    practitioner: str
    text: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"practitioner": self.practitioner, "text": self.text}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BlockingIssue:
        return cls(practitioner=data["practitioner"], text=data["text"])


@dataclass(frozen=True)
class KnownAnswer:
    answer: SurveyAnswer
    counted: bool  # False: a later answer of the same doctor replaced it

    @property
    def has_words(self) -> bool:
        """A comment or a blocking issue: something the doctor said, not only scores."""
        a = self.answer
        return bool(a.comment or a.blocking_issue_text or a.blocking_issue)


@dataclass(frozen=True)
class Satisfaction:
    met: bool
    expected: int
    responses: int
    mean_overall: float | None
    threshold: float
    blocking_issues: tuple[BlockingIssue, ...]
    missing: tuple[str, ...]
    mean_scores: Mapping[str, float]
    ignored_answers: int
    after_as_of_answers: int
    # Not in the JSON: the users' answers known at the date, by doctor then date (the file's order on a tie),
    # each with whether it is the one counted (a doctor's latest), for a report to quote the doctors' words.
    answers: tuple[KnownAnswer, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {"met": self.met, "expected": self.expected, "responses": self.responses,
                "mean_overall": self.mean_overall, "threshold": self.threshold,
                "blocking_issues": [b.as_dict() for b in self.blocking_issues], "missing": list(self.missing),
                "mean_scores": dict(self.mean_scores), "ignored_answers": self.ignored_answers,
                "after_as_of_answers": self.after_as_of_answers}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Satisfaction:
        """Without `answers`, which the JSON does not carry."""
        return cls(met=data["met"], expected=data["expected"], responses=data["responses"],
                   mean_overall=data["mean_overall"], threshold=data["threshold"],
                   blocking_issues=tuple(BlockingIssue.from_dict(b) for b in data["blocking_issues"]),
                   missing=tuple(data["missing"]), mean_scores=dict(data["mean_scores"]),
                   ignored_answers=data["ignored_answers"], after_as_of_answers=data["after_as_of_answers"])


CriterionResult = UsageRate | RegistrationRate | Operations | Prerequisites | Satisfaction


@dataclass(frozen=True)
class CriteriaResults:
    usage_rate: UsageRate
    registration_rate: RegistrationRate
    operations: Operations
    prerequisites: Prerequisites
    satisfaction: Satisfaction

    def __iter__(self) -> Iterator[tuple[str, CriterionResult]]:
        """(criterion id, result), in the order of the criteria C1 to C5."""
        yield from ((name, getattr(self, name)) for name in self.__dataclass_fields__)

    def by_id(self, criterion_id: str) -> CriterionResult:
        result: CriterionResult = getattr(self, criterion_id)
        return result

    def as_dict(self) -> dict[str, Any]:
        return {name: result.as_dict() for name, result in self}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CriteriaResults:
        return cls(usage_rate=UsageRate.from_dict(data["usage_rate"]),
                   registration_rate=RegistrationRate.from_dict(data["registration_rate"]),
                   operations=Operations.from_dict(data["operations"]),
                   prerequisites=Prerequisites.from_dict(data["prerequisites"]),
                   satisfaction=Satisfaction.from_dict(data["satisfaction"]))


@dataclass(frozen=True)
class Reason:
    """Why the pilot is extended: a criterion not met or a dossier check failed."""

    kind: str  # "criterion" | "dossier"
    ref: str  # the criterion's or the check's id
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "ref": self.ref, "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        return cls(kind=data["kind"], ref=data["ref"], message=data["message"])


@dataclass(frozen=True)
class Assessment:
    """The bilan of a pilot (SPEC §6-§7)."""

    pilot: str
    as_of: str | None  # ISO 8601, Paris time
    decision: str  # deploy | extend
    reasons: tuple[Reason, ...]
    dossier: tuple[CheckResult, ...]
    criteria: CriteriaResults
    data_quality: DataQuality
    policy: Policy
    reference_version: str
    schema: str = SCHEMA

    @property
    def is_deploy(self) -> bool:
        return self.decision == DEPLOY

    def check(self, check_id: str) -> CheckResult | None:
        """The dossier check of that id; None in an assessment made before the check existed."""
        return next((c for c in self.dossier if c.check == check_id), None)

    def as_dict(self) -> dict[str, Any]:
        """The `preserie.assessment/1` object."""
        return {"schema": self.schema, "pilot": self.pilot, "as_of": self.as_of, "decision": self.decision,
                "reasons": [r.as_dict() for r in self.reasons], "dossier": [c.as_dict() for c in self.dossier],
                "criteria": self.criteria.as_dict(), "data_quality": self.data_quality.as_dict(),
                "policy": self.policy.as_dict(), "reference_version": self.reference_version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Assessment:
        """The assessment a `preserie.assessment/1` object describes (one fetched from the registry service):
        `as_dict()` gives that object back, key for key. What the JSON does not carry stays empty: the doctors'
        answers (`Satisfaction.answers`) and the default value of each overridden threshold (`Policy.defaults`).
        Raises ValueError on another schema."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"schéma {data.get('schema')!r} : {SCHEMA} attendu")
        return cls(pilot=data["pilot"], as_of=data["as_of"], decision=data["decision"],
                   reasons=tuple(Reason.from_dict(r) for r in data["reasons"]),
                   dossier=tuple(CheckResult.from_dict(c) for c in data["dossier"]),
                   criteria=CriteriaResults.from_dict(data["criteria"]),
                   data_quality=DataQuality.from_dict(data["data_quality"]), policy=Policy.from_dict(data["policy"]),
                   reference_version=data["reference_version"], schema=data["schema"])
