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
    title: str = ""  # its kind, in French (the list's short form)


def summary(alerts: list[PageAlert]) -> list[tuple[str, str, int]]:
    """The list's short form of a pilot's alerts: (level, title, how many) per kind, in the alerts' order.

    >>> summary([PageAlert("fail", "a", title="Anomalie"), PageAlert("warn", "b", title="Poste"),
    ...          PageAlert("fail", "c", title="Anomalie")])
    [('fail', 'Anomalie', 2), ('warn', 'Poste', 1)]
    """
    counts: dict[tuple[str, str], int] = {}
    for alert in alerts:
        counts[(alert.level, alert.title)] = counts.get((alert.level, alert.title), 0) + 1
    return [(level, title, n) for (level, title), n in counts.items()]


def pilot_alerts(registry: Registry, caller: Caller, pilot: PilotRecord) -> list[PageAlert]:
    """The alerts of ``pilot`` that ``caller`` sees, those to act on first."""
    from preserie.services.alerts import alerts_for
    from preserie.services.alerts import pilot_alerts as found

    shown = alerts_for(registry, pilot, found(registry, pilot), caller).alerts
    page = [PageAlert(LEVELS.get(a.kind, "info"), f"{a.title} : {a.detail}", a.what_to_do, title=a.title)
            for a in shown]
    return sorted(page, key=lambda alert: ("fail", "warn", "info").index(alert.level))
