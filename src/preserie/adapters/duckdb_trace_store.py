"""The trace store on DuckDB: reads every trace file, accounts for every record, computes the facts.

Intact files go through DuckDB's parallel readers (the fast path); a file DuckDB refuses is read
again line by line in Python (the careful path) so that its good lines still count and its bad ones
are rejected with their line number. All SQL lives in `trace_sql`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from preserie.adapters import trace_sql as sql
from preserie.adapters.trace_files import (
    FileIssue,
    TraceFile,
    careful_csv_rows,
    careful_json_rows,
    check_signature,
    physical_lines,
    read_csv_header,
)
from preserie.domain.accounting import STEP_NAMES, DataQuality, describe_rejection
from preserie.domain.facts import (
    ConfigurationStats,
    OperationCounts,
    RegistrationFacts,
    TraceFacts,
    UsageCounts,
)
from preserie.domain.reference import Reference

# The JSON reader's buffer (and longest line): 32 MiB read the 1M-record file of 280 MB in 0.47 s and a 55 MB
# file in 0.13 s, against 0.52 s and 0.20 s at 128 MiB, where a file under the buffer size went to one core. A
# longer line is not lost: its file then takes the careful path, which has no limit.
MAX_OBJECT_SIZE = 32 * 1024 * 1024
CAREFUL_BATCH = 50_000
# The engine's memory before it spills to disk. 10M records: 11.7 s and 2.1 GiB peak at 2GB, 10.2 s and 2.8 GiB
# at 3GB (benchmarks/assess_scale.py); the goal is under 4 GiB. PRESERIE_MEMORY overrides it.
DEFAULT_MEMORY = "3GB"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class _Plan:
    """A trace file ready to be read: alone, or in one pass with the files next to it of the same `together` key
    (None: always alone), through `source`, the engine's reading of a list of such files."""

    file_idx: int
    trace_file: TraceFile
    alone: Callable[[], None]
    together: tuple[str, ...] | None = None
    source: Callable[[sql.FileList], str] | None = None


