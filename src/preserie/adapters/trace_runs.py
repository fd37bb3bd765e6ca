"""Parsed runs: a pilot's trace segments read once by the engine and kept as the rows it made of them (issue 11:
« the store keeps records parsed, so a re-assessment never parses JSON again »).

A run covers a contiguous stretch of a phase's segments, in reading order. It is one Parquet file of the engine's
`records` rows (step 1 applied: each row with its reason, if rejected, and its place in its file) and a sidecar
(JSON) naming its members and the file problems met reading them; the sidecar is written last, so a run without
one was never finished and is ignored. Both live under `_parsed/` beside the segments, a folder Spark skips.
Runs are made as segments come (`compact`) and merged by size tiers (`merge`), each a new file: nothing a reader
may be reading is ever changed. A run whose members are not exactly a stretch of today's segments is not used:
the segments themselves are the truth, the runs only a faster way to read them.

Merging by tiers: a run's tier is the base-8 logarithm of the records it holds. Once the newest runs of the newest
one's tier (or smaller) are FANOUT, they become one run, of the next tier, and the larger runs before them are
left as they are. A record is thus written again about once a tier (some 5 times from 1,000 to 10 M records),
where merging every run at once wrote the whole phase again every few batches (4.1 s a merge at 10 M records,
measured by `benchmarks/collected_assess.py`'s pilot). Runs another run has replaced are removed once they have
been replaced for GRACE_SECONDS (a bilan that listed them before may still be reading them).
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.trace_files import TraceFile
from preserie.adapters.trace_sql import NOT_HIVE, literal
from preserie.domain.inputs import FileIssue, ParsedRun
from preserie.domain.reference import Reference

RUNS = "_parsed"
FANOUT = 8  # runs of one tier merged into one once they are this many
MAX_RUNS = 64  # beyond (runs of ever larger batches), `merge` makes one of them all
GRACE_SECONDS = 3600  # a replaced run is removed once replaced this long


def _quiet(_: str) -> None:
    """No one to tell."""


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def runs(folder: Path, segments: Sequence[TraceFile]) -> list[ParsedRun]:
    """The finished runs of a phase's folder that still match its segments, in reading order, not overlapping."""
    return _chosen(_finished(folder, segments), [s.name for s in segments])


def _finished(folder: Path, segments: Sequence[TraceFile]) -> list[ParsedRun]:
    """Every finished run of the folder whose members are all among ``segments``, used or replaced, each with the
    records it holds (for a run written before its sidecar counted them, its Parquet file's own count)."""
    directory = folder / RUNS
    by_name = {s.name: s for s in segments}
    found = []
    for sidecar in sorted(directory.glob("run-*.json")) if directory.is_dir() else []:
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            members = tuple(by_name[name] for name in meta["members"])
            issues = tuple(FileIssue(**issue) for issue in meta["issues"])
            records = meta.get("records")
            if not isinstance(records, int):
                records = pq.read_metadata(sidecar.with_suffix(".parquet")).num_rows
        except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
            continue  # unfinished, damaged, or about segments no longer there: read the segments instead
        found.append(ParsedRun(sidecar.with_suffix(".parquet"), members, issues, records))
    return found


def _chosen(candidates: list[ParsedRun], order: list[str]) -> list[ParsedRun]:
    """The longest runs first, each a contiguous stretch of ``order``, none overlapping another."""
    position = {name: i for i, name in enumerate(order)}
    taken: set[int] = set()
    chosen = []
    for run in sorted(candidates, key=lambda r: -len(r.members)):
        places = [position[m.name] for m in run.members]
        if places != list(range(places[0], places[0] + len(places))) or taken & set(places):
            continue
        taken |= set(places)
        chosen.append(run)
    return sorted(chosen, key=lambda r: position[r.members[0].name])


def reading_list(folder: Path, segments: Sequence[TraceFile],
                 found: Sequence[ParsedRun] | None = None) -> list[TraceFile | ParsedRun]:
    """The phase's traces as the engine should read them: runs where there are (``found``, else those on disk),
    segments elsewhere."""
    covered = {m.name: run for run in (runs(folder, segments) if found is None else found) for m in run.members}
    items: list[TraceFile | ParsedRun] = []
    for segment in segments:
        run = covered.get(segment.name)
        if run is None:
            items.append(segment)
        elif run.members[0].name == segment.name:
            items.append(run)
    return items


def prepare(folder: Path, segments: Sequence[TraceFile], reference: Reference) -> list[TraceFile | ParsedRun]:
    """What an assessment reads: the newest segments compacted into a run, the runs merged by tiers, the runs
    replaced long enough removed, and the reading list; the sidecars read once."""
    order = [s.name for s in segments]
    every = _finished(folder, segments)
    found = _chosen(every, order)
    made = compact(folder, segments, reference, found)
    if made is not None:
        every.append(made)
        found = _chosen([*found, made], order)
    while (merged := merge(folder, segments, reference, found=found)) is not None:
        every.append(merged)
        found = _chosen([*found, merged], order)
    prune(found, every)
    return reading_list(folder, segments, found)


