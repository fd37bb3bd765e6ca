"""A collector's batch checked by the assessment engine itself: the batch is read as a one-file `traces/` by
`DuckdbTraceStore` (the same reader, the same SPEC §5 step 1, one code path), then each record comes back with
its physical line, its step 1 reason, its practitioner and the digests the collector's index keeps."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from preserie.adapters import trace_sql as sql
from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.trace_files import FileIssue, TraceFile, physical_lines
from preserie.domain.inputs import ERROR
from preserie.domain.reference import Reference

BATCH_MEMORY = "512MB"  # a batch is 16 MiB at most


@dataclass(frozen=True)
class CheckedRecord:
    line: int  # physical line in the batch, from 1 (blank lines counted)
    reason: str | None  # step 1's reason code, None for a valid record
    practitioner: str | None
    event: str | None  # md5 of the event_id (None: no event_id)
    content: str  # md5 of the other fields, as the engine normalised them


@dataclass(frozen=True)
class CheckedBatch:
    records: list[CheckedRecord]
    issues: list[FileIssue]  # the batch as a whole (not JSON Lines at all…)

    @property
    def unreadable(self) -> FileIssue | None:
        return next((issue for issue in self.issues if issue.level == ERROR), None)


_local = threading.local()  # one store per thread, cleared between batches


def _store(reference: Reference) -> DuckdbTraceStore:
    store: DuckdbTraceStore | None = getattr(_local, "store", None)
    if store is None or store.reference is not reference:
        store = _local.store = DuckdbTraceStore(reference, memory_limit=BATCH_MEMORY)
    return store


def check_batch(path: Path, reference: Reference) -> CheckedBatch:
    """Read the JSON Lines file at `path` as the engine reads a pilot folder's trace file."""
    trace_file = TraceFile(path, "traces/batch.jsonl", "jsonl", False)
    store = _store(reference)
    try:
        store.load_traces([trace_file], lambda _: None)
        rows = store.con.execute(sql.BATCH_RECORDS).fetchall()
        issues = list(store.file_issues)
    finally:
        store.clear()
    unknown = {ordinal for ordinal, line, *_ in rows if line is None}
    lines = physical_lines(trace_file, unknown) if unknown else {}
    return CheckedBatch([CheckedRecord(line if line is not None else lines[ordinal], reason, practitioner, event,
                                       content)
                         for ordinal, line, reason, practitioner, event, content in rows], issues)
