"""Use case: assess a pilot. Gathers the facts at the edges (a `PilotSource`, the trace store), decides the
evaluation moment, then calls the pure assessment.

The traces, the bulk of the work, are read by the engine in a background thread from the start, while this
thread validates the declaration and the side files: the two overlap, and nothing waits for the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.errors import UnusableInput
from preserie.data import load_default_policy, load_reference
from preserie.domain.as_of import default_as_of
from preserie.domain.inputs import (
    ERROR,
    PILOT_FILE,
    FileIssue,
    ParsedRun,
    TraceFile,
    TraceSummary,
    dropped_rows,
    in_reading_order,
    side_issues,
    unreadable_trace_files,
)
from preserie.domain.policy import PolicyError

if TYPE_CHECKING:  # pydantic's import is left to overlap with the reading of the traces (see assess_pilot)
    from typing import TypeAlias

    from preserie.adapters.trace_summary import SummaryTraceStore
    from preserie.domain.reference import Reference

    TraceStore: TypeAlias = DuckdbTraceStore | SummaryTraceStore
    from preserie.domain.feedback import Anomaly, SurveyAnswer
    from preserie.domain.pilot import PilotDeclaration
    from preserie.domain.results import Assessment
    from preserie.domain.source import PilotSource


@dataclass(frozen=True)
class AssessmentRun:
    assessment: Assessment
    issues: list[FileIssue]  # every file or row problem met on the way (also in the result)
    pilot: PilotDeclaration

    @cached_property
    def result(self) -> dict[str, Any]:
        """The `preserie.assessment/1` object (SPEC §7)."""
        return self.assessment.as_dict()

    @property
    def decision(self) -> str:
        return self.assessment.decision

    @property
    def has_input_problems(self) -> bool:
        return bool(self.assessment.data_quality.rejected) or any(i.level == ERROR for i in self.issues)


Progress = Callable[[str], None]  # told, in French, what the assessment is doing (a terminal shows it)


def _quiet(_: str) -> None:
    """No one to tell."""


def _read_traces(store: TraceStore, trace_files: Sequence[TraceFile | ParsedRun], registrations: Path | None,
                 progress: Progress) -> list[FileIssue]:
    """Load every trace file and the registry extract into the store; the problems met on the way."""
    store.load_traces(list(trace_files), progress)
    if registrations is not None:
        progress(f"lecture du registre : {registrations.name}")
    return [*store.file_issues, *store.load_registrations(registrations)]


def _side_days(anomalies: Sequence[Anomaly], answers: Sequence[SurveyAnswer]) -> Iterator[dt.date]:
    """The days the side files record, for the default evaluation moment (SPEC §5)."""
    yield from (a.submitted_on for a in answers)
    for anomaly in anomalies:
        yield anomaly.opened_on
        if anomaly.closed_on is not None:
            yield anomaly.closed_on


def _store(reference: Reference, listed: Sequence[TraceFile | ParsedRun | TraceSummary], as_of: dt.datetime | None,
           memory_limit: str | None) -> tuple[TraceStore, Sequence[TraceFile | ParsedRun]]:
    """The trace store to assess with, and what it reads: a phase's summary when it stands for the moment asked
    (`adapters.trace_summary`), else the trace files (the summary's own, when it does not)."""
    summaries = [item for item in listed if isinstance(item, TraceSummary)]
    files = [item for item in listed if not isinstance(item, TraceSummary)]
    if summaries:
        from preserie.adapters.trace_summary import open_store

        summary, = summaries
        kept = open_store(summary, reference) if summary.stands_for(as_of) else None
        if kept is not None:
            return kept, []
        files = list(summary.items)
    return DuckdbTraceStore(reference, memory_limit=memory_limit), files


def assess_folder(folder: Path, *, as_of: dt.datetime | None = None, test_identities: bool = False,
                  memory_limit: str | None = None, progress: Progress = _quiet) -> AssessmentRun:
    """Assess one pilot folder (see `assess_pilot`)."""
    from preserie.adapters.folder_source import FolderPilotSource

    return assess_pilot(FolderPilotSource(folder), as_of=as_of, test_identities=test_identities,
                        memory_limit=memory_limit, progress=progress)


def assess_pilot(source: PilotSource, *, as_of: dt.datetime | None = None, test_identities: bool = False,
                 memory_limit: str | None = None, progress: Progress = _quiet) -> AssessmentRun:
    """Assess one pilot. Raises `UnusableInput` when it cannot be assessed at all. `progress` is told each
    stage (from the reading thread too), for a terminal to show on long runs."""
    source.check()
    reference = load_reference()
    listed, discovery_issues = source.trace_files()
    registrations = source.registrations_file()
    store, trace_files = _store(reference, listed, as_of, memory_limit)
    with store, ThreadPoolExecutor(1) as pool:
        reading: Future[list[FileIssue]] = pool.submit(_read_traces, store, trace_files, registrations, progress)
        try:
            pilot = source.declaration()
            try:
                policy = load_default_policy().with_overrides(pilot.policy)
            except PolicyError as error:
                raise UnusableInput(PILOT_FILE, str(error), field="policy") from error
        except UnusableInput:
            store.con.interrupt()
            raise
        anomalies, survey = source.anomalies(), source.survey()
        reading_issues = reading.result()
        progress("comptabilité des traces (doublons, conflits, date du bilan)")
        store.apply_users({u.id: u.situation.value for u in pilot.users})
        moment = as_of or default_as_of(store.latest_kept_ts(), _side_days(anomalies.rows, survey.rows))
        quality = store.account(moment)[1]
        progress("calcul des critères")
        facts = store.facts(count_out_of_scope=policy.count_out_of_scope, has_registrations=registrations is not None)
    issues = in_reading_order([*discovery_issues, *reading_issues, *side_issues("anomalies.csv", anomalies),
                               *side_issues("survey.csv", survey)])
    quality = replace(quality, file_issues=tuple(issues))
    from preserie.domain.assessment import Evidence, assess

    unreadable = unreadable_trace_files(issues)
    dropped = dropped_rows([*anomalies.issues, *survey.issues])
    evidence = Evidence(pilot=pilot, policy=policy, reference=reference, as_of=moment, data_quality=quality,
                        facts=facts, anomalies=anomalies.rows, answers=survey.rows,
                        allow_test_identities=test_identities, unreadable_files=unreadable, dropped_rows=dropped)
    return AssessmentRun(assessment=assess(evidence), issues=issues, pilot=pilot)
