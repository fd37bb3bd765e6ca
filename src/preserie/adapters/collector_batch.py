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

from preserie.adapters import trace_sql as sql
from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.trace_files import FileIssue, TraceFile, physical_lines
from preserie.domain.inputs import ERROR
from preserie.domain.reference import Reference

BATCH_MEMORY = "512MB"  # the batches of one pass: 32 MiB of JSON at most (services/collector_intake.py)


# A record's event as the collector's duplicates index keeps it (decision 0004): its key ("t", the second of its ts,
# part of md5(event_id): trace_sql._EVENT_KEY), the md5 of its event_id (the index's key before the ts came first)
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
    files = [trace_file for trace_file, _ in batches]
    expected = list(enumerate(practitioner for _, practitioner in batches))
    store = _store(reference)
    try:
        store.load_traces(files, lambda _: None)
        counts = dict(store.con.execute(sql.BATCH_COUNTS).fetchall())
        refused = store.con.execute(sql.batch_refused(expected)).fetchall()
        events = store.con.execute(sql.batch_events(expected)).fetchall()
        issues = list(store.file_issues)
    finally:
        store.clear()
    refused_by = {idx: list(rows) for idx, rows in itertools.groupby(refused, key=itemgetter(0))}
    events_by = {idx: [row[1:] for row in rows] for idx, rows in itertools.groupby(events, key=itemgetter(0))}
    checked = []
    for file_idx, trace_file in enumerate(files):
        rows = refused_by.get(file_idx, [])
        unknown = {ordinal for _, ordinal, line, *_ in rows if line is None}
        lines = physical_lines(trace_file, unknown) if unknown else {}
        located = [(line if line is not None else lines[ordinal], reason, practitioner)
                   for _, ordinal, line, reason, practitioner in rows]
        checked.append(CheckedBatch(
            counts.get(file_idx, 0), [(line, reason) for line, reason, _ in located if reason is not None],
            [(line, practitioner) for line, reason, practitioner in located if reason is None],
            events_by.get(file_idx, []), [issue for issue in issues if issue.file == trace_file.name]))
    return checked
