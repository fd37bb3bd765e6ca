"""Writing a whole simulated pilot folder (SPEC §4): traces, registrations.csv, anomalies, survey, pilot.yaml."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from preserie.simulate import side_files
from preserie.simulate.batches import FilePlan, plan_resends
from preserie.simulate.cast import Cast, make_cast
from preserie.simulate.collector import CollectorOptions, Reporters
from preserie.simulate.generator import Stream
from preserie.simulate.live import LiveOptions, LiveStream, LiveTeleservice, NoRegistrations, export_registrations
from preserie.simulate.population import activity, adoption, category_tables, make_fleet
from preserie.simulate.scenarios import Scenario, get_scenario
from preserie.simulate.teleservice import Outage, Registry, Teleservice, plan_outages
from preserie.simulate.timeline import Timeline, utc_offset, working_days
from preserie.simulate.writers import EXTENSIONS, Registrations, RegistrationSink, open_sink

RECORDS_PER_FILE = 1_000_000
MIXED_FORMATS: tuple[str, ...] = ("jsonl", "csv", "jsonl.gz", "parquet")
DIRTY_KINDS = ("unparseable", "missing_ts", "duplicate", "conflict")
ORPHANS = 3


def file_plan(records: int, files: int | None, formats: tuple[str, ...]) -> list[FilePlan]:
    count = files if files is not None else max(1, -(-records // RECORDS_PER_FILE))
    if count < 1 or count > records:
        raise ValueError(f"files must be between 1 and records ({records}), got {count}")
    unknown = [f for f in formats if f not in EXTENSIONS]
    if not formats or unknown:
        raise ValueError(f"formats must be among {sorted(EXTENSIONS)}, got {formats}")
    plan = []
    for k in range(count):
        fmt = formats[k % len(formats)]
        plan.append((f"traces/part-{k + 1:04d}.{EXTENSIONS[fmt]}", fmt, k * records // count,
                     (k + 1) * records // count))
    return plan


def weekly_files(records: int, weeks: int, fmt: str) -> tuple[int, tuple[str, ...]]:
    """Files and formats for `preserie simulate`: about one file per week, as weekly exports, at most a
    million records each; `mixed` rotates the four formats (at least one file each)."""
    formats = MIXED_FORMATS if fmt == "mixed" else (fmt,)
    files = max(weeks, math.ceil(records / RECORDS_PER_FILE), len(formats))
    return min(files, records), formats


def _dirty_events(plan: list[FilePlan], opening: int) -> list[tuple[int, str, int]]:
    _, _, lo, hi = plan[0]
    lo = max(lo, opening)
    if hi - lo < 50:
        raise ValueError("dirty=True needs at least 50 records after the opening snapshots in the first file")
    return [(lo + (hi - lo) * (k + 1) // 5, kind, 0) for k, kind in enumerate(DIRTY_KINDS)]


def _stream_for(seed: int, chosen: Scenario, cast: Cast, weeks: int, records: int,
                registrations: Registrations,
                live: LiveOptions | None = None) -> tuple[Stream, list[dt.date], list[Outage]]:
    """Everything decided before the first record, each part from its own seeded generator, so that a
    change in one part (another audience, another scenario) does not reshuffle the others."""
    days = working_days(cast.start, weeks)
    fleet = make_fleet(_rng(seed, "fleet"), cast)
    doctors = len(cast.practitioners)
    habits = _rng(seed, "habits")
    chosen_habits = (activity(habits, fleet, doctors), category_tables(habits, fleet, doctors),
                     adoption(habits, doctors, len(days), chosen.slow_adopters))
    outages = plan_outages(_rng(seed, "outages"), len(days))
    services = (Teleservice(chosen, len(days), outages, fleet.fragile, len(fleet.workstations)), Registry(chosen))
    timeline = Timeline(_rng(seed, "timeline"), days, records)
    parts = (_rng(seed, "stream"), seed, fleet, timeline, chosen_habits, services, registrations)
    structures = {p.id: ("finess", p.health_center) if p.health_center else ("am", p.id) for p in cast.practitioners}
    stream = Stream(*parts) if live is None else LiveStream(*parts, live=LiveTeleservice(
        live, fleet, chosen, len(days), structures=structures))
    return stream, days, outages


def _rng(seed: int, part: str) -> random.Random:
    return random.Random(f"preserie-simulate/{seed}/{part}")


def _write_traces(out: Path, plan: list[FilePlan], stream: Stream,
                  reporters: Reporters | None = None) -> dict[str, int]:
    written = {}
    for name, fmt, lo, hi in plan:
        sink = open_sink(out / name, fmt, stream.fleet.workstations)
        if reporters is not None:
            sink = reporters.tee(sink)
        written[name] = stream.fill(sink, name, lo, hi, header_lines=1 if fmt == "csv" else 0)
        sink.close()
    return written


def _write_side_files(out: Path, seed: int, stream: Stream, cast: Cast, plan: tuple[list[dt.date], list[Outage]],
                      chosen: Scenario, weeks: int) -> None:
    days, outages = plan
    closing = f"{days[-1].isoformat()}T18:00:00{utc_offset(days[-1])}"
    for _ in range(ORPHANS):  # orphans: ids the registry knows but no trace mentions
        stream.registrations.add(stream.new_pid(), cast.practitioners[0].id, closing, None)
    stream.registrations.close()
    fragile = stream.fleet.workstations[stream.fleet.fragile]
    side_files.write_anomalies(out / "anomalies.csv", cast, days, outages, (fragile.practitioner, fragile.name),
                               chosen)
    side_files.write_survey(out / "survey.csv", _rng(seed, "survey"), cast.practitioners, days, chosen)
    side_files.write_declaration(out / "pilot.yaml", side_files.declaration(f"simulated-{seed}", cast, weeks,
                                                                            cast.start))


def write_pilot(out: Path, *, seed: int = 1, practitioners: int = 8, records: int = 100_000, weeks: int = 6,
                start: dt.date = dt.date(2025, 1, 13), files: int | None = None,
                formats: tuple[str, ...] = ("jsonl",), dirty: bool = False, scenario: str | Scenario = "nominal",
                audience: str = "liberal", progress: Callable[[int], None] | None = None,
                live: LiveOptions | None = None, collector: CollectorOptions | None = None) -> dict[str, Any]:
    """Write a pilot folder in `out` (pilot.yaml last, so that its presence means a complete folder).

    `records` counts the trace records, re-sent duplicates included (the dirty ones of `dirty` come on
    top); `progress`, when given, is called with the number of records written since its last call.
    With `live`, the workstations call that service for real (live.py) and registrations.csv comes from its
    journal; the files then depend on the service's answers, not on the seed alone. With `collector` (live only),
    the workstations are enrolled there and post their traces to it as they go (collector.py).
    """
    if records < 1 or practitioners < 1 or weeks < 1:
        raise ValueError("records, practitioners and weeks must be at least 1")
    if live is not None and dirty:
        raise ValueError("dirty records are written offline only: they are no answers of a service")
    if collector is not None and live is None:
        raise ValueError("the workstations report to a collector in live mode only (live=...)")
    chosen = get_scenario(scenario) if isinstance(scenario, str) else scenario
    began = time.perf_counter()
    plan = file_plan(records, files, formats)
    (out / "traces").mkdir(parents=True, exist_ok=True)
    leftovers = sorted(p.name for p in (out / "traces").iterdir())
    if leftovers:
        raise FileExistsError(f"{out / 'traces'} is not empty ({leftovers[:3]}…): choose an empty folder")
    cast = make_cast(_rng(seed, "cast"), practitioners, start, audience)
    since = dt.datetime.now(dt.UTC)
    sink = RegistrationSink(out / "registrations.csv") if live is None else NoRegistrations()
    stream, days, outages = _stream_for(seed, chosen, cast, weeks, records, sink, live)
    opening = len(stream.fleet.workstations)
    events = plan_resends(_rng(seed, "batches"), plan, records, weeks, opening)
    stream.schedule(events + (_dirty_events(plan, opening) if dirty else []))
    stream.progress = progress
    reporters = None
    try:
        if collector is not None:
            reporters = Reporters(collector, stream.fleet.workstations, collector.spool or out / "spool")
        written = _write_traces(out, plan, stream, reporters)
    except BaseException:
        if reporters is not None:
            reporters.http.close()
        raise
    finally:
        if isinstance(stream, LiveStream):
            stream.live.close()
    reported = reporters.finish() if reporters is not None else None
    exported = None
    if live is not None and live.database is not None:
        exported = export_registrations(live.database, out / "registrations.csv", since,
                                        [p.id for p in cast.practitioners])
    _write_side_files(out, seed, stream, cast, (days, outages), chosen, weeks)
    seconds = time.perf_counter() - began
    totals = stream.totals()
    if isinstance(stream, LiveStream):  # degraded mode: printed first, registered once the service was back
        totals["registered_late"] = stream.deferred_registrations
        totals["never_registered"] = sum(len(waiting) for waiting in stream.unregistered)
    fragile = stream.fleet.workstations[stream.fleet.fragile]
    return {"folder": str(out), "seed": seed, "scenario": chosen.name, "audience": audience, "records": records,
            "records_written": sum(written.values()), "files": written,
            "practitioners": [p.id for p in cast.practitioners], "health_centers": [c.finess for c in cast.centres],
            "workstations": opening, "fragile_workstation": fragile.name, **totals,
            "used": records - totals["duplicates"] - totals["other_situation"],
            "orphans": ORPHANS if live is None else 0, "teleservice": live.url if live else None,
            "registrations_exported": exported, "collector": reported,
            "outages": len(outages), "dirty": stream.dirty_lines, "seconds": round(seconds, 3),
            "records_per_second": round(records / seconds) if seconds else None}
