"""When things happen in a simulated pilot: working days, busier and quieter days, hours of a surgery.

Records are numbered n = 0 .. records-1 in order of time. Each working day gets a share of them by its
weekday (Monday busiest, Wednesday lighter, no weekend), and inside a day record k of m falls at the
k/m quantile of a doctor's hourly activity (morning and afternoon peaks, a lunch break), so that the
order of records is the order of their timestamps.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect_right
from collections.abc import Sequence
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
OPENING = 8 * 3600  # the surgery opens at 8h ...
DAY_SECONDS = 11 * 3600  # ... and closes at 19h
# Relative activity of each hour from 8h to 18h (doctors' surgeries: two peaks, a lunch break).
HOURLY: tuple[float, ...] = (0.45, 1.0, 1.15, 1.05, 0.35, 0.3, 0.85, 1.0, 1.05, 1.15, 0.6)
# Relative activity by weekday, Monday first: many doctors do not consult on Wednesday afternoon.
WEEKDAYS: tuple[float, ...] = (1.15, 1.0, 0.8, 1.0, 0.95, 0.0, 0.0)


def _hms(second: int) -> str:
    return f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"


def _clock() -> tuple[int, ...]:
    """Second of the day of each of the DAY_SECONDS quantiles of the hourly activity (inverse CDF)."""
    masses = [w * 3600 for w in HOURLY]
    total = sum(masses)
    seconds: list[int] = []
    hour, below = 0, 0.0  # below: activity of the hours before `hour`
    for index in range(DAY_SECONDS):
        target = (index + 0.5) / DAY_SECONDS * total
        while target >= below + masses[hour]:
            below += masses[hour]
            hour += 1
        seconds.append(OPENING + hour * 3600 + int((target - below) / HOURLY[hour]))
    return tuple(seconds)


CLOCK_SECONDS: tuple[int, ...] = _clock()
CLOCK: tuple[str, ...] = tuple(_hms(s) for s in CLOCK_SECONDS)


def working_days(start: dt.date, weeks: int) -> list[dt.date]:
    """Weekdays from `start` to `start + weeks` weeks included: the assessment day closes `weeks` full weeks."""
    end = start + dt.timedelta(weeks=weeks)
    days = [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
    return [d for d in days if WEEKDAYS[d.weekday()] > 0]


def utc_offset(day: dt.date) -> str:
    delta = dt.datetime(day.year, day.month, day.day, 12, tzinfo=PARIS).utcoffset() or dt.timedelta()
    minutes = int(delta.total_seconds()) // 60
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class Timeline:
    """Maps a record number to its day and moment, and writes ISO 8601 timestamps with the Paris offset."""

    def __init__(self, rng: random.Random, days: Sequence[dt.date], records: int) -> None:
        if not days:
            raise ValueError("a pilot needs at least one working day")
        weights = [WEEKDAYS[d.weekday()] * (0.85 + 0.3 * rng.random()) for d in days]
        total, below = sum(weights), 0.0
        self.starts: list[int] = []
        for weight in weights:
            self.starts.append(round(records * below / total))
            below += weight
        ends = [*self.starts[1:], records]
        self.lengths = [max(1, end - start) for start, end in zip(self.starts, ends, strict=True)]
        self.days = list(days)
        self.prefixes = [f"{d.isoformat()}T" for d in days]
        self.offsets = [utc_offset(d) for d in days]
        self.weekdays = [d.weekday() for d in days]
        self.hms = tuple(_hms(s) for s in range(86_400))

    def when(self, n: int) -> tuple[int, int]:
        """(day index, quantile of the day) of record n; CLOCK[quantile] is its time of day."""
        day = bisect_right(self.starts, n) - 1
        return day, (n - self.starts[day]) * DAY_SECONDS // self.lengths[day]

    def ts(self, n: int) -> str:
        day, quantile = self.when(n)
        return self.prefixes[day] + CLOCK[quantile] + self.offsets[day]

    def at(self, day: int, second: int) -> str:
        """The timestamp `second` seconds after midnight of working day `day` (may run into later days)."""
        if second < 86_400:
            return self.prefixes[day] + self.hms[second] + self.offsets[day]
        date = self.days[day] + dt.timedelta(days=second // 86_400)
        return f"{date.isoformat()}T{_hms(second % 86_400)}{utc_offset(date)}"