class DuckdbTraceStore:
    """One in-process DuckDB database holding the records of one pilot folder."""

    def __init__(self, reference: Reference, *, memory_limit: str | None = None) -> None:
        self.reference = reference
        self._tmp = tempfile.TemporaryDirectory(prefix="preserie-")
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET enable_progress_bar = false")
        # Insertion order is kept (DuckDB's default): a record's rowid then follows file order, record order.
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(f"SET temp_directory = {_literal(self._tmp.name)}")
        memory = memory_limit or os.environ.get("PRESERIE_MEMORY", DEFAULT_MEMORY)
        self.con.execute(f"SET memory_limit = {_literal(memory)}")
        self.con.execute(sql.CREATE_TABLES)
        self.files: dict[int, TraceFile] = {}
        self.file_issues: list[FileIssue] = []

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> DuckdbTraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ----------------------------------------------------------------------------------------

    def _validate_into_records(self, source: str) -> None:
        statement = sql.account_select(source, list(self.reference.categories), list(self.reference.operations),
                                       list(self.reference.out_of_scope))
        self.con.execute(f"INSERT INTO records {statement}")

    def load_traces(self, batch: list[TraceFile]) -> None:
        """Read trace files that follow one another in name order (SPEC §5: files in that order, records in file
        order). Consecutive files the engine can read alike (JSON Lines; CSV with one header; Parquet with one
        schema) are read in one pass, which spreads many small files over both cores (240 JSON Lines files of
        1.2 MB: 1.5 s for the whole assessment, 5.5 s one by one); a group the engine refuses is read again file
        by file, so that a damaged file takes the careful path alone."""
        planned = [plan for trace_file in batch if (plan := self._plan(self._register(trace_file), trace_file))]
        for key, members in itertools.groupby(planned, key=lambda plan: plan.together):
            group = list(members)
            source = group[0].source
            if key is None or source is None or len(group) == 1:
                for plan in group:
                    plan.alone()
            else:
                self._load_together(group, source)

    def _register(self, trace_file: TraceFile) -> int:
        """The file's number, which its records carry (`file_idx`); numbers follow the reading order."""
        file_idx = len(self.files)
        self.files[file_idx] = trace_file
        return file_idx

    def _plan(self, file_idx: int, trace_file: TraceFile) -> _Plan | None:
        """How to read a file alone and which files it can be read with; None, and why, for one that cannot be
        read at all (empty, not what its extension says, a CSV header that names none of the contract's fields)."""
        if not self._can_read(trace_file):
            return None
        path = _literal(str(trace_file.path))
        if trace_file.format == "jsonl":
            return _Plan(file_idx, trace_file, lambda: self._load_json(file_idx, trace_file), ("jsonl",),
                         lambda files: sql.json_fast_source(files, MAX_OBJECT_SIZE))
        if trace_file.format == "parquet":
            try:
                types = self._parquet_types(path)
            except duckdb.Error:
                return _Plan(file_idx, trace_file, lambda: self._load_parquet(file_idx, trace_file, path))
            return _Plan(file_idx, trace_file, lambda: self._load_parquet(file_idx, trace_file, path),
                         ("parquet", *(f"{name} {kind}" for name, kind in sorted(types.items()))),
                         lambda files: sql.parquet_source(files, types))
        header = self._csv_header(trace_file)
        if header is None:
            return None
        if len(set(header)) != len(header) or any(not h for h in header):  # not column names for the engine
            return _Plan(file_idx, trace_file, lambda: self._load_careful(careful_csv_rows(trace_file, file_idx)))
        return _Plan(file_idx, trace_file, lambda: self._load_fast_or_careful(
            file_idx, trace_file, sql.csv_fast_source([(file_idx, path)], header),
            careful_csv_rows(trace_file, file_idx)), ("csv", *header), lambda files: sql.csv_fast_source(files, header))

    def _load_together(self, group: list[_Plan], source: Callable[[sql.FileList], str]) -> None:
        try:
            self.con.execute("BEGIN")
            self._validate_into_records(source([(plan.file_idx, _literal(str(plan.trace_file.path)))
                                                for plan in group]))
            self.con.execute("COMMIT")
        except duckdb.Error:
            self.con.execute("ROLLBACK")
            for plan in group:
                plan.alone()

    def _can_read(self, trace_file: TraceFile) -> bool:
        """False, and why, for an empty file or one whose first bytes belie its extension."""
        if trace_file.path.stat().st_size == 0:
            self.file_issues.append(FileIssue(trace_file.name, "warning", "fichier vide (0 octet) : aucune trace"))
            return False
        mismatch = check_signature(trace_file)
        if mismatch:
            self.file_issues.append(FileIssue(trace_file.name, "error", f"fichier illisible : {mismatch}"))
            return False
        return True

    def _load_json(self, file_idx: int, trace_file: TraceFile) -> None:
        fast = sql.json_fast_source([(file_idx, _literal(str(trace_file.path)))], MAX_OBJECT_SIZE)
        self._load_fast_or_careful(file_idx, trace_file, fast, careful_json_rows(trace_file, file_idx))

    def _csv_header(self, trace_file: TraceFile) -> list[str] | None:
        """The header of a CSV trace file, or None (and why) when it names none of the contract's columns."""
        header = read_csv_header(trace_file)
        if not header or not set(sql.TEXT_FIELDS).intersection(header):
            semicolons = header is not None and len(header) == 1 and ";" in header[0]
            hint = (" : séparateur « ; » détecté, la virgule est attendue" if semicolons
                    else " : l'en-tête CSV ne contient aucune colonne attendue (event_id, ts, …)")
            self.file_issues.append(FileIssue(trace_file.name, "error", "fichier illisible" + hint))
            return None
        absent = [name for name in sql.COMMON_FIELDS if name not in header]
        if absent:
            self.file_issues.append(FileIssue(
                trace_file.name, "warning", f"colonnes absentes de l'en-tête : {', '.join(absent)}"))
        return header

    def _load_fast_or_careful(self, file_idx: int, trace_file: TraceFile, fast: str,
                              careful: Iterator[dict[str, Any]]) -> None:
        try:
            self.con.execute("BEGIN")
            self._validate_into_records(fast)
            self.con.execute("COMMIT")
        except duckdb.Error:
            self.con.execute("ROLLBACK")
            try:
                self._load_careful(careful)
            except (OSError, EOFError) as error:  # e.g. a truncated gzip stream
                self.con.execute("DELETE FROM records WHERE file_idx = ?", [file_idx])
                self.file_issues.append(FileIssue(trace_file.name, "error", f"fichier illisible : {error}"))

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

    def _parquet_types(self, path: str) -> dict[str, str]:
        described = self.con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
        return {row[0]: str(row[1]) for row in described}

    def _load_parquet(self, file_idx: int, trace_file: TraceFile, path: str) -> None:
        try:
            self._validate_into_records(sql.parquet_source([(file_idx, path)], self._parquet_types(path)))
        except duckdb.Error as error:
            self.con.execute("DELETE FROM records WHERE file_idx = ?", [file_idx])
            first_line = str(error).splitlines()[0]
            self.file_issues.append(FileIssue(trace_file.name, "error", f"fichier Parquet illisible : {first_line}"))

    def load_registrations(self, path: Path) -> list[FileIssue]:
        """registrations.csv (SPEC §4), read by the engine: it can hold millions of rows."""
        from preserie.adapters.registrations import load_registrations

        return load_registrations(self.con, path)

    def apply_users(self, users: dict[str, str]) -> None:
        """Steps 4 and 5, once the records are read: `users` maps each equipped practitioner to their
        declared situation. Ids come from the validated declaration; quotes are doubled all the same."""
        safe = {u.replace("'", "''"): s.replace("'", "''") for u, s in users.items()}
        self.con.execute(sql.practitioner_steps(safe))

    # -- accounting ---------------------------------------------------------------------------------------

    def account(self, as_of: dt.datetime | None) -> tuple[dt.datetime | None, DataQuality]:
        """Steps 1 to 8 of SPEC §5. Returns the as_of used and the eight counts with their evidence."""
        self.con.execute(sql.CREATE_REPEATS)
        if as_of is None:
            row = self.con.execute(sql.LATEST_TS).fetchone()
            as_of = row[0] if row else None
        self.con.execute("INSERT INTO evaluation VALUES (?::TIMESTAMPTZ)",
                         [as_of or dt.datetime(9999, 12, 31, tzinfo=dt.UTC)])
        self.con.execute(sql.CREATE_ACCOUNTED)
        self.con.execute(sql.KEPT)
        self.con.execute(sql.USED)
        counts = dict.fromkeys(STEP_NAMES, 0)
        for step, count in self.con.execute(sql.COUNT_STEPS).fetchall():
            counts[step] = count
        return as_of, DataQuality(counts=counts, rejections=tuple(self._rejections()),
                                  conflicts=tuple(self._conflicts()), file_issues=tuple(
                                      i.as_dict() for i in self.ordered_issues()))

    def ordered_issues(self) -> list[FileIssue]:
        """The file issues met: the trace files' in reading order (name, then line), whatever order they were
        met in (files read together are checked before they are read), then the other files' as met."""
        def key(issue: FileIssue) -> tuple[int, bytes, int]:
            return (0, issue.file.encode(), issue.line or 0) if issue.file.startswith("traces/") else (1, b"", 0)

        return sorted(self.file_issues, key=key)

    def _lines(self, wanted: list[tuple[int, int, int | None]]) -> dict[int, int]:
        """Line numbers of records given as (file_idx, rowid, line known or None), read from the files
        only where needed: a record's rank in its file is its rowid less the file's first rowid."""
        lines: dict[int, int] = {}
        pending: dict[int, dict[int, int]] = {}
        starts: dict[int, int] = {}
        if any(line is None for _, _, line in wanted):
            starts = dict(self.con.execute(sql.FILE_STARTS).fetchall())
        for file_idx, rid, line in wanted:
            if line is not None:
                lines[rid] = line
                continue
            ordinal = rid - starts[file_idx] + 1
            if self.files[file_idx].format == "parquet":
                lines[rid] = ordinal
            else:
                pending.setdefault(file_idx, {})[ordinal] = rid
        for file_idx, ordinals in pending.items():
            for ordinal, line in physical_lines(self.files[file_idx], set(ordinals)).items():
                lines[ordinals[ordinal]] = line
        return lines

    def _rejections(self) -> Iterator[Any]:
        rows = self.con.execute(sql.REJECTIONS).fetchall()
        lines = self._lines([(f, rid, ln) for f, rid, ln, _ in rows])
        for file_idx, rid, _, reason in rows:
            yield describe_rejection(self.files[file_idx].name, lines[rid], reason)

    def _conflicts(self) -> Iterator[dict[str, object]]:
        rows = self.con.execute(sql.CONFLICTS).fetchall()
        lines = self._lines([(r[1], r[2], r[3]) for r in rows] + [(r[4], r[5], r[6]) for r in rows])
        for event_id, file_idx, rid, _, first_idx, first_rid, _ in rows:
            yield {"event_id": event_id, "file": self.files[file_idx].name, "line": lines[rid],
                   "kept_file": self.files[first_idx].name, "kept_line": lines[first_rid]}

    # -- facts ----------------------------------------------------------------------------------------------

    def facts(self, *, count_out_of_scope: bool, has_registrations: bool) -> TraceFacts:
        """The facts the criteria are judged on (after `account`)."""
        self.con.execute(sql.LATEST_SNAPSHOTS)
        classes = {c.name: self._class_test(c.statuses, c.ranges) for c in self.reference.error_classes}
        queries = {
            "weeks": sql.prescription_weeks_select(list(self.reference.in_scope), count_out_of_scope),
            "operations": sql.operations_select(classes), "observed": sql.OBSERVED,
            "with_snapshot": sql.USERS_WITH_SNAPSHOT, "configurations": sql.CREATE_CALL_CONFIGURATIONS,
        }
        if has_registrations:
            queries.update(funnel=sql.REGISTRATION_FUNNEL)
        else:
            queries.update(funnel=sql.REGISTERED_FROM_TRACES)
        # One after the other: running them at once on several cursors was measured, and gained nothing
        # (DuckDB already spreads each query over both cores).
        rows = {name: self.con.execute(query).fetchall() for name, query in queries.items()}
        if has_registrations:
            created, registered, rejected, unknown, orphans = rows["funnel"][0]
            registration = RegistrationFacts(created=created, registered=registered, source="registrations",
                                             rejected=rejected, unknown=unknown, orphans=orphans)
        else:
            created, registered = rows["funnel"][0]
            registration = RegistrationFacts(created=created, registered=registered, source="traces",
                                             rejected=None, unknown=None, orphans=0)
        operations = _operations(rows["operations"], list(classes))
        observed: dict[str, dict[str, int]] = {f: {} for f in sql.SNAPSHOT_FIELDS}
        for field, value, count in rows["observed"]:
            observed[field]["" if value is None else str(value)] = count
        usage, weekly = _usage_and_weekly(rows["weeks"])
        with_snapshot = frozenset(r[0] for r in rows["with_snapshot"])
        create = operations.get("create", OperationCounts(calls=0, ok=0, errors={}))
        return TraceFacts(
            usage=usage, registration=registration, operations=operations, observed=observed,
            users_with_snapshot=with_snapshot,
            configurations=tuple(ConfigurationStats(field=f, value=str(v), calls=c, failures=k)
                                 for f, v, c, k in rows["configurations"]),
            # a valid call's outcome is ok or error (step 1), so the failed creates are the ones not ok
            create_calls=create.calls, create_failures=create.calls - create.ok,
            # every used record is a prescription, a call or a snapshot (step 1)
            active_users=frozenset(p for p, *_ in rows["weeks"]) | frozenset(p for p, *_ in rows["operations"])
            | with_snapshot,
            weekly=weekly)

    @staticmethod
    def _class_test(statuses: tuple[int | None, ...], ranges: tuple[tuple[int, int], ...]) -> str:
        tests = []
        if None in statuses:
            tests.append("http_status IS NULL")
        listed = [str(s) for s in statuses if s is not None]
        if listed:
            tests.append(f"http_status IN ({', '.join(listed)})")
        tests.extend(f"http_status BETWEEN {lo} AND {hi}" for lo, hi in ranges)
        return "(" + " OR ".join(tests) + ")"


