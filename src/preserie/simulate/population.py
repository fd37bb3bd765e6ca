"""The doctors' habits and machines in a simulated pilot: workstations, volumes, category mixes, adoption.

Each doctor has their own daily volume (and sometimes a day off), their own mix of prescriptions
(with imaging and transport, never e-prescriptions), and their own adoption curve: paper only for the
first days, then a share of e-prescriptions that rises while they learn and levels off. Some doctors
also work in the other situation (a liberal doctor in a health centre, or the reverse): those records
carry that situation (SPEC §5 step 5, note * of the seed).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from preserie.simulate.cast import Cast
from preserie.simulate.writers import Config, Workstation

TABLE = 1000  # size of the lookup tables used for weighted choices: table[int(random() * TABLE)]
SOFTWARE_VERSION = "5.2.0"
OPERATING_SYSTEMS = (("Windows", "11 23H2"), ("Windows", "11 24H2"), ("Windows", "10 22H2"),
                     ("macOS", "14.6"))
# An old system, below the declared prerequisite: its create calls fail far more often (C4 suspects).
FRAGILE_OS = ("Windows", "10 21H2")
CARDS = (("Ingenico iHC 250", "cps"), ("Olaqin Kapelse", "cps"), ("none", "e-cps"))
NETWORKS = ("fiber", "fiber", "adsl", "4g")
OTHER_SITUATION = {"liberal": ("health_center", "CDS"), "health_center": ("liberal", "CAB")}
# (category, weight in %); imaging and transport are never e-prescriptions (SPEC §3).
CATEGORIES: tuple[tuple[str, int], ...] = (
    ("medicines", 52), ("biology", 13), ("nursing", 8), ("physiotherapy", 8), ("medical_devices", 6),
    ("speech_therapy", 3), ("orthoptics", 2), ("podiatry", 3), ("imaging", 3), ("transport", 2),
)
OUT_OF_SCOPE = frozenset({"imaging", "transport"})


def weighted_table(weights: Sequence[tuple[Any, float]]) -> tuple[Any, ...]:
    """TABLE entries, each value repeated in proportion to its weight: table[int(random() * TABLE)]."""
    total = sum(w for _, w in weights)
    entries: list[Any] = []
    for value, weight in weights:
        entries.extend([value] * round(weight / total * TABLE))
    return tuple((entries + [weights[0][0]] * TABLE)[:TABLE])


@dataclass(frozen=True)
class Fleet:
    """The workstations, with for each the index of its doctor and whether it is in the declared situation."""

    workstations: list[Workstation]
    doctor: list[int]
    declared: list[bool]
    fragile: int  # index of the workstation with the old system


def _config(rng: random.Random, system: tuple[str, str] | None = None) -> Config:
    os_name, os_version = system or OPERATING_SYSTEMS[rng.randrange(len(OPERATING_SYSTEMS))]
    reader, kind = CARDS[rng.randrange(len(CARDS))]
    return (os_name, os_version, reader, kind, NETWORKS[rng.randrange(len(NETWORKS))])


def make_fleet(rng: random.Random, cast: Cast) -> Fleet:
    """One workstation per doctor, a second for some in a group practice or a centre, one in the other
    situation for one or two doctors (multi-activity); one workstation has the old system."""
    doctors = cast.practitioners
    fragile_doctor = rng.randrange(len(doctors))
    multi = set(rng.sample(range(len(doctors)), min(len(doctors), 1 if len(doctors) < 6 else 2)))
    found: list[Workstation] = []
    owner: list[int] = []
    declared: list[bool] = []
    fragile = 0
    for index, spec in enumerate(doctors):
        count = 2 if spec.practice in ("group", "msp", "health_center") and rng.random() < 0.5 else 1
        for k in range(1, count + 1):
            if index == fragile_doctor and k == 1:
                fragile = len(found)
            config = _config(rng, FRAGILE_OS if index == fragile_doctor and k == 1 else None)
            found.append(Workstation(spec.id, f"{spec.id}-P{k}", spec.situation, SOFTWARE_VERSION, config))
            owner.append(index)
            declared.append(True)
        if index in multi:
            situation, tag = OTHER_SITUATION[spec.situation]
            found.append(Workstation(spec.id, f"{spec.id}-{tag}", situation, SOFTWARE_VERSION, _config(rng)))
            owner.append(index)
            declared.append(False)
    return Fleet(found, owner, declared, fragile)


def activity(rng: random.Random, fleet: Fleet, doctors: int) -> list[tuple[int, ...]]:
    """For each weekday (Monday first), the workstation picked at each step: weighted by the doctor's
    volume that day (a day off for some), a second workstation and the other situation less used."""
    volume = [0.5 + rng.random() * 1.1 for _ in range(doctors)]
    week = [[1.0] * 7 for _ in range(doctors)]
    for d in range(doctors):
        if rng.random() < 0.35:  # a day off, mostly Wednesday: a few renewals and admin only
            week[d][2 if rng.random() < 0.6 else rng.randrange(5)] = 0.12
    tables = []
    for weekday in range(7):
        weights = []
        for w, ws in enumerate(fleet.workstations):
            share = 0.8 if ws.name.endswith("-P1") else (0.2 if fleet.declared[w] else 0.1)
            d = fleet.doctor[w]
            weights.append((w, volume[d] * week[d][weekday] * share))
        tables.append(weighted_table(weights))
    return tables


def category_tables(rng: random.Random, fleet: Fleet, doctors: int) -> list[tuple[tuple[str, bool], ...]]:
    """Per workstation, the table of (category, in scope) of its doctor: each doctor has their own mix."""
    mixes = []
    for _ in range(doctors):
        weights = [((c, c not in OUT_OF_SCOPE), w * (0.6 + 0.8 * rng.random())) for c, w in CATEGORIES]
        mixes.append(weighted_table(weights))
    return [mixes[d] for d in fleet.doctor]


def adoption(rng: random.Random, doctors: int, days: int, slow: int) -> list[list[float]]:
    """Per doctor and working day, the probability that an in-scope prescription is digital.

    Zero on the first days (paper first; the first doctor starts on day one), then a learning curve
    from ~20 % to a plateau of 78-92 %, or of 28-40 % for the `slow` slow adopters.
    """
    slow_ones = set(rng.sample(range(1, doctors), min(slow, doctors - 1))) if doctors > 1 else set()
    ramp = max(2.0, min(8.0, days / 6))  # the learning time constant, in working days
    curves = []
    for d in range(doctors):
        first = 0 if d == 0 else rng.randrange(max(1, min(6, days // 5)))
        low = 0.12 + rng.random() * 0.15
        high = 0.28 + rng.random() * 0.12 if d in slow_ones else 0.78 + rng.random() * 0.14
        tau = ramp * (0.6 + rng.random() * 0.8)
        curves.append([0.0 if t < first else high - (high - low) * math.exp(-(t - first) / tau)
                       for t in range(days)])
    return curves
