"""Who takes part in a simulated pilot: doctors and health centres, with valid identifiers (SPEC §3).

Liberal doctors carry a N° AM (department, 6 digits, Luhn key), doctors of a health centre an RPPS
(11 digits, Luhn key), centres a FINESS (department, 6 digits, Luhn key). Every identifier is checked
by the same functions the assessment uses, so that the generator never writes an invalid one.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from preserie.domain.identifiers import IdentifierCheck, check_am, check_finess, check_rpps, luhn_key

CPAMS: tuple[str, ...] = ("33", "44")
AUDIENCES: tuple[str, ...] = ("liberal", "health_center", "mixed")
PRACTICES: tuple[str, ...] = ("group", "group", "msp", "group", "solo")
CENTRE_NAMES: dict[str, tuple[str, ...]] = {
    "33": ("Centre de santé Bordeaux Bastide", "Centre de santé Mérignac Capeyron"),
    "44": ("Centre de santé Nantes Dervallières", "Centre de santé Saint-Nazaire Penhoët"),
}


@dataclass(frozen=True)
class PractitionerSpec:
    id: str
    cpam: str
    specialty: str
    practice: str
    installed_on: dt.date
    situation: str = "liberal"
    health_center: str | None = None  # FINESS of the centre, for a doctor of a health centre


@dataclass(frozen=True)
class HealthCenterSpec:
    finess: str
    name: str
    cpam: str


@dataclass(frozen=True)
class Cast:
    practitioners: list[PractitionerSpec]
    centres: list[HealthCenterSpec]
    audience: str
    start: dt.date  # the first day of the pilot


def _number(rng: random.Random, prefix: str, digits: int, check: Callable[[str], IdentifierCheck]) -> str:
    payload = prefix + f"{rng.randrange(10 ** digits):0{digits}d}"
    number = payload + luhn_key(payload)
    if not check(number).valid:  # a guard: the generator must never write an invalid identifier
        raise AssertionError(f"invalid identifier generated: {number} ({check(number).reason})")
    return number


def _distinct(make: Callable[[], str], seen: set[str]) -> str:
    number = make()
    while number in seen:
        number = make()
    seen.add(number)
    return number


def _installed(rng: random.Random, start: dt.date) -> dt.date:
    """Installed and trained on a working day of the week before the pilot starts."""
    days = [start - dt.timedelta(days=k) for k in range(1, 8)]
    weekdays = [d for d in days if d.weekday() < 5]
    return weekdays[rng.randrange(len(weekdays))]


def _liberal(rng: random.Random, index: int, start: dt.date, seen: set[str]) -> PractitionerSpec:
    department = CPAMS[index % len(CPAMS)]
    number = _distinct(partial(_number, rng, department, 6, check_am), seen)
    practice = "group" if index == 0 else PRACTICES[rng.randrange(len(PRACTICES))]
    specialty = "specialist" if rng.random() < 0.25 else "general"
    return PractitionerSpec(number, department, specialty, practice, _installed(rng, start))


def _centre_doctor(rng: random.Random, centre: HealthCenterSpec, start: dt.date,
                   seen: set[str]) -> PractitionerSpec:
    number = _distinct(partial(_number, rng, "10", 8, check_rpps), seen)
    specialty = "specialist" if rng.random() < 0.15 else "general"
    return PractitionerSpec(number, centre.cpam, specialty, "health_center", _installed(rng, start),
                            "health_center", centre.finess)


def _centres(rng: random.Random, count: int, seen: set[str]) -> list[HealthCenterSpec]:
    centres = []
    for index in range(count):
        department = CPAMS[index % len(CPAMS)]
        finess = _distinct(partial(_number, rng, department + "0", 5, check_finess), seen)
        centres.append(HealthCenterSpec(finess, CENTRE_NAMES[department][index // len(CPAMS) % 2], department))
    return centres


def make_cast(rng: random.Random, count: int, start: dt.date, audience: str = "liberal") -> Cast:
    """`count` doctors for the audience: liberal ones alternately in the two CPAMs; doctors of one health
    centre (two from 6 doctors on) for `health_center`; about half and half, one centre, for `mixed`."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience inconnue « {audience} » ; valeurs possibles : {', '.join(AUDIENCES)}")
    seen: set[str] = set()
    liberal = {"liberal": count, "health_center": 0, "mixed": (count + 1) // 2}[audience]
    doctors = [_liberal(rng, index, start, seen) for index in range(liberal)]
    centres: list[HealthCenterSpec] = []
    if liberal < count:
        centres = _centres(rng, 2 if audience == "health_center" and count >= 6 else 1, seen)
        doctors += [_centre_doctor(rng, centres[k % len(centres)], start, seen) for k in range(count - liberal)]
    return Cast(doctors, centres, audience, start)
