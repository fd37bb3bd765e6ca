"""Use case: assess a pilot folder. Gathers the facts at the edges, then calls the pure assessment.

The traces, the bulk of the work, are read by the engine in a background thread from the start, while this
thread validates the declaration and the side files: the two overlap, and nothing waits for the other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.errors import UnusableInput
from preserie.adapters.trace_files import FileIssue, TraceFile, discover, not_a_file
from preserie.adapters.trace_files import unreadable as why_unreadable
from preserie.data import load_default_policy, load_reference
from preserie.domain.policy import PolicyError

if TYPE_CHECKING:  # pydantic's import is left to overlap with the reading of the traces (see assess_folder)
    from preserie.domain.pilot import PilotDeclaration


@dataclass(frozen=True)
class AssessmentRun:
    result: dict[str, Any]
    issues: list[FileIssue]  # every file or row problem met on the way (also in the result)
    pilot: PilotDeclaration

    @property
    def decision(self) -> str:
        return str(self.result["decision"])

    @property
    def has_input_problems(self) -> bool:
        quality = self.result["data_quality"]
        return bool(quality["rejected"]) or any(i.level == "error" for i in self.issues)


Progress = Callable[[str], None]  # told, in French, what the assessment is doing (a terminal shows it)


def _quiet(_: str) -> None:
    """No one to tell."""


def _read_traces(store: DuckdbTraceStore, folder: Path, trace_files: list[TraceFile], progress: Progress) -> bool:
    """Load every trace file and the registry extract; says whether registrations.csv exists."""
    store.load_traces(trace_files, progress)
    registrations = folder / "registrations.csv"
    odd = not_a_file(registrations)
    if odd:  # there, but not a file: the registry's verdicts are missing, not to be deduced from the traces
        store.file_issues.append(FileIssue("registrations.csv", "error", odd))
        return True
    if registrations.is_file():
        progress("lecture du registre : registrations.csv")
        try:
            store.file_issues.extend(store.load_registrations(registrations))
        except OSError as error:
            store.file_issues.append(FileIssue("registrations.csv", "error",
                                               f"fichier illisible : {why_unreadable(error)}"))
        return True
    store.file_issues.append(FileIssue("registrations.csv", "warning", "fichier absent : les ordonnances "
                                       "enregistrées sont déduites des appels « créer » réussis (traces)"))
    return False


def assess_folder(folder: Path, *, as_of: dt.datetime | None = None, test_identities: bool = False,
                  memory_limit: str | None = None, progress: Progress = _quiet) -> AssessmentRun:
    """Assess one pilot folder. Raises `UnusableInput` when it cannot be assessed at all. `progress` is told each
    stage (from the reading thread too), for a terminal to show on long runs."""
    from preserie.adapters.pilot_folder import PILOT_FILE, check_folder

    check_folder(folder)
    reference = load_reference()
    trace_files, discovery_issues = discover(folder)
    with DuckdbTraceStore(reference, memory_limit=memory_limit) as store, ThreadPoolExecutor(1) as pool:
        store.file_issues.extend(discovery_issues)
        reading: Future[bool] = pool.submit(_read_traces, store, folder, trace_files, progress)
        try:
            from preserie.adapters import pilot_folder  # pydantic's import overlaps with the reading

            pilot = pilot_folder.load_declaration(folder)
            try:
                policy = load_default_policy().with_overrides(pilot.policy)
            except PolicyError as error:
                raise UnusableInput(PILOT_FILE, str(error), field="policy") from error
        except UnusableInput:
            store.con.interrupt()
            raise
        anomalies = pilot_folder.read_anomalies(folder)
        survey = pilot_folder.read_survey(folder)
        has_registrations = reading.result()
        for name, side in (("anomalies.csv", anomalies), ("survey.csv", survey)):
            store.file_issues.extend(side.issues)
            if not side.present:
                store.file_issues.append(FileIssue(name, "warning", "fichier absent"))
        progress("comptabilité des traces (doublons, conflits, date du bilan)")
        store.apply_users({u.id: u.situation.value for u in pilot.users})
        used_as_of, quality = store.account(as_of)
        progress("calcul des critères")
        facts = store.facts(count_out_of_scope=policy.count_out_of_scope, has_registrations=has_registrations)
        issues = store.ordered_issues()
    from preserie.domain.assessment import Evidence, assess

    unreadable = tuple(sorted({i.file for i in issues if i.level == "error" and i.file.startswith("traces/")}))
    dropped = tuple(f"{i.file} ligne {i.line}" if i.line else f"{i.file} (illisible)"
                    for i in anomalies.issues + survey.issues if i.level == "error")
    evidence = Evidence(pilot=pilot, policy=policy, reference=reference, as_of=used_as_of, data_quality=quality,
                        facts=facts, anomalies=anomalies.rows, answers=survey.rows,
                        allow_test_identities=test_identities, unreadable_files=unreadable, dropped_rows=dropped)
    return AssessmentRun(result=assess(evidence), issues=issues, pilot=pilot)
