"""Use case: the bilan of a registered pilot, computed on demand by the same engine as `preserie assess`, through
the `PilotSource` seam; and the pilot written out as a pilot folder (`preserie pilots export`) that assesses to
the same JSON."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import yaml

from preserie.adapters import trace_runs, trace_summary
from preserie.adapters.errors import UnusableInput
from preserie.adapters.registry_source import RegistryPilotSource
from preserie.data import load_reference
from preserie.domain.access import Caller
from preserie.domain.feedback import SCORES
from preserie.domain.inputs import ParsedRun, TraceFile, TraceSummary
from preserie.domain.registry import DecisionRecord, PilotRecord
from preserie.services.assess import AssessmentRun, assess_pilot
from preserie.services.bilan_cache import fingerprint
from preserie.services.errors import RegistryError
from preserie.services.pilots import declaration, phase_of
from preserie.services.registry import Registry

ANOMALY_COLUMNS = ("id", "opened_on", "closed_on", "operation", "severity", "origin", "practitioner", "summary")
SURVEY_COLUMNS = ("practitioner", "submitted_on", *SCORES, "blocking_issue", "blocking_issue_text", "comment")


def source(registry: Registry, pilot: PilotRecord, phase: int | None = None, *,
           parsed: bool = False) -> RegistryPilotSource:
    """The pilot's phase as a `PilotSource`; ``parsed``: its traces read through their parsed runs (`trace_runs`),
    made first for the segments that have none yet, so that a re-assessment parses no JSON again, and through the
    phase's summary (`trace_summary`), made first if the segments or the extract changed, so that it re-runs only
    what depends on the declaration and the moment."""
    number = phase_of(pilot, phase)
    segments = registry.segments.files(pilot.key, number)
    extract = registry.registrations_file(pilot, number)
    traces: list[TraceFile | ParsedRun | TraceSummary] = list(segments)
    if parsed and segments:
        folder, reference = registry.segments.folder(pilot.key, number), load_reference()
        runs = trace_runs.prepare(folder, segments, reference)
        traces = [trace_summary.prepare(folder, runs, extract if extract.exists() else None, reference)]
    return RegistryPilotSource(
        label=f"présérie {pilot.ref} ({pilot.key}), phase {number}", declaration=declaration(registry, pilot, number),
        trace_files=traces,
        registrations=extract,
        anomalies=[a for a in registry.repo.anomalies(pilot.id) if a.phase == number],
        answers=[a for a in registry.repo.answers(pilot.id) if a["phase"] == number])


def assess_registered(registry: Registry, pilot: PilotRecord, *, phase: int | None = None,
                      as_of: dt.datetime | None = None) -> AssessmentRun:
    """The bilan of the pilot's phase: the one kept, while its facts have not changed (`bilan_cache`)."""
    number = phase_of(pilot, phase)
    names = [registry.segments.listing_digest(pilot.key, number)]  # the segments' names, listed only if they changed
    extract = registry.registrations_file(pilot, number)
    try:
        stat = extract.stat()
        registrations: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        registrations = None

    def compute() -> AssessmentRun:
        try:
            return assess_pilot(source(registry, pilot, number, parsed=registry.parsed_runs), as_of=as_of)
        except UnusableInput as error:
            raise RegistryError("INPUT_UNUSABLE", str(error)) from error

    key = (pilot.key, number, as_of.isoformat() if as_of else None)
    return registry.cache.get(key, fingerprint(pilot, names, registrations, number, as_of), compute)


def assessment(registry: Registry, caller: Caller, key: str, *, phase: int | None = None,
               as_of: dt.datetime | None = None) -> AssessmentRun:
    return assess_registered(registry, registry.whole(caller, key), phase=phase, as_of=as_of)


def decide(registry: Registry, caller: Caller, key: str, decision: str,
           justification: str | None) -> DecisionRecord:
    """The Cnam's decision on the current phase, on the bilan of the moment: the step is checked before the bilan
    is computed (a refused decision costs no assessment), then recorded with it (`steps.decide`)."""
    from preserie.services import steps

    pilot = steps.allowed_step(registry, caller, key, steps.DECISIONS[decision])
    return steps.decide(registry, caller, key, decision, justification, assess_registered(registry, pilot).result)


def export_folder(registry: Registry, pilot: PilotRecord, folder: Path, *, phase: int | None = None) -> None:
    """The pilot's phase as a pilot folder: pilot.yaml, traces/ (the segments, same names), the side files."""
    number = phase_of(pilot, phase)
    the_source = source(registry, pilot, number)
    folder.mkdir(parents=True, exist_ok=False)
    content = declaration(registry, pilot, number)
    (folder / "pilot.yaml").write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False),
                                       encoding="utf-8")
    registry.segments.export(pilot.key, number, folder / "traces")
    registrations = the_source.registrations_file()
    if registrations is not None:
        (folder / "registrations.csv").write_bytes(registrations.read_bytes())
    with (folder / "anomalies.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(ANOMALY_COLUMNS)
        for a in the_source.anomalies().rows:
            writer.writerow(["" if getattr(a, c) is None else getattr(a, c) for c in ANOMALY_COLUMNS])
    with (folder / "survey.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(SURVEY_COLUMNS)
        for s in the_source.survey().rows:
            writer.writerow([_cell(getattr(s, c)) for c in SURVEY_COLUMNS])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
