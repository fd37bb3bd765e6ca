"""The default `as_of` of SPEC §5 for the baselines: the latest kept trace, or the end of the Paris day of the
latest survey `submitted_on` or anomaly `opened_on` / `closed_on`, whichever is later (what the tool does in
`preserie.domain.as_of`, written again here as an analyst would, from the side files themselves).

A later `as_of` than the latest trace changes no count of the baselines (no trace is after the latest one), only
the moment they report."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DATES = {"survey.csv": ("submitted_on",), "anomalies.csv": ("opened_on", "closed_on")}


def default_as_of(folder: Path, latest_trace: dt.datetime | None) -> dt.datetime | None:
    days = []
    for name, fields in DATES.items():
        path = folder / name
        if path.is_file():
            with path.open(encoding="utf-8", newline="") as handle:
                days += [row[field] for row in csv.DictReader(handle) for field in fields if row.get(field)]
    if not days:
        return latest_trace
    end_of_day = dt.datetime.combine(dt.date.fromisoformat(max(days)), dt.time.max, PARIS).astimezone(dt.UTC)
    return end_of_day if latest_trace is None or end_of_day > latest_trace else latest_trace
