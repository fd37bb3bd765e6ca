"""The `PilotSource` port: what an assessment reads of one pilot, wherever the pilot lives.

A pilot folder is the first adapter (`adapters.folder_source.FolderPilotSource`); the registry's database and its
trace store are the next. The assessment's use case (`services.assess.assess_pilot`) reads a source through this
port only, so a new source touches neither the domain nor the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import FileIssue, ParsedRun, SideRows, TraceFile, TraceSummary
from preserie.domain.pilot import PilotDeclaration


class PilotSource(Protocol):
    """One pilot's inputs. Each method raises the adapter's unusable-input error (exit status 2) when what it
    reads cannot be used at all; problems of single rows or files travel as `FileIssue`s with what they read."""

    @property
    def label(self) -> str:
        """How people know this source (a folder's path, a pilot's id)."""
        ...

    def check(self) -> None:
        """Refuse at once a source that cannot hold a pilot, before any long reading starts."""

    def declaration(self) -> PilotDeclaration:
        """The pilot's declaration (pilot.yaml)."""
        ...

    def trace_files(self) -> tuple[Sequence[TraceFile | ParsedRun | TraceSummary], Sequence[FileIssue]]:
        """The trace files in reading order (SPEC §5), some of them perhaps as runs the engine read before, or a
        summary of them all (the only item then), and the problems of the files that will not be read."""
        ...

    def registrations_file(self) -> Path | None:
        """The national registry's extract (registrations.csv), or None when there is none."""
        ...

    def anomalies(self) -> SideRows[Anomaly]:
        """The vendor's anomaly log."""
        ...

    def survey(self) -> SideRows[SurveyAnswer]:
        """The doctors' satisfaction survey."""
        ...
