"""The assessment reads a pilot through the `PilotSource` port only: a source that is not a folder (here an
in-memory one, as the registry's database will be) is assessed exactly as the folder it was taken from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from preserie.adapters.folder_source import FolderPilotSource
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import FileIssue, SideRows, TraceFile
from preserie.domain.pilot import PilotDeclaration
from preserie.domain.source import PilotSource
from preserie.services.assess import assess_folder, assess_pilot

CASES = Path(__file__).parents[1] / "cases"
AS_OF = dt.datetime(2025, 3, 3, 23, 59, tzinfo=dt.UTC)


class MemoryPilotSource:
    """A pilot held in memory: a declaration and side rows already validated, traces as files elsewhere."""

    def __init__(self, declaration: PilotDeclaration, traces: Sequence[TraceFile], registrations: Path | None,
                 anomalies: Sequence[Anomaly], answers: Sequence[SurveyAnswer]) -> None:
        self._declaration, self._traces, self._registrations = declaration, traces, registrations
        self._anomalies, self._answers = anomalies, answers

    @property
    def label(self) -> str:
        return f"présérie {self._declaration.id}"

    def check(self) -> None:
        """Nothing to check: it holds a pilot by construction."""

    def declaration(self) -> PilotDeclaration:
        return self._declaration

    def trace_files(self) -> tuple[Sequence[TraceFile], Sequence[FileIssue]]:
        return self._traces, ()

    def registrations_file(self) -> Path | None:
        return self._registrations

    def anomalies(self) -> SideRows[Anomaly]:
        return SideRows(rows=tuple(self._anomalies), present=True)

    def survey(self) -> SideRows[SurveyAnswer]:
        return SideRows(rows=tuple(self._answers), present=True)


def _from_folder(folder: Path) -> MemoryPilotSource:
    folder_source: PilotSource = FolderPilotSource(folder)
    traces, _ = folder_source.trace_files()
    return MemoryPilotSource(folder_source.declaration(), traces, folder_source.registrations_file(),
                             folder_source.anomalies().rows, folder_source.survey().rows)


def test_a_source_that_is_not_a_folder_is_assessed_like_the_folder() -> None:
    for case in ("nominal", "anomaly_open_blocking", "duplicates_conflicts_two_formats", "survey_blocking_issue"):
        folder = CASES / case
        from_memory = assess_pilot(_from_folder(folder), as_of=AS_OF)
        assert from_memory.result == assess_folder(folder, as_of=AS_OF).result, case


def test_side_rows_of_the_source_decide_the_verdict_and_the_default_as_of() -> None:
    source = _from_folder(CASES / "nominal")
    late = [a.model_copy(update={"submitted_on": dt.date(2025, 3, 20), "overall": 1}) for a in source._answers]
    source._answers = late
    run = assess_pilot(source)
    assert run.assessment.as_of == "2025-03-20T23:59:59.999999+01:00"
    assert run.assessment.criteria.satisfaction.mean_overall == 1
    assert run.assessment.decision == "extend"
    assert run.issues == []  # the memory source reported nothing, and nothing was made up for it
