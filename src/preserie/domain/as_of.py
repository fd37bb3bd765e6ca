"""The evaluation moment (`as_of`, SPEC §5)."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time.max, tzinfo=PARIS)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(f"date invalide ({error}) : AAAA-MM-JJ ou ISO 8601 avec décalage attendu") from error
    if moment.tzinfo is None:
        raise ValueError(f"--as-of {text} : décalage horaire manquant (ex. 2025-03-14T18:00:00+01:00) "
                         "ou date seule (fin de journée, heure de Paris)")
    return moment
