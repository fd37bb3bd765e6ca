"""The eight-step accounting of every trace record (SPEC §5).

Each record lands in exactly one count; `events_read` is their sum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from preserie.domain.inputs import FileIssue
from preserie.domain.trace_contract import REJECTION_REASONS


class Step(StrEnum):
    """The eight counts a record may land in, in the order of the steps."""

    REJECTED = "rejected"
    DUPLICATES = "duplicates"
    CONFLICTS = "conflicts"
    UNKNOWN_PRACTITIONERS = "unknown_practitioners"
    OTHER_SITUATION = "other_situation"
    AFTER_AS_OF = "after_as_of"
    OUT_OF_SCOPE_DIGITAL = "out_of_scope_digital"
    USED = "used"


STEPS: tuple[tuple[str, str], ...] = (
    (Step.REJECTED, "rejetés (illisibles ou hors contrat)"),
    (Step.DUPLICATES, "doublons (même event_id, même contenu)"),
    (Step.CONFLICTS, "conflits (même event_id, autre contenu ; le premier compte)"),
    (Step.UNKNOWN_PRACTITIONERS, "médecin non déclaré ou non équipé"),
    (Step.OTHER_SITUATION, "autre situation d'exercice (multi-activité)"),
    (Step.AFTER_AS_OF, "postérieurs à la date du bilan"),
    (Step.OUT_OF_SCOPE_DIGITAL, "ordonnance numérique hors périmètre (imagerie, transport)"),
    (Step.USED, "retenus pour le bilan"),
)
STEP_NAMES: tuple[str, ...] = tuple(name for name, _ in STEPS)


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "reason": self.reason,
                "message": self.message}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rejection:
        return cls(file=data["file"], line=data["line"], reason=data["reason"], field=data["field"],
                   message=data["message"])


def describe_rejection(file: str, line: int, reason: str) -> Rejection:
    field_name, message = REJECTION_REASONS.get(reason, ("", reason))  # type: ignore[call-overload]
    return Rejection(file=file, line=line, reason=reason, field=field_name, message=message)


@dataclass(frozen=True)
class DataQuality:
    counts: dict[str, int]
    rejections: tuple[Rejection, ...] = ()
    conflicts: tuple[dict[str, object], ...] = ()
    file_issues: tuple[FileIssue, ...] = ()

    def __post_init__(self) -> None:
        missing = set(STEP_NAMES) - set(self.counts)
        if missing:
            raise ValueError(f"counts lack {sorted(missing)}")

    @property
    def events_read(self) -> int:
        return sum(self.counts[name] for name in STEP_NAMES)

    def count(self, step: str) -> int:
        """The records of one step, or all of them ("events_read")."""
        return self.events_read if step == "events_read" else self.counts[step]

    @property
    def rejected(self) -> int:
        return self.counts[Step.REJECTED]

    def as_dict(self) -> dict[str, object]:
        by_reason: dict[str, int] = {}
        for rejection in self.rejections:
            by_reason[rejection.reason] = by_reason.get(rejection.reason, 0) + 1
        return {
            "events_read": self.events_read,
            **{name: self.counts[name] for name in STEP_NAMES},
            "rejections_by_reason": dict(sorted(by_reason.items())),
            "rejections": [r.as_dict() for r in self.rejections],
            "conflict_details": list(self.conflicts),
            "file_issues": [i.as_dict() for i in self.file_issues],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DataQuality:
        """`as_dict()`'s inverse: `events_read` and `rejections_by_reason` are derived, not read."""
        return cls(counts={name: data[name] for name in STEP_NAMES},
                   rejections=tuple(Rejection.from_dict(r) for r in data["rejections"]),
                   conflicts=tuple(dict(c) for c in data["conflict_details"]),
                   file_issues=tuple(FileIssue.from_dict(i) for i in data["file_issues"]))
