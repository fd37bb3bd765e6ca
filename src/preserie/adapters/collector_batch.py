"""The collector's batches checked by the assessment engine itself: the batches that arrive together are read as the
files of one `traces/` by `DuckdbTraceStore`, in one pass (the same reader, the same SPEC §5 step 1, one code path;
a batch the engine's fast reader refuses is read again alone, line by line, as a folder's damaged file is). Each
batch comes back with what the collector answers and indexes: its records, the lines step 1 rejects (and why), the
lines of another practitioner than its workstation's, and the digests of the others' events."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from preserie.adapters import trace_sql as sql
from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.trace_files import FileIssue, TraceFile, physical_lines
from preserie.domain.inputs import ERROR
from preserie.domain.reference import Reference

BATCH_MEMORY = "512MB"  # the batches of one pass: 32 MiB of JSON at most (services/collector_intake.py)


# A record's event as the collector's duplicates index keeps it (decision 0004): its key ("t", the second of its ts,
# part of md5(event_id): trace_sql.BATCH_RECORDS), the md5 of its event_id (the index's key before the ts came first)
# and the md5 of its other fields as the engine normalised them.
IndexedEvent = tuple[str, str, str]


@dataclass(frozen=True)
class CheckedBatch:
    records: int  # records read (blank lines are no records)
    rejected: list[tuple[int, str]]  # (physical line from 1, step 1's reason) of the records step 1 rejects
    foreign: list[tuple[int, str | None]]  # (line, practitioner) of valid records of another practitioner
    events: list[IndexedEvent]  # the others' events (those with an event_id), in order
    issues: list[FileIssue]  # the batch as a whole (not JSON Lines at all…)

    @property
    def unreadable(self) -> FileIssue | None:
        return next((issue for issue in self.issues if issue.level == ERROR), None)


_local = threading.local()  # one store per thread, cleared between passes


def _store(reference: Reference) -> DuckdbTraceStore:
    store: DuckdbTraceStore | None = getattr(_local, "store", None)
    if store is None or store.reference is not reference:
        store = _local.store = DuckdbTraceStore(reference, memory_limit=BATCH_MEMORY)
    return store


def check_batches(batches: Sequence[tuple[TraceFile, str]], reference: Reference) -> list[CheckedBatch]:
    """Read each (JSON Lines file, its workstation's practitioner) as the engine reads a pilot folder's trace files,
    all in one pass, in the order given."""
    if not batches:
        return []
    store = _store(reference)
    try:
        store.load_traces([trace_file for trace_file, _ in batches], lambda _: None)
        rows = store.con.execute(sql.BATCH_RECORDS).fetchall()
        issues = list(store.file_issues)
    finally:
        store.clear()
    by_file = {file_idx: list(found) for file_idx, found in itertools.groupby(rows, key=itemgetter(0))}
    return [_checked(trace_file, practitioner, by_file.get(file_idx, []),
                     [issue for issue in issues if issue.file == trace_file.name])
            for file_idx, (trace_file, practitioner) in enumerate(batches)]


def _checked(trace_file: TraceFile, practitioner: str, rows: list[tuple[Any, ...]], issues: list[FileIssue]
             ) -> CheckedBatch:
    """One file's rows of BATCH_RECORDS (in reading order: a record's rank in its file is its rowid less the
    file's first) as the collector needs them."""
    first = rows[0][1] if rows else 0
    refused = [(rid - first + 1, line, reason, named) for _, rid, line, reason, named, *_ in rows
               if reason is not None or named != practitioner]
    unknown = {ordinal for ordinal, line, *_ in refused if line is None}
    lines = physical_lines(trace_file, unknown) if unknown else {}
    located = [(line if line is not None else lines[ordinal], reason, named)
               for ordinal, line, reason, named in refused]
    return CheckedBatch(len(rows), [(line, reason) for line, reason, _ in located if reason is not None],
                        [(line, named) for line, reason, named in located if reason is None],
                        [(key, event, content) for _, _, _, reason, named, key, event, content in rows
                         if reason is None and named == practitioner and key is not None], issues)
