"""Parsed runs (issue 11): a phase's segments read once and kept as the engine's rows are assessed exactly as the
segments themselves, whatever the runs cover (all, a head and a tail of raw segments, runs merged), with the same
names and lines in every rejection, conflict and file problem; a run that no longer matches is not used."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preserie.adapters import trace_runs
from preserie.adapters.folder_source import FolderPilotSource
from preserie.adapters.trace_files import FORMATS, discover
from preserie.adapters.trace_segments import SegmentStore
from preserie.data import load_reference
from preserie.domain.inputs import FileIssue, ParsedRun, TraceFile
from preserie.services.assess import assess_pilot

CASES = Path(__file__).parents[1] / "cases"
AS_OF = dt.datetime(2025, 3, 3, 23, 59, tzinfo=dt.UTC)
TRACED = ["nominal", "rejected_records", "duplicates_conflicts_two_formats", "unknown_practitioner_and_out_of_scope",
          "multi_activity"]


class RunsSource(FolderPilotSource):
    """A folder's declaration and side files, with a segment store's phase read through its runs (or not)."""

    def __init__(self, folder: Path, store: SegmentStore, *, with_runs: bool) -> None:
        super().__init__(folder)
        self.store, self.with_runs = store, with_runs

    def trace_files(self) -> tuple[Sequence[TraceFile | ParsedRun], Sequence[FileIssue]]:  # type: ignore[override]
        segments = self.store.files("p", 1)
        if not self.with_runs:
            return segments, ()
        return trace_runs.reading_list(self.store.folder("p", 1), segments), ()


Batch = tuple[str, bytes | Path]  # (origin, lines to append) or (origin, a file of another format, whole)


def _batches(case: str, cuts: Callable[[int], Iterable[int]]) -> list[Batch]:
    """The case's trace files as batches, in reading order: each JSON Lines file cut where ``cuts`` (of its number
    of lines) says, any other file whole."""
    batches: list[Batch] = []
    for trace_file in discover(CASES / case)[0]:
        suffix = next(s for s in FORMATS if trace_file.name.endswith(s))
        if suffix != ".jsonl":
            batches.append((trace_file.path.name.removesuffix(suffix), trace_file.path))
            continue
        raw = trace_file.path.read_bytes().splitlines(keepends=True)
        edges = sorted({0, len(raw), *cuts(len(raw))})
        batches += [("", b"".join(raw[a:b])) for a, b in itertools.pairwise(edges) if b > a]
    return batches


def _append(store: SegmentStore, batch: Batch) -> None:
    origin, content = batch
    if isinstance(content, Path):
        store.append_file("p", 1, content, origin=origin)
    else:
        store.append("p", 1, content)


def _segments(case: str, store: SegmentStore, lines_per_segment: int = 5) -> None:
    """The case's trace files cut into small segments, as a collector would store them (other formats verbatim)."""
    for batch in _batches(case, lambda lines: range(0, lines, lines_per_segment)):
        _append(store, batch)


def _assess(case: str, store: SegmentStore, *, with_runs: bool) -> dict[str, object]:
    return assess_pilot(RunsSource(CASES / case, store, with_runs=with_runs), as_of=AS_OF).result


@pytest.mark.parametrize("case", TRACED)
def test_runs_are_assessed_exactly_as_their_segments(tmp_path: Path, case: str) -> None:
    store = SegmentStore(tmp_path / "store")
    _segments(case, store)
    expected = _assess(case, store, with_runs=False)
    folder, reference = store.folder("p", 1), load_reference()
    segments = store.files("p", 1)
    half = len(segments) // 2
    assert trace_runs.compact(folder, segments[:half], reference) is not None  # a head
    assert _assess(case, store, with_runs=True) == expected  # a run, then raw segments
    assert trace_runs.compact(folder, segments, reference) is not None  # the rest
    assert [len(r.members) for r in trace_runs.runs(folder, segments)] == [half, len(segments) - half]
    assert _assess(case, store, with_runs=True) == expected
    trace_runs.merge(folder, segments, reference, at_most=1)
    assert [len(r.members) for r in trace_runs.runs(folder, segments)] == [len(segments)]
    assert _assess(case, store, with_runs=True) == expected
    assert trace_runs.compact(folder, segments, reference) is None  # nothing left to read