def tier(run: ParsedRun) -> int:
    """The run's size tier: the base-8 logarithm of the records it holds, rounded down."""
    return (run.records or 0).bit_length() // 3


def compact(folder: Path, segments: Sequence[TraceFile], reference: Reference,
            found: Sequence[ParsedRun] | None = None) -> ParsedRun | None:
    """Read the segments no run covers yet (the newest stretch) into a new run; None when there are none."""
    items = reading_list(folder, segments, found)
    tail: list[TraceFile] = []
    for item in reversed(items):
        if isinstance(item, ParsedRun):
            break
        tail.insert(0, item)
    if not tail:
        return None
    with DuckdbTraceStore(reference) as store:
        store.load_traces(tail, _quiet)
        issues = store.file_issues
        return _publish(folder, store, tail, issues, "SELECT file_idx AS rel_idx, * EXCLUDE (file_idx) FROM records "
                                                     "ORDER BY rowid")


def merge(folder: Path, segments: Sequence[TraceFile], reference: Reference, *, at_most: int = MAX_RUNS,
          fanout: int = FANOUT, found: Sequence[ParsedRun] | None = None) -> ParsedRun | None:
    """Make one run (Parquet to Parquet, nothing parsed) of the newest runs of the newest one's tier or smaller
    once they are ``fanout``, or of every run once they are more than ``at_most``: the new run, or None."""
    chosen = list(runs(folder, segments) if found is None else found)
    if len(chosen) > at_most:
        merged = chosen
    else:
        tiers = [tier(run) for run in chosen]
        newest = next((n for n, t in enumerate(reversed(tiers)) if t > tiers[-1]), len(tiers))
        if newest < max(fanout, 2):
            return None
        merged = chosen[-newest:]
    order = {s.name: i for i, s in enumerate(segments)}
    if any(order[b.members[0].name] != order[a.members[-1].name] + 1 for a, b in itertools.pairwise(merged)):
        return None  # a gap between runs (segments not compacted yet): merged once they are
    parts, offset = [], 0
    for run in merged:
        parts.append(f"SELECT rel_idx + {offset} AS rel_idx, * EXCLUDE (rel_idx) "
                     f"FROM read_parquet({literal(str(run.path))}{NOT_HIVE})")
        offset += len(run.members)
    members = [m for run in merged for m in run.members]
    with DuckdbTraceStore(reference) as store:
        return _publish(folder, store, members, [i for run in merged for i in run.issues], " UNION ALL ".join(parts))


def prune(found: Sequence[ParsedRun], every: Sequence[ParsedRun], *, grace: float = GRACE_SECONDS) -> list[Path]:
    """Remove the runs of ``every`` (the folder's finished runs, `_finished`) whose members the runs in use
    (``found``) all cover, once the newest of those that cover them has stood for ``grace`` seconds: the removed
    runs' files (sidecar first: a run without one is not read)."""
    covering = {m.name: run for run in found for m in run.members}
    in_use = {run.path for run in found}
    removed = []
    for run in every:
        if run.path in in_use or any(m.name not in covering for m in run.members):
            continue
        try:
            replaced_at = max(_sidecar(covering[m.name].path).stat().st_mtime for m in run.members)
        except OSError:
            continue
        if time.time() - replaced_at < grace:
            continue
        _sidecar(run.path).unlink(missing_ok=True)
        run.path.unlink(missing_ok=True)
        removed.append(run.path)
    return removed


def _publish(folder: Path, store: DuckdbTraceStore, members: Sequence[TraceFile], issues: Sequence[FileIssue],
             query: str) -> ParsedRun:
    """Write the run's Parquet file, then its sidecar: a run exists once its sidecar does."""
    directory = folder / RUNS
    directory.mkdir(exist_ok=True)
    stem = f"run-{members[0].path.name.split('-', 1)[0]}-{members[-1].path.name.split('-', 1)[0]}-{len(members)}"
    path = directory / f"{stem}.parquet"
    temporary = directory / f".tmp-{secrets.token_hex(6)}.parquet"
    counted = store.con.execute(f"COPY ({query}) TO {literal(str(temporary))} (FORMAT parquet, COMPRESSION zstd)"
                                ).fetchone()  # the engine answers a copy with the rows it wrote
    records = int(counted[0]) if counted else 0
    os.replace(temporary, path)
    meta = {"members": [m.name for m in members], "issues": [i.__dict__ for i in issues], "records": records}
    sidecar_tmp = directory / f".tmp-{secrets.token_hex(6)}.json"
    sidecar_tmp.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(sidecar_tmp, _sidecar(path))
    return ParsedRun(path, tuple(members), tuple(issues), records)
