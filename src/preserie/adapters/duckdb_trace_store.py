"""The trace store on DuckDB: holds the records of one pilot folder (read by `trace_loader`), accounts for
every one of them (SPEC §5) and computes the facts the criteria are judged on. All SQL lives in `trace_sql`."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from preserie.adapters import facts_sql
from preserie.adapters import trace_sql as sql
from preserie.adapters.trace_files import FileIssue, TraceFile, physical_lines
from preserie.adapters.trace_loader import DuckdbTraceLoader
from preserie.domain.accounting import STEP_NAMES, DataQuality, describe_rejection
from preserie.domain.facts import (
    ConfigurationStats,
    OperationCounts,
    RegistrationFacts,
    TraceFacts,
    UsageCounts,
)
from preserie.domain.inputs import ERROR, REGISTRATIONS_ABSENT, REGISTRATIONS_FILE, WARNING, ParsedRun
from preserie.domain.reference import Reference

# The engine's memory before it spills to disk. 10M records: 11.7 s and 2.1 GiB peak at 2GB, 10.2 s and 2.8 GiB
# at 3GB (benchmarks/assess_scale.py); the goal is under 4 GiB. PRESERIE_MEMORY overrides it.
DEFAULT_MEMORY = "3GB"


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
        self.con.execute(f"SET temp_directory = {sql.literal(self._tmp.name)}")
        memory = memory_limit or os.environ.get("PRESERIE_MEMORY", DEFAULT_MEMORY)
        self.con.execute(f"SET memory_limit = {sql.literal(memory)}")
        self.con.execute(sql.CREATE_TABLES)
        self._loader = DuckdbTraceLoader(self.con, reference)
        self._repeats_found = False

    def clear(self) -> None:
        """Forget every record and file read, to read others on the same connection (the collector reads one
        group of batches after another: opening a store costs more than checking a batch of 1,000 records). The
        table is made anew: the engine keeps the storage of deleted rows, and every later scan went through it
        (a check took twice as long after a million records)."""
        self.con.execute("CREATE OR REPLACE TABLE records AS FROM records LIMIT 0")
        self._loader = DuckdbTraceLoader(self.con, self.reference)

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    def __enter__(self) -> DuckdbTraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading (trace_loader) --------------------------------------------------------------------------

    def load_traces(self, trace_files: Sequence[TraceFile | ParsedRun], progress: Callable[[str], None], *,
                    where: Mapping[Path, str] | None = None) -> None:
        """Read the trace files, in name order (see `DuckdbTraceLoader.load_traces`)."""
        self._loader.load_traces(trace_files, progress, where=where)

    @property
    def files(self) -> dict[int, TraceFile]:
        return self._loader.files

    @property
    def file_issues(self) -> list[FileIssue]:
        """Every file or row problem the store met while reading the trace files."""
        return self._loader.issues

    def load_registrations(self, path: Path | None) -> list[FileIssue]:
        """registrations.csv, read by the engine (it can hold millions of rows), and what was wrong with it: absent
        (None: the registered ones are deduced from the traces), not a file, unreadable, or bad rows."""
        from preserie.adapters.registrations import load_registrations
        from preserie.adapters.trace_files import not_a_file, unreadable

        if path is None:
            return [FileIssue(REGISTRATIONS_FILE, WARNING, REGISTRATIONS_ABSENT)]
        odd = not_a_file(path)
        if odd:  # there, but not a file: the registry's verdicts are missing, not to be deduced from the traces
            return [FileIssue(REGISTRATIONS_FILE, ERROR, odd, unreadable=True)]
        try:
            return load_registrations(self.con, path)
        except OSError as error:
            return [FileIssue(REGISTRATIONS_FILE, ERROR, f"fichier illisible : {unreadable(error)}",
                              unreadable=True)]

    def apply_users(self, users: dict[str, str]) -> None:
        """Steps 4 and 5, once the records are read: `users` maps each equipped practitioner to their
        declared situation."""
        self.con.execute(sql.practitioner_steps(users))

    # -- accounting ---------------------------------------------------------------------------------------

    def _find_repeats(self) -> None:
        """Steps 2 and 3: the repeated event_ids (once, before the evaluation moment is known)."""
        if not self._repeats_found:
            self.con.execute(sql.CREATE_REPEATS)
            self._repeats_found = True

    def latest_kept_ts(self) -> dt.datetime | None:
        """The latest `ts` among the records that pass steps 1 to 3: what the domain needs to decide the default
        evaluation moment (`domain.as_of.default_as_of`)."""
        self._find_repeats()
        row = self.con.execute(sql.LATEST_TS).fetchone()
        return row[0] if row else None

    def account(self, as_of: dt.datetime | None) -> tuple[dt.datetime | None, DataQuality]:
        """Steps 1 to 8 of SPEC §5 against the evaluation moment decided by the caller (None: no moment, nothing
        is after it). Returns that moment and the eight counts with their evidence; the file issues, which come
        from the source as well as from the store, are the caller's to add."""
        self._find_repeats()
        self.con.execute("INSERT INTO evaluation VALUES (?::TIMESTAMPTZ)",
                         [as_of or dt.datetime(9999, 12, 31, tzinfo=dt.UTC)])
        self.con.execute(sql.CREATE_ACCOUNTED)
        self.con.execute(sql.KEPT)
        self.con.execute(sql.USED)
        counts = dict.fromkeys(STEP_NAMES, 0)
        for step, count in self.con.execute(sql.COUNT_STEPS).fetchall():
            counts[step] = count
        return as_of, DataQuality(counts=counts, rejections=tuple(self._rejections()),
                                  conflicts=tuple(self._conflicts()))

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

    def rejection_rows(self) -> list[tuple[str, int, str]]:
        """Each rejected record as (file name, line, reason), in reading order."""
        rows = self.con.execute(sql.REJECTIONS).fetchall()
        lines = self._lines([(f, rid, ln) for f, rid, ln, _ in rows])
        return [(self.files[file_idx].name, lines[rid], reason) for file_idx, rid, _, reason in rows]

    def _rejections(self) -> Iterator[Any]:
        for name, line, reason in self.rejection_rows():
            yield describe_rejection(name, line, reason)

    def _conflicts(self) -> Iterator[dict[str, object]]:
        rows = self.con.execute(sql.CONFLICTS).fetchall()
        lines = self._lines([(r[1], r[2], r[3]) for r in rows] + [(r[4], r[5], r[6]) for r in rows])
        for event_id, file_idx, rid, _, first_idx, first_rid, _ in rows:
            yield {"event_id": event_id, "file": self.files[file_idx].name, "line": lines[rid],
                   "kept_file": self.files[first_idx].name, "kept_line": lines[first_rid]}

    # -- facts ----------------------------------------------------------------------------------------------

    def error_classes(self) -> dict[str, str]:
        """Each error class of the reference data and its SQL test on `http_status` (the first matching wins)."""
        return {c.name: self._class_test(c.statuses, c.ranges) for c in self.reference.error_classes}

    def fact_queries(self) -> dict[str, str]:
        """The queries of the facts per group (`facts_sql`), over `used` and `kept`, after `account`; the funnel's
        is the caller's (it differs with and without a registry extract)."""
        self.con.execute(facts_sql.LATEST_SNAPSHOTS)
        return {"weeks": facts_sql.prescription_weeks_select(list(self.reference.in_scope)),
                "operations": facts_sql.operations_select(self.error_classes()), "observed": facts_sql.OBSERVED,
                "with_snapshot": facts_sql.USERS_WITH_SNAPSHOT,
                "configurations": facts_sql.CREATE_CALL_CONFIGURATIONS}

    def facts(self, *, count_out_of_scope: bool, has_registrations: bool) -> TraceFacts:
        """The facts the criteria are judged on (after `account`)."""
        queries = {kind: facts_sql.chosen(kind, f"({query})", "grp = 0", count_out_of_scope=count_out_of_scope)
                   for kind, query in self.fact_queries().items()}
        queries["funnel"] = facts_sql.REGISTRATION_FUNNEL if has_registrations else facts_sql.REGISTERED_FROM_TRACES
        # One after the other: running them at once on several cursors was measured, and gained nothing
        # (DuckDB already spreads each query over both cores).
        rows = {name: self.con.execute(query).fetchall() for name, query in queries.items()}
        return trace_facts(rows, list(self.error_classes()), has_registrations=has_registrations)

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


def trace_facts(rows: dict[str, list[tuple[Any, ...]]], classes: list[str], *, has_registrations: bool) -> TraceFacts:
    """The facts from the rows of the queries `facts_sql.chosen` makes, and the funnel's (one row)."""
    if has_registrations:
        created, registered, rejected, unknown, orphans = rows["funnel"][0]
        registration = RegistrationFacts(created=created, registered=registered, source="registrations",
                                         rejected=rejected, unknown=unknown, orphans=orphans)
    else:
        created, registered = rows["funnel"][0]
        registration = RegistrationFacts(created=created, registered=registered, source="traces",
                                         rejected=None, unknown=None, orphans=0)
    operations = _operations(rows["operations"], classes)
    observed: dict[str, dict[str, int]] = {f: {} for f in facts_sql.SNAPSHOT_FIELDS}
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