def _operations(rows: list[tuple[Any, ...]], classes: list[str]) -> dict[str, OperationCounts]:
    """C3 counts per operation, from the per-user rows of `operations_select`."""
    totals: dict[str, list[int]] = {}
    for _, operation, *counts in rows:
        sums = totals.setdefault(operation, [0] * len(counts))
        for i, count in enumerate(counts):
            sums[i] += count
    return {operation: OperationCounts(calls=calls, ok=ok, errors=dict(zip(classes, by_class, strict=True)))
            for operation, (calls, ok, *by_class) in sorted(totals.items())}


def _usage_and_weekly(rows: list[tuple[Any, ...]]) -> tuple[dict[str, UsageCounts],
                                                             tuple[tuple[str, str, int, int], ...]]:
    """C1 counts (inside each user's window) and the weekly curve (all weeks), from the rows of
    `prescription_weeks_select`: (practitioner, week, window_start, in_window, digital, total)."""
    usage: dict[str, list[Any]] = {}
    weekly: dict[tuple[str, str], list[int]] = {}
    for practitioner, week, window_start, in_window, digital, total in rows:
        week_sums = weekly.setdefault((practitioner, week), [0, 0])
        week_sums[0] += digital
        week_sums[1] += total
        if window_start is not None:
            user = usage.setdefault(practitioner, [window_start, 0, 0])
            if in_window:
                user[1] += digital
                user[2] += total
    return ({p: UsageCounts(window_start=start, digital=d, total=t) for p, (start, d, t) in usage.items()},
            tuple((p, week, d, t) for (p, week), (d, t) in sorted(weekly.items())))
