"""The people and machines of a simulated pilot: workstations, adoption curves, activity, calendar."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from preserie.simulate.side_files import SOFTWARE_VERSION, PractitionerSpec
from preserie.simulate.writers import Config, Workstation

PARIS = ZoneInfo("Europe/Paris")
TABLE = 1000  # size of the lookup tables used for weighted choices: table[int(random() * TABLE)]
SITUATION = "liberal"
OPERATING_SYSTEMS = (("Windows", "11 23H2"), ("Windows", "11 24H2"), ("Windows", "10 22H2"),
                     ("macOS", "14.6"))
CARDS = (("Ingenico iHC 250", "cps"), ("Olaqin Kapelse", "cps"), ("none", "e-cps"))
NETWORKS = ("fiber", "fiber", "adsl", "4g")


def weighted_table(weights: Sequence[tuple[Any, float]]) -> tuple[Any, ...]:
    """TABLE entries, each value repeated in proportion to its weight: table[int(random() * TABLE)]."""
    total = sum(w for _, w in weights)
    entries: list[Any] = []
    for value, weight in weights:
        entries.extend([value] * round(weight / total * TABLE))
    return tuple((entries + [weights[0][0]] * TABLE)[:TABLE])


def working_days(start: dt.date, weeks: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = start
    while len(days) < weeks * 5:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def utc_offset(day: dt.date) -> str:
    delta = dt.datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).utcoffset() or dt.timedelta()
    minutes = int(delta.total_seconds()) // 60
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def make_workstations(rng: random.Random, cast: Sequence[PractitionerSpec]) -> list[Workstation]:
    """One workstation per doctor, a second one for some in a group practice."""
    found = []
    for spec in cast:
        count = 2 if spec.practice in ("group", "msp") and rng.random() < 0.5 else 1
        for index in range(1, count + 1):
            os_name, os_version = OPERATING_SYSTEMS[rng.randrange(len(OPERATING_SYSTEMS))]
            reader, kind = CARDS[rng.randrange(len(CARDS))]
            config: Config = (os_name, os_version, reader, kind, NETWORKS[rng.randrange(len(NETWORKS))])
            found.append(Workstation(spec.id, f"{spec.id}-P{index}", SITUATION, SOFTWARE_VERSION,
                                     config))
    return found


def adoption(rng: random.Random, workstations: Sequence[Workstation], days: int) -> list[list[float]]:
    """Per workstation and day, the probability that an in-scope prescription is digital (~0.3 -> ~0.85)."""
    curves: dict[str, list[float]] = {}
    for w in workstations:
        if w.practitioner not in curves:
            low, high = 0.25 + rng.random() * 0.1, 0.8 + rng.random() * 0.1
            curves[w.practitioner] = [low + (high - low) * d / max(1, days - 1) for d in range(days)]
    return [curves[w.practitioner] for w in workstations]


def activity(rng: random.Random, workstations: Sequence[Workstation]) -> tuple[int, ...]:
    """Workstation picked at each step, weighted by the doctor's activity (a second workstation less used)."""
    weight = {w.practitioner: 0.6 + rng.random() * 0.8 for w in workstations}
    return weighted_table([(i, weight[w.practitioner] * (0.8 if w.name.endswith("-P1") else 0.2))
                   for i, w in enumerate(workstations)])
