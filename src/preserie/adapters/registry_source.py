"""A pilot kept in the registry as a `PilotSource`: the second adapter of the port, beside the folder.

What the registry recorded (the declaration rebuilt for one phase, its anomalies and survey answers) and what its
trace store holds (the phase's segments, its registry extract): the same engine then assesses it as it assesses a
folder, so the service never counts in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import FileIssue, ParsedRun, SideRows, TraceFile, TraceSummary
from preserie.domain.pilot import PilotDeclaration
from preserie.domain.registry import AnomalyRecord


class RegistryPilotSource:
    def __init__(self, label: str, declaration: dict[str, Any],
                 trace_files: Sequence[TraceFile | ParsedRun | TraceSummary], registrations: Path | None,
                 anomalies: Sequence[AnomalyRecord], answers: Sequence[dict[str, Any]]) -> None:
        self._label, self._declaration, self._traces = label, declaration, trace_files
        self._registrations, self._anomalies, self._answers = registrations, anomalies, answers

    @property
    def label(self) -> str:
        return self._label

    def check(self) -> None:
        """A registered pilot always holds a validated declaration."""

    def declaration(self) -> PilotDeclaration:
        return PilotDeclaration.model_validate(self._declaration)

    def trace_files(self) -> tuple[Sequence[TraceFile | ParsedRun | TraceSummary], Sequence[FileIssue]]:
        return self._traces, ()

    def registrations_file(self) -> Path | None:
        return self._registrations if self._registrations is not None and self._registrations.exists() else None

    def anomalies(self) -> SideRows[Anomaly]:
        rows = [Anomaly(id=a.ref, opened_on=a.opened_on, closed_on=a.closed_on, operation=a.operation,  # type: ignore[arg-type]
                        severity=a.severity, origin=a.origin, practitioner=a.practitioner,  # type: ignore[arg-type]
                        summary=a.summary) for a in self._anomalies]
        return SideRows(rows=rows, present=True)

    def survey(self) -> SideRows[SurveyAnswer]:
        return SideRows(rows=[SurveyAnswer.model_validate(a) for a in self._answers], present=True)
