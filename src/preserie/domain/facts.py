"""Facts drawn from the traces and the registry extract: what the criteria are judged on.

The trace store computes them (at scale, in its engine); the criteria only read them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UsageCounts:
    """C1 counts of one user whose window has opened (they made at least one e-prescription)."""

    window_start: dt.datetime
    digital: int
    total: int


@dataclass(frozen=True)
class RegistrationFacts:
    created: int
    registered: int
    source: str  # "registrations" (registrations.csv) or "traces" (successful create calls)
    rejected: int | None
    unknown: int | None
    orphans: int


@dataclass(frozen=True)
class OperationCounts:
    calls: int
    ok: int
    errors: dict[str, int]  # by error class (SPEC §6 C3)


@dataclass(frozen=True)
class ConfigurationStats:
    """Create calls made under one configuration value (C4 suspects)."""

    field: str
    value: str
    calls: int
    failures: int


@dataclass(frozen=True)
class TraceFacts:
    usage: dict[str, UsageCounts]
    registration: RegistrationFacts
    operations: dict[str, OperationCounts]
    observed: dict[str, dict[str, int]]
    users_with_snapshot: frozenset[str]
    configurations: tuple[ConfigurationStats, ...]
    create_calls: int
    create_failures: int
    active_users: frozenset[str] = field(default_factory=frozenset)
    weekly: tuple[tuple[str, str, int, int], ...] = ()  # (practitioner, ISO Monday, digital, total)
