"""Versioned reference data and default policy, shipped as YAML inside the package."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from preserie.domain.policy import Policy
from preserie.domain.reference import Reference


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def load_reference() -> Reference:
    return Reference.from_mapping(_load("reference.yaml"))


@cache
def load_default_policy() -> Policy:
    return Policy.from_mapping(_load("policy.yaml"))
