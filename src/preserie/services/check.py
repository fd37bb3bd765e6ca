"""Use case: check a pilot folder before it is sent (`preserie check`).

The dossier checks that the declaration alone decides, and the problems of the input files: the declaration,
every row of the small side files, the header of registrations.csv and of each trace file. No trace record is
read, so that it takes a moment whatever the size of the traces; what needs them is left to `assess`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preserie import labels
from preserie.adapters.errors import UnusableInput
from preserie.adapters.trace_files import first_look
from preserie.data import load_default_policy, load_reference
from preserie.domain.dossier import CHECK_LABELS, CHECKS, FAIL, CheckResult, DossierContext
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import (
    ERROR,
    PILOT_FILE,
    FileIssue,
    ParsedRun,
    SideRows,
    TraceFile,
    TraceSummary,
    dropped_rows,
    side_issues,
    trace_members,
    unreadable_trace_files,
)
from preserie.domain.pilot import PilotDeclaration
from preserie.domain.policy import PolicyError

if TYPE_CHECKING:
    from preserie.domain.source import PilotSource

TRACE_CHECKS = ("traces_received", "duration")  # decided by the trace records: left to `assess`


@dataclass(frozen=True)
class FolderCheck:
    pilot: PilotDeclaration
    dossier: list[CheckResult]
    issues: list[FileIssue]

    @property
    def failed(self) -> bool:
        """A dossier check fails or a file has an error: not ready to be sent."""
        return any(c.status == FAIL for c in self.dossier) or any(i.level == "error" for i in self.issues)

    def as_dict(self) -> dict[str, Any]:
        return {"pilot": self.pilot.id, "ready": not self.failed, "dossier": [c.as_dict() for c in self.dossier],
                "not_checked": list(TRACE_CHECKS), "file_issues": [i.as_dict() for i in self.issues]}


def check_pilot(folder: Path, *, test_identities: bool = False) -> FolderCheck:
    """Check a pilot folder; raises `UnusableInput` when it could not be assessed at all."""
    from preserie.adapters.folder_source import FolderPilotSource

    return check_source(FolderPilotSource(folder), test_identities=test_identities)


def check_source(source: PilotSource, *, test_identities: bool = False) -> FolderCheck:
    """The dossier checks and the inputs' problems of a pilot, without reading its trace records."""
    source.check()
    pilot = source.declaration()
    try:
        policy = load_default_policy().with_overrides(pilot.policy)
    except PolicyError as error:
        raise UnusableInput(PILOT_FILE, str(error), field="policy") from error
    trace_files, found = source.trace_files()
    files = trace_members(trace_files)
    issues = [*found, *(issue for trace_file in files if (issue := first_look(trace_file)))]
    issues += _registrations(source.registrations_file())
    anomalies, survey = source.anomalies(), source.survey()
    issues += [*side_issues("anomalies.csv", anomalies), *side_issues("survey.csv", survey)]
    context = DossierContext(reference=load_reference(), as_of=None, earliest_window_start=None,
                             active_users=frozenset(), allow_test_identities=test_identities,
                             unreadable_files=unreadable_trace_files(issues),
                             dropped_rows=dropped_rows([*anomalies.issues, *survey.issues]), policy=policy)
    dossier = [_as_checked(check(pilot, context)) for check in CHECKS if check.__name__ not in TRACE_CHECKS]
    return FolderCheck(pilot, dossier, issues)


def _as_checked(result: CheckResult) -> CheckResult:
    """The check's detail as this first look can say it: the trace files were opened, not read."""
    if result.check == "traces_readable" and result.status != FAIL:
        return CheckResult(result.check, result.status, "chaque fichier de traces s'ouvre et a la forme attendue "
                           "(ses lignes sont lues par preserie assess)")
    return result


def _registrations(path: Path | None) -> list[FileIssue]:
    """registrations.csv read as `assess` reads it (by the engine: it can hold millions of rows)."""
    from preserie.adapters.duckdb_trace_store import DuckdbTraceStore

    with DuckdbTraceStore(load_reference()) as store:
        return store.load_registrations(path)


def describe(result: FolderCheck) -> list[str]:
    """The check in French, one line each, for a terminal."""
    lines = [f"Vérification du dossier de la présérie {result.pilot.id} ({result.pilot.vendor})", ""]
    status = labels.status_labels()
    width = max(len(label) for label in status.values())
    lines += [f"  {status[c.status]:<{width}}  {CHECK_LABELS[c.check]} — {c.detail}" for c in result.dossier]
    lines += ["", "Non vérifiés ici, faute de lire les traces (preserie assess) : "
              + ", ".join(CHECK_LABELS[name] for name in TRACE_CHECKS) + "."]
    if result.issues:
        lines += ["", "Fichiers :"]
        for issue in result.issues:
            lines.append(f"  {'erreur' if issue.level == ERROR else 'attention'} : {issue.where} : {issue.message}")
    failed = sum(c.status == FAIL for c in result.dossier)
    errors = sum(i.level == "error" for i in result.issues)
    verdict = ("prêt à être envoyé" if not result.failed
               else f"{failed} point(s) non conforme(s), {errors} erreur(s) de fichier : à corriger avant l'envoi")
    return [*lines, "", f"Résultat : {verdict}."]


class _TypedDeclaration:
    """A pilot's source with another declaration: the draft's files, with what its vendor is typing."""

    def __init__(self, source: PilotSource, declaration: dict[str, Any]) -> None:
        self._source, self._declaration = source, declaration

    @property
    def label(self) -> str:
        return self._source.label

    def check(self) -> None:
        self._source.check()

    def declaration(self) -> PilotDeclaration:
        return PilotDeclaration.model_validate(self._declaration)

    def trace_files(self) -> tuple[Sequence[TraceFile | ParsedRun | TraceSummary], Sequence[FileIssue]]:
        return self._source.trace_files()

    def registrations_file(self) -> Path | None:
        return self._source.registrations_file()

    def anomalies(self) -> SideRows[Anomaly]:
        return self._source.anomalies()

    def survey(self) -> SideRows[SurveyAnswer]:
        return self._source.survey()


def with_declaration(source: PilotSource, declaration: dict[str, Any]) -> PilotSource:
    """``source`` read with ``declaration`` (pilot.yaml's content, validated) instead of its own."""
    return _TypedDeclaration(source, declaration)
