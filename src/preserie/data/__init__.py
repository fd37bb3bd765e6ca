"""Versioned reference data and default policy, shipped as YAML inside the package."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from preserie.domain.policy import Policy
from preserie.domain.reference import Reference

# These files ship with the package and are read on every run: libyaml's loader when PyYAML has it (ten
# times faster than the pure-Python one), the same safe subset either way.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.load(text, Loader=_LOADER)  # a safe loader (C or Python)
    return data


@cache
def load_reference() -> Reference:
    return Reference.from_mapping(_load("reference.yaml"))


@cache
def load_default_policy() -> Policy:
    return Policy.from_mapping(_load("policy.yaml"))


@cache
def load_policy_sources() -> dict[str, str]:
    """Where each default threshold comes from (policy.yaml's `source`): the seed's words, or the product's rule."""
    return {name: str(entry["source"]) for name, entry in _load("policy.yaml")["thresholds"].items()}
