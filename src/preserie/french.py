"""Numbers and dates the French way, for screens and reports (pure functions, no dependency)."""

from __future__ import annotations

import datetime as dt

NNBSP = "\u202f"  # narrow no-break space: thousands separator and before % (Imprimerie nationale)
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
    if value is None:
        return "—"
    text = f"{value:,.{digits}f}".replace(",", NNBSP).replace(".", ",")
    return text


def percent(value: float | None, digits: int = 1) -> str:
    r"""A fraction as a French percentage.

    >>> percent(0.5)
    '50,0\u202f%'
    """
    if value is None:
        return "—"
    return f"{decimal(value * 100, digits)}{NNBSP}%"


def short_date(value: str | None) -> str:
    """>>> short_date("2025-03-14T18:00:00+01:00")
    '14/03/2025'
    """
    if value is None:
        return "—"
    day = dt.date.fromisoformat(value[:10])
    return f"{day:%d/%m/%Y}"


def date(value: dt.date | dt.datetime | str | None) -> str:
    """>>> date("2025-03-14T18:00:00+01:00")
    '14 mars 2025 à 18:00'
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    text = f"{value.day} {MONTHS[value.month - 1]} {value.year}"
    if isinstance(value, dt.datetime):
        text += f" à {value:%H:%M}"
    return text
