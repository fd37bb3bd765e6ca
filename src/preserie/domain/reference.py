"""Reference data of the présérie (CPAMs, categories, error classes, practitioner counts).

Values come from `preserie/data/reference.yaml`, each with its source in the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorClass:
    name: str
    label: str
    statuses: tuple[int | None, ...]
    ranges: tuple[tuple[int, int], ...]

    def matches(self, status: int | None) -> bool:
        if status in self.statuses:
            return True
        return status is not None and any(low <= status <= high for low, high in self.ranges)


@dataclass(frozen=True)
class Reference:
    version: str
    referent_cpams: dict[str, str]
    in_scope: dict[str, str]
    out_of_scope: dict[str, str]
    operations: dict[str, str]
    error_classes: tuple[ErrorClass, ...]
    practitioner_counts: dict[str, Any]
    cpam_count: tuple[int, int]

    @property
    def categories(self) -> dict[str, str]:
        return {**self.in_scope, **self.out_of_scope}

    def classify_error(self, status: int | None) -> str | None:
        """Class of a failed call from its HTTP status (SPEC §6 C3); None when no class applies."""
        for error_class in self.error_classes:
            if error_class.matches(status):
                return error_class.name
        return None

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Reference:
        errors = data["error_classes"]
        classes = tuple(
            ErrorClass(
                name=name,
                label=errors["classes"][name]["label"],
                statuses=tuple(errors["classes"][name].get("statuses", [])),
                ranges=tuple((int(lo), int(hi)) for lo, hi in errors["classes"][name].get("ranges", [])),
            )
            for name in errors["order"]
        )
        return cls(
            version=str(data["version"]),
            referent_cpams={str(k): str(v) for k, v in data["referent_cpams"]["values"].items()},
            in_scope=dict(data["categories"]["in_scope"]),
            out_of_scope=dict(data["categories"]["out_of_scope"]),
            operations=dict(data["operations"]["values"]),
            error_classes=classes,
            practitioner_counts=dict(data["practitioner_counts"]),
            cpam_count=(int(data["cpam_count"]["min"]), int(data["cpam_count"]["max"])),
        )
