"""A workstation silent for 2 working days is reported: weekends and France's public holidays do not count."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from preserie.domain.watch import easter, is_working_day, public_holidays, silent, working_days_since

UTC = dt.UTC


def test_easter_and_the_moving_holidays_match_the_calendar() -> None:
    # Easter Monday, Ascension, Whit Monday of 2024 and 2027, as the official calendars give them
    assert {dt.date(2024, 4, 1), dt.date(2024, 5, 9), dt.date(2024, 5, 20)} <= public_holidays(2024)
    assert {dt.date(2027, 3, 29), dt.date(2027, 5, 6), dt.date(2027, 5, 17)} <= public_holidays(2027)
    assert easter(2024) == dt.date(2024, 3, 31) and len(public_holidays(2024)) == 11


def test_a_weekend_does_not_make_a_workstation_silent() -> None:
    friday_evening = dt.datetime(2025, 1, 17, 17, tzinfo=UTC)
    monday = dt.datetime(2025, 1, 20, 10, tzinfo=UTC)
    wednesday = dt.datetime(2025, 1, 22, 10, tzinfo=UTC)
    assert working_days_since(friday_evening, monday) == 0
    assert silent([(1, "A", friday_evening, friday_evening)], monday) == []
    reported = silent([(1, "A", friday_evening, friday_evening)], wednesday)
    assert [(s.workstation, s.working_days) for s in reported] == [(1, 2)]


def test_a_workstation_that_never_sent_is_counted_from_its_enrolment() -> None:
    enrolled = dt.datetime(2025, 4, 30, 9, tzinfo=UTC)  # then May 1st (holiday), Friday 2
    assert silent([(7, "B", None, enrolled)], dt.datetime(2025, 5, 5, 9, tzinfo=UTC)) == []
    assert silent([(7, "B", None, enrolled)], dt.datetime(2025, 5, 6, 9, tzinfo=UTC))[0].working_days is None


@given(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31)), st.integers(0, 1200))
def test_working_days_never_exceed_calendar_days_and_grow_with_time(start: dt.date, gap: int) -> None:
    last = dt.datetime.combine(start, dt.time(12), UTC)
    now = last + dt.timedelta(days=gap)
    counted = working_days_since(last, now)
    assert 0 <= counted <= max(0, gap - 1)
    assert counted <= working_days_since(last, now + dt.timedelta(days=1))
    assert counted == sum(is_working_day(start + dt.timedelta(days=d)) for d in range(1, gap))  # day by day
