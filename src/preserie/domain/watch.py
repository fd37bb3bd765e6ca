"""Watching the workstations (issue 11): a workstation silent for 2 working days is reported on its pilot.

Working days are Monday to Friday, less France's public holidays (Code du travail, article L3133-1: eleven days,
three of them moving with Easter). Pure functions: the registry gives each workstation's last batch and the moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from preserie.domain.as_of import PARIS  # days are counted in Paris; the registry's moments are UTC

SILENT_AFTER_WORKING_DAYS = 2


def easter(year: int) -> dt.date:
    """Easter Sunday (the Gregorian computus, Meeus/Jones/Butcher).

    >>> easter(2025), easter(2026)
    (datetime.date(2025, 4, 20), datetime.date(2026, 4, 5))
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * l_) // 433
    month = (h + l_ - 7 * m + 90) // 25
    return dt.date(year, month, (h + l_ - 7 * m + 33 * month + 19) % 32)


@cache
def public_holidays(year: int) -> frozenset[dt.date]:
    """France's eleven public holidays of ``year``.

    >>> sorted(d.isoformat() for d in public_holidays(2025))[:4]
    ['2025-01-01', '2025-04-21', '2025-05-01', '2025-05-08']
    """
    sunday = easter(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [sunday + dt.timedelta(days=1), sunday + dt.timedelta(days=39), sunday + dt.timedelta(days=50)]
    return frozenset([dt.date(year, m, d) for m, d in fixed] + moving)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def _weekdays_before(day: dt.date) -> int:
    """Mondays to Fridays from 1 January of year 1 (a Monday) to the day before ``day``.

    >>> _weekdays_before(dt.date(1, 1, 8)), _weekdays_before(dt.date(1, 1, 13))
    (5, 10)
    """
    weeks, rest = divmod(day.toordinal() - 1, 7)
    return weeks * 5 + min(rest, 5)


def working_days_since(last: dt.datetime, now: dt.datetime) -> int:
    """Whole working days between the day of ``last`` and the day of ``now`` (neither counted): the weekdays
    between them less the public holidays that fall on one, counted without walking the days (an anomaly open
    for two years is counted on every page view).

    >>> utc = dt.UTC
    >>> working_days_since(dt.datetime(2025, 4, 17, 12, tzinfo=utc), dt.datetime(2025, 4, 23, 9, tzinfo=utc))
    2
    """
    first, end = last.astimezone(PARIS).date() + dt.timedelta(days=1), now.astimezone(PARIS).date()
    if first >= end:
        return 0
    holidays = sum(1 for year in range(first.year, end.year + 1) for day in public_holidays(year)
                   if first <= day < end and day.weekday() < 5)
    return _weekdays_before(end) - _weekdays_before(first) - holidays


@dataclass(frozen=True)
class Silence:
    workstation: int
    practitioner: str
    last_batch_at: dt.datetime | None
    working_days: int | None  # None: never sent anything


def silent(workstations: Iterable[tuple[int, str, dt.datetime | None, dt.datetime]], now: dt.datetime,
           after: int = SILENT_AFTER_WORKING_DAYS) -> list[Silence]:
    """The workstations (id, practitioner, last batch, enrolled at) silent for ``after`` working days or more:
    since their last batch, or since their enrolment when they never sent one."""
    found = []
    for workstation, practitioner, last, enrolled in workstations:
        days = working_days_since(last or enrolled, now)
        if days >= after:
            found.append(Silence(workstation, practitioner, last, days if last else None))
    return found
