"""A pilot's alerts on the pages (the list's column, the pilot page's box above the bilan): the alerts of
`services.alerts` (the same the JSON API and the digest give), the share the caller may read, most urgent first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from preserie.domain.access import Caller
from preserie.domain.registry import PilotRecord
from preserie.services.registry import Registry

# to act on now (fail) or to watch (warn): a blocking anomaly stops the pilot's doctors, the rest slows the bilan
LEVELS = {"anomaly_blocking": "fail", "anomaly_unacknowledged": "fail", "usage_low": "warn",
          "registration_low": "warn", "workstation_silent": "warn", "survey_missing": "warn"}


@dataclass(frozen=True)
class PageAlert:
    level: str  # "fail" (to act on now), "warn" (to watch), "info"
    text: str  # French: what it is and its facts
    what_to_do: str = ""  # French
    since: dt.datetime | None = None


def pilot_alerts(registry: Registry, caller: Caller, pilot: PilotRecord) -> list[PageAlert]:
    """The alerts of ``pilot`` that ``caller`` sees, those to act on first."""
    from preserie.services.alerts import alerts_for
    from preserie.services.alerts import pilot_alerts as found

    shown = alerts_for(registry, pilot, found(registry, pilot), caller).alerts
    page = [PageAlert(LEVELS.get(a.kind, "info"), f"{a.title} : {a.detail}", a.what_to_do) for a in shown]
    return sorted(page, key=lambda alert: ("fail", "warn", "info").index(alert.level))
