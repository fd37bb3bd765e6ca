"""The thresholds of the assessment: defaults from `data/policy.yaml`, overridable per pilot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


class PolicyError(ValueError):
    """A policy override that does not fit (unknown key, wrong type, out of range)."""


@dataclass(frozen=True)
class Policy:
    usage_rate_min: float
    registration_rate_min: float
    software_error_rate_max: float
    satisfaction_min: float
    count_out_of_scope: bool
    low_volume_below: int
    suspect_min_calls: int
    suspect_rate_factor: float
    suspect_rate_margin: float
    version: str = "default"
    overridden: tuple[str, ...] = ()
    # The default value of each overridden threshold, so that a screen can say « 20 % au lieu de 50 % ».
    defaults: tuple[tuple[str, float | int | bool], ...] = ()

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Policy:
        values = {name: entry["value"] for name, entry in data["thresholds"].items()}
        return cls(**values, version=str(data["version"]))

    @classmethod
    def threshold_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name not in ("version", "overridden", "defaults")]

    def with_overrides(self, overrides: dict[str, Any]) -> Policy:
        """This policy with the pilot's overrides; refuses unknown keys and values of the wrong kind."""
        names = self.threshold_names()
        checked: dict[str, Any] = {}
        for key, value in overrides.items():
            if key not in names:
                raise PolicyError(f"policy.{key} : seuil inconnu (seuils possibles : {', '.join(names)})")
            default = getattr(self, key)
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise PolicyError(f"policy.{key} : true ou false attendu")
            elif isinstance(default, int):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise PolicyError(f"policy.{key} : entier positif attendu")
            else:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise PolicyError(f"policy.{key} : nombre positif attendu")
                if key.endswith("_min") or key.endswith("_max"):
                    upper = 5 if key == "satisfaction_min" else 1
                    if value > upper:
                        raise PolicyError(f"policy.{key} : valeur entre 0 et {upper} attendue")
                value = float(value)
            checked[key] = value
        if not checked:
            return self
        return replace(self, **checked, overridden=tuple(sorted(checked)),
                       defaults=tuple((key, getattr(self, key)) for key in sorted(checked)))

    def as_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self.threshold_names()}
        return {"version": self.version, "overridden": list(self.overridden), "thresholds": data}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        """The policy an assessment's JSON names (`as_dict()`'s inverse), without `defaults`, which it omits."""
        return cls(**data["thresholds"], version=data["version"], overridden=tuple(data["overridden"]))