def test_a_run_that_no_longer_matches_the_segments_is_not_used(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path / "store")
    _segments("rejected_records", store)
    folder, segments = store.folder("p", 1), store.files("p", 1)
    trace_runs.compact(folder, segments, load_reference())
    assert trace_runs.runs(folder, segments[1:]) == []  # a member gone: the run is not a stretch of these
    (next((folder / trace_runs.RUNS).glob("*.json"))).write_text("{", encoding="utf-8")
    assert trace_runs.runs(folder, segments) == []  # a damaged sidecar: the segments are read instead


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 40), min_size=1, max_size=4), size=st.integers(1, 9))
def test_any_runs_over_any_segments_give_the_same_bilan(tmp_path_factory: pytest.TempPathFactory, cuts: list[int],
                                                        size: int) -> None:
    store = SegmentStore(tmp_path_factory.mktemp("store"))
    _segments("duplicates_conflicts_two_formats", store, lines_per_segment=size)
    expected = _assess("duplicates_conflicts_two_formats", store, with_runs=False)
    folder, segments = store.folder("p", 1), store.files("p", 1)
    for cut in sorted(cuts):
        trace_runs.compact(folder, segments[:min(cut, len(segments))], load_reference())
    assert _assess("duplicates_conflicts_two_formats", store, with_runs=True) == expected


def test_prepare_compacts_the_new_segments_merges_and_lists_what_to_read(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path / "store")
    _segments("rejected_records", store)
    folder, reference = store.folder("p", 1), load_reference()
    first = trace_runs.prepare(folder, store.files("p", 1), reference)
    assert len(first) == 1 and isinstance(first[0], ParsedRun)  # every segment in one run
    store.append("p", 1, (CASES / "nominal" / "traces").glob("*.jsonl").__next__().read_bytes())
    second = trace_runs.prepare(folder, store.files("p", 1), reference)
    assert [len(r.members) for r in second if isinstance(r, ParsedRun)] == [len(first[0].members), 1]
    assert trace_runs.prepare(folder, store.files("p", 1), reference) == second  # nothing new: nothing made


def test_runs_are_merged_by_tiers_so_a_record_is_written_again_a_few_times_only(tmp_path: Path) -> None:
    """Segments arriving one by one, each prepared as the service does: the first segment's records are rewritten
    about once a tier (merging every run at once, every FANOUT batches, rewrote them some 20 times here), the
    runs stay few, and the bilan is the segments' own."""
    store = SegmentStore(tmp_path / "store")
    folder, reference = store.folder("p", 1), load_reference()
    raw = (CASES / "nominal" / "traces" / "2025-01.jsonl").read_bytes().splitlines(keepends=True)
    holding_first: set[Path] = set()
    most_runs = 0
    for line in raw:
        store.append("p", 1, line)
        items = trace_runs.prepare(folder, store.files("p", 1), reference)
        found = [item for item in items if isinstance(item, ParsedRun)]
        assert found and len(found) == len(items)  # every segment read through a run
        holding_first.add(found[0].path)
        most_runs = max(most_runs, len(found))
        assert list(map(trace_runs.tier, found)) == sorted(map(trace_runs.tier, found), reverse=True)
    tiers = len(raw).bit_length() // 3 + 1
    assert len(holding_first) <= tiers + 1  # made once, then merged once a tier
    assert most_runs <= tiers * (trace_runs.FANOUT - 1) + 1
    assert _assess("nominal", store, with_runs=True) == _assess("nominal", store, with_runs=False)


def test_a_big_run_is_left_alone_while_the_small_ones_after_it_merge(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path / "store")
    _segments("nominal", store, lines_per_segment=100)  # one big segment of 100 records, one of 55
    folder, reference = store.folder("p", 1), load_reference()
    big = trace_runs.compact(folder, store.files("p", 1), reference)
    assert big is not None and big.records == 155
    for line in (CASES / "multi_activity" / "traces" / "2025-01.jsonl").read_bytes().splitlines(keepends=True)[:9]:
        store.append("p", 1, line)
        trace_runs.compact(folder, store.files("p", 1), reference)
    segments = store.files("p", 1)
    merged = trace_runs.merge(folder, segments, reference)
    assert merged is not None and merged.records == 9 and merged.members == tuple(segments[-9:])
    assert [r.path for r in trace_runs.runs(folder, segments)] == [big.path, merged.path]


def test_runs_replaced_are_removed_once_replaced_long_enough(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path / "store")
    _segments("duplicates_conflicts_two_formats", store, lines_per_segment=3)
    folder, reference = store.folder("p", 1), load_reference()
    segments = store.files("p", 1)
    expected = _assess("duplicates_conflicts_two_formats", store, with_runs=False)
    for cut in (5, 10, len(segments)):
        trace_runs.compact(folder, segments[:cut], reference)
    merged = trace_runs.merge(folder, segments, reference, at_most=1)
    assert merged is not None
    parsed = folder / trace_runs.RUNS
    assert len(list(parsed.glob("run-*.parquet"))) == 4
    every = trace_runs._finished(folder, segments)
    assert trace_runs.prune([merged], every) == []  # replaced just now: a bilan may still be reading them
    removed = trace_runs.prune([merged], every, grace=0)
    assert len(removed) == 3 and not any(path.exists() or path.with_suffix(".json").exists() for path in removed)
    assert sorted(parsed.glob("run-*.parquet")) == [merged.path]
    assert _assess("duplicates_conflicts_two_formats", store, with_runs=True) == expected
