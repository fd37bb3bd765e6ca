"""Reading trace files into the `records` table of a trace store (SPEC §4–§5, step 1 as records are read).

Intact files go through DuckDB's parallel readers (the fast path), consecutive files that read alike in one
pass; a file DuckDB refuses is read again line by line in Python (the careful path) so that its good lines still
count and its bad ones are rejected with their line number. The SQL is in `trace_sql`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import duckdb

from preserie.adapters import trace_sql as sql
from preserie.adapters.trace_files import (
    FileIssue,
    TraceFile,
    careful_csv_rows,
    careful_json_rows,
    csv_header_issue,
    empty_issue,
    read_csv_header,
    signature_issue,
)
from preserie.domain.inputs import ERROR, ParsedRun
from preserie.domain.reference import Reference

# The JSON reader's buffer (and longest line): 32 MiB read the 1M-record file of 280 MB in 0.47 s and a 55 MB
# file in 0.13 s, against 0.52 s and 0.20 s at 128 MiB, where a file under the buffer size went to one core. A
# longer line is not lost: its file then takes the careful path, which has no limit.
MAX_OBJECT_SIZE = 32 * 1024 * 1024
CAREFUL_BATCH = 50_000


@dataclass(frozen=True)
class _Plan:
    """A trace file ready to be read: by the engine through `source` (its reading of a list of such files; None:
    a CSV header the engine cannot take), else, or when the engine refuses it, line by line through `careful`
    (None for Parquet, which has no lines). Files next to each other with the same `together` key are read in
    one pass (None: always alone)."""

    file_idx: int
    trace_file: TraceFile
    source: Callable[[sql.FileList], str] | None
    careful: Iterator[dict[str, Any]] | None
    together: tuple[str, ...] | None = None

    @property
    def path(self) -> str:
        return sql.literal(str(self.trace_file.path))


def _quiet(_: str) -> None:
    """No one to tell."""


class DuckdbTraceLoader:
    """Reads trace files, in reading order, into `records` on `con`; knows each file by its number (`files`) and
    keeps every file problem met (`issues`)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, reference: Reference) -> None:
        self.con = con
        self.reference = reference
        self.files: dict[int, TraceFile] = {}
        self.issues: list[FileIssue] = []

    def _validate_into_records(self, source: str) -> None:
        statement = sql.account_select(source, list(self.reference.categories), list(self.reference.operations),
                                       list(self.reference.out_of_scope))
        self.con.execute(f"INSERT INTO records {statement}")

    def load_traces(self, trace_files: Sequence[TraceFile | ParsedRun],
                    progress: Callable[[str], None] = _quiet, *, where: Mapping[Path, str] | None = None) -> None:
        """Read trace files in the order given, name order (SPEC §5: files in that order, records in file order),
        telling `progress` which files it reads. Consecutive files the engine can read alike (JSON Lines; CSV with
        one header; Parquet with one schema) are read in one pass, which spreads many small files over both cores
        (240 JSON Lines files of 1.2 MB: 1.5 s for the whole assessment, 5.5 s one by one); a group the engine
        refuses is read again file by file, so that a damaged file takes the careful path alone. A `ParsedRun`
        (files read before, `trace_runs`) is read back as the rows it holds, without parsing anything again; of
        those, only the rows for which ``where`` (by the run's path) gives a condition that holds, if it gives one
        (a summary made from an earlier one, `trace_summary`): each member keeps its number all the same."""
        total = sum(len(item.members) if isinstance(item, ParsedRun) else 1 for item in trace_files)
        for is_run, items in itertools.groupby(trace_files, key=lambda item: isinstance(item, ParsedRun)):
            if is_run:
                for run in items:
                    assert isinstance(run, ParsedRun)
                    self._load_run(run, progress, total, (where or {}).get(run.path))
            else:
                self._load_files([f for f in items if isinstance(f, TraceFile)], progress, total)

    def _load_run(self, run: ParsedRun, progress: Callable[[str], None], total: int, where: str | None) -> None:
        base = len(self.files)
        for member in run.members:
            self._register(member)
        progress(f"lecture des traces : {run.members[0].name} … {run.members[-1].name} ({len(self.files)}/{total})")
        # the run's rows in their order, each member's number shifted to where its files now stand
        self.con.execute(f"INSERT INTO records SELECT {base} + rel_idx AS file_idx, * EXCLUDE (rel_idx) "
                         f"FROM read_parquet({sql.literal(str(run.path))}{sql.NOT_HIVE})"
                         + ("" if where is None else f" WHERE {where}"))
        self.issues.extend(run.issues)

    def _load_files(self, trace_files: list[TraceFile], progress: Callable[[str], None], total: int) -> None:
        planned = [plan for trace_file in trace_files if (plan := self._plan(self._register(trace_file), trace_file))]
        for key, members in itertools.groupby(planned, key=lambda plan: plan.together):
            group = list(members)
            named = group[0].trace_file.name + ("" if len(group) == 1 else f" … {group[-1].trace_file.name}")
            progress(f"lecture des traces : {named} ({group[-1].file_idx + 1}/{total})")
            source = group[0].source
            if key is not None and source is not None and len(group) > 1 and self._insert_atomically(
                    source([(plan.file_idx, plan.path) for plan in group])) is None:
                continue
            for plan in group:
                self._load_alone(plan)

    def _register(self, trace_file: TraceFile) -> int:
        """The file's number, which its records carry (`file_idx`); numbers follow the reading order."""
        file_idx = len(self.files)
        self.files[file_idx] = trace_file
        return file_idx

    def _plan(self, file_idx: int, trace_file: TraceFile) -> _Plan | None:
        """How to read a file and which files it can be read with; None, and why, for one that cannot be read at
        all (empty, not what its extension says, a Parquet file without a schema, a CSV header that names none of
        the contract's fields)."""
        if not self._can_read(trace_file):
            return None
        if trace_file.format == "jsonl":
            return _Plan(file_idx, trace_file, partial(sql.json_fast_source, max_object_size=MAX_OBJECT_SIZE),
                         careful_json_rows(trace_file, file_idx), ("jsonl",))
        if trace_file.format == "parquet":
            return self._plan_parquet(file_idx, trace_file)
        return self._plan_csv(file_idx, trace_file)

    def _plan_parquet(self, file_idx: int, trace_file: TraceFile) -> _Plan | None:
        try:
            described = self.con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({sql.literal(str(trace_file.path))}{sql.NOT_HIVE})").fetchall()
        except duckdb.Error as error:
            self._parquet_unreadable(trace_file, error)
            return None
        types = {row[0]: str(row[1]) for row in described}
        schema = ("parquet", *(f"{name} {kind}" for name, kind in sorted(types.items())))
        return _Plan(file_idx, trace_file, partial(sql.parquet_source, column_types=types), None, schema)

    def _plan_csv(self, file_idx: int, trace_file: TraceFile) -> _Plan | None:
        header = self._csv_header(trace_file)
        if header is None:
            return None
        careful = careful_csv_rows(trace_file, file_idx)  # a generator: the file is opened only if it is needed
        if len(set(header)) != len(header) or any(not h for h in header):  # not column names for the engine
            return _Plan(file_idx, trace_file, None, careful)
        return _Plan(file_idx, trace_file, partial(sql.csv_fast_source, header=header), careful, ("csv", *header))

    def _insert_atomically(self, source: str) -> duckdb.Error | None:
        """Validate and store every record of `source`, or none of them: the engine's refusal, or None."""
        try:
            self.con.execute("BEGIN")
            self._validate_into_records(source)
            self.con.execute("COMMIT")
        except duckdb.Error as error:
            self.con.execute("ROLLBACK")
            return error
        return None

    def _load_alone(self, plan: _Plan) -> None:
        """The engine's reading of the file, or, when it cannot or will not, the careful one."""
        refused = None
        if plan.source is not None:
            refused = self._insert_atomically(plan.source([(plan.file_idx, plan.path)]))
            if refused is None:
                return
        if plan.careful is None:  # Parquet: no lines to read one by one
            self._parquet_unreadable(plan.trace_file, refused)
            return
        try:
            self._load_careful(plan.careful)
        except (OSError, EOFError) as error:  # e.g. a truncated gzip stream
            self.con.execute("DELETE FROM records WHERE file_idx = ?", [plan.file_idx])
            self.issues.append(FileIssue(plan.trace_file.name, "error", f"fichier illisible : {error}"))

    def _parquet_unreadable(self, trace_file: TraceFile, error: duckdb.Error | None) -> None:
        first_line = str(error).splitlines()[0]
        self.issues.append(FileIssue(trace_file.name, "error", f"fichier Parquet illisible : {first_line}"))

    def _can_read(self, trace_file: TraceFile) -> bool:
        """False, and why, for an empty file or one whose first bytes belie its extension."""
        issue = empty_issue(trace_file) or signature_issue(trace_file)
        if issue:
            self.issues.append(issue)
        return issue is None

    def _csv_header(self, trace_file: TraceFile) -> list[str] | None:
        """The header of a CSV trace file, or None (and why) when it names none of the contract's columns."""
        header = read_csv_header(trace_file)
        issue = csv_header_issue(trace_file, header)
        if issue:
            self.issues.append(issue)
        return None if issue and issue.level == ERROR else header

    def _load_careful(self, rows: Iterator[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CAREFUL_BATCH:
                self._insert_batch(batch)
                batch = []
        if batch:
            self._insert_batch(batch)

    def _insert_batch(self, batch: list[dict[str, Any]]) -> None:
        import pyarrow as pa  # only damaged files take this path: keep the import off the common one

        schema = pa.schema([("file_idx", pa.int32()), ("line", pa.int64()), ("parse_error", pa.string())]
                           + [(name, pa.string()) for name in sql.TEXT_FIELDS])
        self.con.register("staged", pa.Table.from_pylist(batch, schema=schema))
        try:
            self._validate_into_records("SELECT * FROM staged")
        finally:
            self.con.unregister("staged")
