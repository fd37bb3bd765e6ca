"""The place of a pilot's alerts on the pages (the list's column, the pilot page's box above the bilan).

The alerts themselves are another piece of work (issue 12's second half: `domain/alerts.py`, `preserie digest`):
until it lands, `pilot_alerts` says there is none, and the pages render whatever it returns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from preserie.domain.access import Caller
from preserie.domain.registry import PilotRecord
from preserie.services.registry import Registry


@dataclass(frozen=True)
class PageAlert:
    level: str  # "fail" (to act on now), "warn" (to watch), "info"
    text: str  # French, one sentence
    since: dt.datetime | None = None


def pilot_alerts(registry: Registry, caller: Caller, pilot: PilotRecord) -> list[PageAlert]:
    """The alerts of ``pilot`` that ``caller`` sees, most urgent first: none yet (the alerts' issue fills this)."""
    return []
