"""The fact queries give the counts their definitions say, on the edges their faster forms must keep: a Paris week
changes at Monday midnight Paris time whatever the hour in UTC (C1's weekly curve is counted per UTC hour first),
and the C2 funnel counts each e-prescription id once, whatever the registry holds for it."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import duckdb
import pytest

from preserie.adapters import facts_sql

PARIS = ZoneInfo("Europe/Paris")
IN_SCOPE = ["medicines", "biology"]


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def _paris_week(moment: dt.datetime) -> str:
    local = moment.astimezone(PARIS).date()
    return (local - dt.timedelta(days=local.weekday())).isoformat()


def _weeks(moments: list[dt.datetime]) -> dict[str, int]:
    """The query's count of one practitioner's prescriptions per week."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TABLE used (grp INTEGER, practitioner VARCHAR, ts TIMESTAMPTZ, type VARCHAR, "
                "digital BOOLEAN, category VARCHAR)")
    con.executemany("INSERT INTO used VALUES (0, '331012344', ?, 'prescription', true, 'medicines')",
                    [(moment,) for moment in moments])
    rows = con.execute(facts_sql.prescription_weeks_select(IN_SCOPE)).fetchall()
    weeks: dict[str, int] = {}
    for _, _, week, _, _, digital, _, _ in rows:
        weeks[week] = weeks.get(week, 0) + digital
    return weeks


def _paris_weeks(moments: list[dt.datetime]) -> dict[str, int]:
    weeks: dict[str, int] = {}
    for moment in moments:
        weeks[_paris_week(moment)] = weeks.get(_paris_week(moment), 0) + 1
    return weeks


@pytest.mark.parametrize(("before", "after"), [
    ("2025-01-12T22:59:59.999999+00:00", "2025-01-12T23:00:00+00:00"),  # winter: UTC+1
    ("2025-06-29T21:59:59+00:00", "2025-06-29T22:00:00+00:00"),  # summer: UTC+2
    ("1969-12-28T22:59:59+00:00", "1969-12-28T23:00:00+00:00"),  # a negative epoch
    ("1969-12-28T23:00:00+00:00", "1969-12-28T23:59:59+00:00"),  # ... rounded towards zero it would not be
    ("1900-01-07T23:50:38+00:00", "1900-01-07T23:50:39+00:00"),  # Paris mean time, UTC+0:09:21
])
def test_a_week_begins_at_monday_midnight_in_paris(before: str, after: str) -> None:
    moments = [_utc(before), _utc(after), _utc(after) - dt.timedelta(hours=1), _utc(before) + dt.timedelta(hours=1)]
    assert _weeks(moments) == _paris_weeks(moments)


def test_the_weeks_of_random_instants_are_their_paris_weeks() -> None:
    rnd = random.Random(9)
    low, high = dt.datetime(1890, 1, 1, tzinfo=dt.UTC), dt.datetime(2090, 1, 1, tzinfo=dt.UTC)
    span = int((high - low).total_seconds())
    mondays = [low + dt.timedelta(seconds=rnd.randrange(span)) for _ in range(1500)]
    # instants close to a Paris Monday midnight, on either side, and anywhere
    edges = [m.astimezone(PARIS).replace(hour=0, minute=0, second=0) - dt.timedelta(days=m.astimezone(PARIS).weekday())
             for m in mondays]
    moments = [e + dt.timedelta(seconds=rnd.randint(-5400, 5400)) for e in edges] + mondays
    assert _weeks(moments) == _paris_weeks(moments)


def test_the_funnel_counts_each_id_once() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE kept (prescription_id VARCHAR, is_used BOOLEAN, type VARCHAR, digital BOOLEAN)")
    con.execute("CREATE TABLE registrations (prescription_id VARCHAR, status VARCHAR)")
    con.executemany("INSERT INTO kept VALUES (?, ?, ?, ?)", [
        ("A", True, "prescription", True), ("B", True, "prescription", True), ("C", True, "prescription", True),
        ("D", True, "prescription", True), ("H", True, "prescription", True), ("H", True, "prescription", True),
        ("E", False, "prescription", True),  # kept but not used (after as_of, say): not created, not an orphan
        ("P", True, "prescription", False),  # a paper prescription's id is no e-prescription
        ("Q", False, "prescription", True), ("Q", True, "prescription", True),  # used once: created
    ])
    con.executemany("INSERT INTO registrations VALUES (?, ?)", [
        ("A", "registered"), ("A", "registered"), ("B", "rejected"), ("B", "registered"), ("C", "rejected"),
        ("E", "registered"), ("F", "registered"), ("G", "rejected"), ("G", "rejected"), ("P", "registered"),
        ("Q", "rejected"),
    ])
    row = con.execute(facts_sql.REGISTRATION_FUNNEL).fetchone()
    # created A B C D H Q; registered A B; rejected only C Q; unknown D H; orphans F G P
    assert row == (6, 2, 2, 2, 3)
