"""Use case: a pilot folder brought into the registry (`preserie pilots import`), as a running présérie: its
declaration, its trace files kept verbatim as segments in their reading order, its registry extract, its anomaly
log and survey answers. Rows a folder's assessment would leave out are refused here, so that nothing is lost
silently: the import names them and records nothing."""

from __future__ import annotations

from pathlib import Path

from preserie.adapters.errors import Problem, UnusableInput
from preserie.adapters.folder_source import FolderPilotSource
from preserie.domain.lifecycle import Status
from preserie.domain.registry import PilotRecord
from preserie.services.pilots import insert
from preserie.services.registry import Registry


def import_folder(registry: Registry, folder: Path) -> PilotRecord:
    """The new pilot, or `UnusableInput` naming every row or file to fix first."""
    the_source = FolderPilotSource(folder)
    the_source.check()
    declaration = the_source.declaration()
    trace_files, trace_issues = the_source.trace_files()
    anomalies, survey = the_source.anomalies(), the_source.survey()
    problems = [Problem(i.file, i.message, i.line, i.field) for i in (*trace_issues, *anomalies.issues,
                                                                        *survey.issues) if i.level == "error"]
    if problems:
        raise UnusableInput.of(problems)
    pilot = insert(registry, None, declaration, status=Status.RUNNING, event="imported")
    for trace_file in trace_files:
        registry.segments.append_file(pilot.key, 1, trace_file.path,
                                      origin=trace_file.name.removeprefix("traces/").replace("/", "_"))
    registrations = the_source.registrations_file()
    if registrations is not None and registrations.is_file():
        target = registry.registrations_file(pilot, 1)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(registrations.read_bytes())
    now = registry.now()
    with registry.repo.writing() as conn:
        for a in anomalies.rows:
            registry.repo.add_anomaly(conn, pilot.id, phase=1, ref=a.id, opened_on=a.opened_on, opened_by=0,
                                      operation=a.operation, severity=a.severity, origin=a.origin,
                                      practitioner=a.practitioner, summary=a.summary, closed_on=a.closed_on,
                                      closed_by=0 if a.closed_on else None)
        registry.repo.add_answers(conn, pilot.id, [{**s.model_dump(), "phase": 1, "recorded_by": 0,
                                                    "recorded_at": now} for s in survey.rows])
    return pilot
