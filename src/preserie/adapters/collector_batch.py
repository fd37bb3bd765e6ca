"""The collector's batches checked by the assessment engine itself: the batches that arrive together are read as the
files of one `traces/` by `DuckdbTraceStore`, in one pass (the same reader, the same SPEC §5 step 1, one code path;
a batch the engine's fast reader refuses is read again alone, line by line, as a folder's damaged file is). Each
batch comes back with what the collector answers and indexes: its records, the lines step 1 rejects (and why), the
lines of another practitioner than its workstation's, and the keys of the others' events."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy

from preserie.adapters import trace_sql as sql
from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.trace_files import FileIssue, TraceFile, physical_lines
from preserie.domain.inputs import ERROR
from preserie.domain.reference import Reference

BATCH_MEMORY = "512MB"  # the batches of one pass: 32 MiB of JSON at most (services/collector_intake.py)
KEY_WIDTH = 3  # an event's key in the collector's duplicates index: (second of its ts, event, content)


@dataclass(frozen=True)
class CheckedBatch:
    records: int  # records read (blank lines are no records)
    rejected: list[tuple[int, str]]  # (physical line from 1, step 1's reason) of the records step 1 rejects
    foreign: list[tuple[int, str | None]]  # (line, practitioner) of valid records of another practitioner
    # The others' events (those with an event_id), in order, as the duplicates index keys them (decision 0004:
    # trace_sql.batch_keys): KEY_WIDTH integers an event, one after the other, as the index's statement takes them.
    keys: list[int]
    issues: list[FileIssue]  # the batch as a whole (not JSON Lines at all…)
    # asked for a pilot whose index holds rows of before migration 0006: each event's content as digested then
    legacy_contents: list[int] = field(default_factory=list)

    @property
    def events(self) -> int:
        return len(self.keys) // KEY_WIDTH

    def key_triples(self) -> list[tuple[int, int, int]]:
        """Each event's (second, event, content)."""
        columns = [self.keys[n::KEY_WIDTH] for n in range(KEY_WIDTH)]
        return list(zip(*columns, strict=True))

    @property
    def unreadable(self) -> FileIssue | None:
        return next((issue for issue in self.issues if issue.level == ERROR), None)


_local = threading.local()  # one store per thread, cleared between passes


def _store(reference: Reference) -> DuckdbTraceStore:
    store: DuckdbTraceStore | None = getattr(_local, "store", None)
    if store is None or store.reference is not reference:
        store = _local.store = DuckdbTraceStore(reference, memory_limit=BATCH_MEMORY)
    return store


def engine_threads(reference: Reference, threads: int) -> None:
    """Let this thread's engine (the one its checks use) run on `threads` threads."""
    _store(reference).con.execute(f"SET threads = {int(threads)}")


def check_batches(batches: Sequence[tuple[TraceFile, str]], reference: Reference,
                  legacy: Collection[int] = ()) -> list[CheckedBatch]:
    """Read each (JSON Lines file, its workstation's practitioner) as the engine reads a pilot folder's trace files,
    all in one pass, in the order given; `legacy`: the positions of the batches whose events' contents are wanted as
    the index digested them before migration 0006 too (`legacy_contents`)."""
    if not batches:
        return []
    store = _store(reference)
    owners = {file_idx: practitioner for file_idx, (_, practitioner) in enumerate(batches)}
    try:
        store.load_traces([trace_file for trace_file, _ in batches], lambda _: None)
        files = {file_idx: (first, count) for file_idx, first, count in store.con.execute(sql.BATCH_FILES).fetchall()}
        refused = store.con.execute(sql.batch_refused(owners)).fetchall()
        keys = store.con.execute(sql.batch_keys(owners, frozenset(legacy))).fetchnumpy()
        issues = list(store.file_issues)
    finally:
        store.clear()
    by_file = {file_idx: list(found) for file_idx, found in itertools.groupby(refused, key=itemgetter(0))}
    # each file's keys: a slice of the columns (they come in reading order, so file by file)
    bounds = numpy.searchsorted(keys["file_idx"], numpy.arange(len(batches) + 1), side="left")
    flat = numpy.column_stack([keys["ts"], keys["event"], keys["content"]]).astype(numpy.int64)
    old = keys["legacy"]
    return [_checked(trace_file, practitioner, files.get(file_idx, (0, 0)), by_file.get(file_idx, []),
                     flat[bounds[file_idx]:bounds[file_idx + 1]].ravel().tolist(),
                     [issue for issue in issues if issue.file == trace_file.name],
                     old[bounds[file_idx]:bounds[file_idx + 1]].astype(numpy.int64).tolist()
                     if file_idx in legacy else [])
            for file_idx, (trace_file, practitioner) in enumerate(batches)]


def _checked(trace_file: TraceFile, practitioner: str, file: tuple[int, int], refused_rows: list[tuple[Any, ...]],
             keys: list[int], issues: list[FileIssue], legacy_contents: list[int]) -> CheckedBatch:
    """One file's rows of batch_refused as the collector needs them (in reading order: a record's rank in its file
    is its rowid less the file's first)."""
    first, count = file
    refused = [(rid - first + 1, line, reason, named) for _, rid, line, reason, named in refused_rows]
    unknown = {ordinal for ordinal, line, *_ in refused if line is None}
    lines = physical_lines(trace_file, unknown) if unknown else {}
    located = [(line if line is not None else lines[ordinal], reason, named)
               for ordinal, line, reason, named in refused]
    return CheckedBatch(count, [(line, reason) for line, reason, _ in located if reason is not None],
                        [(line, named) for line, reason, named in located if reason is None], keys, issues,
                        legacy_contents)
