"""The evaluation moment (`as_of`, SPEC §5): given on the command line, or the latest moment the pilot records."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def end_of_paris_day(day: dt.date) -> dt.datetime:
    """>>> end_of_paris_day(dt.date(2025, 3, 14)).isoformat()
    '2025-03-14T23:59:59.999999+01:00'
    """
    return dt.datetime.combine(day, dt.time.max, tzinfo=PARIS)


def parse_as_of(text: str) -> dt.datetime:
    """An ISO 8601 moment with its offset, or a bare date meaning the end of that day in Paris.

    >>> parse_as_of("2025-03-14").isoformat()
    '2025-03-14T23:59:59.999999+01:00'
    >>> parse_as_of("2025-03-14T18:00:00+01:00").isoformat()
    '2025-03-14T18:00:00+01:00'
    """
    text = text.strip()
    try:
        if _DATE.match(text):
            return end_of_paris_day(dt.date.fromisoformat(text))
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"date invalide ({error}) : AAAA-MM-JJ ou ISO 8601 avec décalage attendu") from error
    if moment.tzinfo is None:
        raise ValueError(f"--as-of {text} : décalage horaire manquant (ex. 2025-03-14T18:00:00+01:00) "
                         "ou date seule (fin de journée, heure de Paris)")
    return moment


def default_as_of(latest_trace: dt.datetime | None, side_days: Iterable[dt.date]) -> dt.datetime | None:
    """The latest moment the pilot records (SPEC §5): the latest `ts` of the records passing steps 1 to 3, or the
    end of the Paris day of the latest survey answer or anomaly date (`side_days`), whichever is later; None
    when the pilot records nothing. A bilan is run after the questionnaire: its answers must not be left out.

    >>> ts = dt.datetime(2025, 3, 3, 17, 0, tzinfo=dt.UTC)
    >>> default_as_of(ts, [dt.date(2025, 3, 4)]).isoformat()
    '2025-03-04T23:59:59.999999+01:00'
    >>> default_as_of(ts, [dt.date(2025, 3, 3)]).isoformat()
    '2025-03-03T23:59:59.999999+01:00'
    >>> default_as_of(ts, []) == ts, default_as_of(None, [])
    (True, None)
    """
    latest_day = max(side_days, default=None)
    moments = [m for m in (latest_trace, end_of_paris_day(latest_day) if latest_day else None) if m is not None]
    return max(moments, default=None)
