"""A pilot folder (SPEC §4) as a `PilotSource`: the first adapter of the port."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from preserie.adapters.trace_files import discover
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import FileIssue, SideRows, TraceFile
from preserie.domain.pilot import PilotDeclaration


class FolderPilotSource:
    """pilot.yaml, traces/, registrations.csv, anomalies.csv and survey.csv of one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @property
    def label(self) -> str:
        return str(self.folder)

    def check(self) -> None:
        from preserie.adapters.pilot_folder import check_folder

        check_folder(self.folder)

    def declaration(self) -> PilotDeclaration:
        # pydantic's import is left to this call, so that it overlaps with the reading of the traces
        from preserie.adapters.pilot_folder import load_declaration

        return load_declaration(self.folder)

    def trace_files(self) -> tuple[Sequence[TraceFile], Sequence[FileIssue]]:
        return discover(self.folder)

    def registrations_file(self) -> Path | None:
        """registrations.csv when something is there (a file, or what the reader will refuse in French)."""
        path = self.folder / "registrations.csv"
        return path if path.exists() or path.is_symlink() else None

    def anomalies(self) -> SideRows[Anomaly]:
        from preserie.adapters.pilot_folder import read_anomalies

        return read_anomalies(self.folder)

    def survey(self) -> SideRows[SurveyAnswer]:
        from preserie.adapters.pilot_folder import read_survey

        return read_survey(self.folder)

