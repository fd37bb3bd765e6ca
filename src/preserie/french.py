"""Numbers and dates the French way, for screens and reports (pure functions, no dependency)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

NNBSP = "\u202f"  # narrow no-break space: thousands separator and before % ; ! ? (Imprimerie nationale)
NBSP = "\u00a0"  # no-break space: before a colon, inside guillemets
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")


def integer(value: int | None) -> str:
    r"""Thousands separated by narrow no-break spaces.

    >>> integer(1234567)
    '1\u202f234\u202f567'
    """
    if value is None:
        return "—"
    return f"{value:,}".replace(",", NNBSP)


def decimal(value: float | None, digits: int = 1) -> str:
    """Rounded half up, as a reader rounds (4,25 is 4,3), from the shortest decimal that is the float.

    >>> decimal(4.25), decimal(1234.5, 0), decimal(0.0)
    ('4,3', '1\u202f235', '0,0')
    """
    if value is None:
        return "—"
    rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    return f"{rounded:,.{digits}f}".replace(",", NNBSP).replace(".", ",")


def percent(value: float | None, digits: int = 1) -> str:
    r"""A fraction as a French percentage.

    >>> percent(0.5)
    '50,0\u202f%'
    """
    if value is None:
        return "—"
    return f"{decimal(value * 100, digits)}{NNBSP}%"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """A number and its noun agreed (French: 0 and 1 take the singular).

    >>> count(0, "médecin"), count(8, "médecin"), count(2, "anomalie bloquante", "anomalies bloquantes")
    ('0 médecin', '8 médecins', '2 anomalies bloquantes')
    """
    return f"{integer(n)} {singular if n < 2 else plural or singular + 's'}"


def short_date(value: str | None) -> str:
    """>>> short_date("2025-03-14T18:00:00+01:00")
    '14/03/2025'
    """
    if value is None:
        return "—"
    day = dt.date.fromisoformat(value[:10])
    return f"{day:%d/%m/%Y}"


def date(value: dt.date | dt.datetime | str | None) -> str:
    """>>> date("2025-03-14T18:00:00+01:00"), date("2025-02-01")
    ('14 mars 2025 à 18:00', '1er février 2025')
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    day = "1er" if value.day == 1 else str(value.day)
    text = f"{day} {MONTHS[value.month - 1]} {value.year}"
    if isinstance(value, dt.datetime):
        text += f" à {value:%H:%M}"
    return text


def percent_auto(value: float | None) -> str:
    r"""A threshold as a percentage, with a decimal only when it has one.

    >>> percent_auto(0.5), percent_auto(0.045)
    ('50 %', '4,5 %')
    """
    if value is None:
        return "—"
    whole = round(value * 100, 6) == int(round(value * 100, 6))
    return percent(value, 0 if whole else 1)


def typography(text: str) -> str:
    r"""French spacing on a sentence: no-break spaces before « : », narrow ones before « ; ! ? » and inside
    guillemets, so that a line never begins with a sign that belongs to the word before.

    >>> typography("2 CPAM ; attendu : « créer » !")
    '2 CPAM ; attendu : « créer » !'
    """
    for sign, space in ((":", NBSP), (";", NNBSP), ("!", NNBSP), ("?", NNBSP), ("»", NNBSP)):
        text = text.replace(f" {sign}", f"{space}{sign}")
    return text.replace("« ", f"«{NNBSP}")
