"""What a pilot's inputs are made of, wherever they are read from: its trace files, the problems met while
reading them (file, line, field), and the rows of a small side file. Plain data: reading is the adapters' job."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

Row = TypeVar("Row")
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class TraceFile:
    path: Path
    name: str  # path relative to the pilot folder, as shown to people
    format: str  # jsonl | csv | parquet
    compressed: bool


@dataclass(frozen=True)
class ParsedRun:
    """Trace files already read once by the engine (SPEC §5 step 1 applied), kept as the rows it made of them: a
    contiguous run of a pilot's files in reading order, read back without parsing their JSON again. Each member
    keeps its name and its lines (rejections and conflicts still point into it); `issues` are the file problems
    met when the members were read; `records`, the rows it holds (None: not counted)."""

    path: Path
    members: tuple[TraceFile, ...]
    issues: tuple[FileIssue, ...] = ()
    records: int | None = None


@dataclass(frozen=True)
class TraceSummary:
    """A phase's traces, with its registry extract, accounted once apart from the declaration and the evaluation
    moment: steps 1 to 3 done and every fact kept per practitioner and situation, so that a bilan only takes the
    groups its declaration equips. It stands for `items` (what it was made of, in reading order) at any moment from
    `latest` (the latest `ts` passing steps 1 to 3) on; a bilan at an earlier moment reads `items` instead."""

    path: Path
    items: tuple[TraceFile | ParsedRun, ...]
    latest: dt.datetime | None
    registrations: Path | None

    def stands_for(self, as_of: dt.datetime | None) -> bool:
        """Whether a bilan at ``as_of`` (None: the default moment, never before `latest`) leaves out no record."""
        return as_of is None or self.latest is None or as_of >= self.latest


def trace_members(items: Sequence[TraceFile | ParsedRun | TraceSummary]) -> list[TraceFile]:
    """The trace files that ``items`` stand for, in reading order."""
    files: list[TraceFile] = []
    for item in items:
        if isinstance(item, TraceSummary):
            files.extend(trace_members(item.items))
        elif isinstance(item, ParsedRun):
            files.extend(item.members)
        else:
            files.append(item)
    return files


@dataclass(frozen=True)
class FileIssue:
    file: str
    level: str  # "error": the file or row could not be used; "warning": read, but worth a look
    message: str
    line: int | None = None
    field: str | None = None
    # The file or folder could not be opened at all (permissions, a folder or a pipe where a file is expected): the
    # environment is to fix before a bilan can stand on it, so the run ends with exit status 2 (unusable input).
    unreadable: bool = False

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"file": self.file, "level": self.level, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        if self.field is not None:
            data["field"] = self.field
        if self.unreadable:
            data["unreadable"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileIssue:
        return cls(file=data["file"], level=data["level"], message=data["message"], line=data.get("line"),
                   field=data.get("field"), unreadable=bool(data.get("unreadable", False)))

    @property
    def where(self) -> str:
        """« survey.csv, ligne 4, champ overall »: where a person looks."""
        return self.file + (f", ligne {self.line}" if self.line else "") + (f", champ {self.field}" if self.field
                                                                            else "")


@dataclass(frozen=True)
class SideRows(Generic[Row]):
    """The valid rows of a side file (anomalies, survey), the problems of the others, and whether it exists."""

    rows: Sequence[Row] = ()
    issues: Sequence[FileIssue] = field(default_factory=tuple)
    present: bool = False


PILOT_FILE, REGISTRATIONS_FILE = "pilot.yaml", "registrations.csv"
# Where the issues of files other than traces are listed, after those of the trace files.
SIDE_FILE_ORDER: tuple[str, ...] = (PILOT_FILE, REGISTRATIONS_FILE, "anomalies.csv", "survey.csv")
REGISTRATIONS_ABSENT = ("fichier absent : les ordonnances enregistrées sont déduites des appels « créer » réussis "
                        "(traces)")


def side_issues(name: str, side: SideRows[Any]) -> list[FileIssue]:
    """A side file's issues, or that it is absent."""
    return [*side.issues, *([] if side.present else [FileIssue(name, WARNING, "fichier absent")])]


def unreadable_trace_files(issues: Sequence[FileIssue]) -> tuple[str, ...]:
    """The trace files (or folders) an error kept from being read, for the `traces_readable` check."""
    return tuple(sorted({i.file for i in issues if i.level == ERROR and i.file.startswith("traces/")}))


def dropped_rows(issues: Sequence[FileIssue]) -> tuple[str, ...]:
    """« survey.csv ligne 4 »: the side files' rows (or whole files) that could not be used, for `input_rows`."""
    return tuple(f"{i.file} ligne {i.line}" if i.line else f"{i.file} (illisible)" for i in issues
                 if i.level == ERROR)


def in_reading_order(issues: Sequence[FileIssue]) -> list[FileIssue]:
    """The trace files' issues in reading order (name in byte order, then line), whatever order they were met
    in (files read together are checked before they are read); then each side file's, in the order above and
    as met within a file."""

    def key(issue: FileIssue) -> tuple[int, bytes, int]:
        if issue.file.startswith("traces/"):
            return 0, issue.file.encode(), issue.line or 0
        known = issue.file in SIDE_FILE_ORDER
        return 1, bytes([SIDE_FILE_ORDER.index(issue.file) if known else len(SIDE_FILE_ORDER)]), 0

    return sorted(issues, key=key)
