"""The service's trace store: append-only segments, named so that byte order is append order, never overwritten,
read back as the engine reads a pilot folder's `traces/` (decision 0003)."""

from __future__ import annotations

import gzip
import multiprocessing
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preserie.adapters.trace_files import discover
from preserie.adapters.trace_segments import SegmentStore, segment_origin
from preserie.domain.inputs import TraceFile

LINE = b'{"event_id":"e1","ts":"2025-01-13T09:00:00+01:00"}\n'


def test_a_segment_lands_in_the_hive_layout_named_by_its_sequence_and_origin(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    first = store.append("p-1", 1, LINE)
    second = store.append("p-1", 1, LINE + LINE, origin="poste 12/é")
    assert first == TraceFile(tmp_path / "pilot=p-1" / "phase=1" / "00000001-collector.jsonl",
                              "traces/00000001-collector.jsonl", "jsonl", False)
    assert second.name == "traces/00000002-poste_12__.jsonl"
    assert second.path.read_bytes() == LINE + LINE
    assert sorted(p.name for p in (tmp_path / "pilot=p-1" / "phase=1").iterdir()) == [
        ".append.lock", "00000001-collector.jsonl", "00000002-poste_12__.jsonl"]  # no temporary file left


def test_each_format_gets_its_format_and_compression(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    made = {suffix: store.append("p", 2, b"x", suffix=suffix) for suffix in (".jsonl", ".jsonl.gz", ".csv",
                                                                               ".parquet")}
    assert {s: (f.format, f.compressed) for s, f in made.items()} == {
        ".jsonl": ("jsonl", False), ".jsonl.gz": ("jsonl", True), ".csv": ("csv", False),
        ".parquet": ("parquet", False)}
    assert made[".jsonl.gz"].name == "traces/00000002-collector.jsonl.gz"


@pytest.mark.parametrize("key", ["", "P1", "p_1", "../x", "p 1", "p/1", "é", "a" * 65, "pilot=1"])
def test_a_pilot_key_outside_the_safe_alphabet_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="pilot key"):
        SegmentStore(tmp_path).append(key, 1, LINE)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("phase", [0, -1, True, 1.0, "1"])
def test_a_phase_is_an_integer_from_one(tmp_path: Path, phase: object) -> None:
    with pytest.raises(ValueError, match="phase"):
        SegmentStore(tmp_path).files("p", phase)  # type: ignore[arg-type]


def test_an_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="suffix"):
        SegmentStore(tmp_path).append("p", 1, LINE, suffix=".json")
    with pytest.raises(ValueError, match="expected a name ending"):
        SegmentStore(tmp_path).append_file("p", 1, tmp_path / "x.txt", origin="x")


def test_origins_are_cut_to_the_safe_alphabet_and_eighty_characters() -> None:
    assert segment_origin("2025-01_Poste.A") == "2025-01_Poste.A"
    assert segment_origin("a/b c:d") == "a_b_c_d"
    assert segment_origin("x" * 100) == "x" * 80
    assert segment_origin("") == "_"


def test_an_imported_file_is_copied_byte_for_byte_in_its_own_format(tmp_path: Path) -> None:
    source = tmp_path / "2025-01.jsonl.gz"
    source.write_bytes(gzip.compress(LINE * 3, mtime=0))
    imported = SegmentStore(tmp_path / "store").append_file("p", 1, source, origin="2025-01")
    assert imported.name == "traces/00000001-2025-01.jsonl.gz"
    assert (imported.format, imported.compressed) == ("jsonl", True)
    assert imported.path.read_bytes() == source.read_bytes()


def test_files_list_segments_in_append_order_and_skip_what_is_not_a_segment(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    appended = [store.append("p", 1, LINE, origin=origin) for origin in ("zz", "aa", "m")]
    folder = store.folder("p", 1)
    (folder / ".tmp-1-abc.jsonl").write_bytes(LINE)  # a writer that died before publishing
    (folder / "notes.txt").write_bytes(b"")
    (folder / "9-short.jsonl").write_bytes(LINE)
    assert store.files("p", 1) == appended
    assert store.files("p", 2) == [] and store.files("q", 1) == []


def test_a_name_taken_by_another_writer_is_never_overwritten(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    store.append("p", 1, LINE)
    squatter = store.folder("p", 1) / "00000002-collector.jsonl"
    squatter.write_bytes(b"theirs\n")  # as if written without the lock
    mine = store.append("p", 1, b"mine\n")
    assert squatter.read_bytes() == b"theirs\n"
    assert mine.name == "traces/00000003-collector.jsonl" and mine.path.read_bytes() == b"mine\n"


def test_segments_staged_together_are_named_in_their_order_with_nothing_left_behind(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    store.append("p", 1, LINE)
    staged = [store.stage("p", 1, LINE * n, origin=f"collector.{n}") for n in (1, 2, 3)] + [
        store.stage("q", 2, LINE, origin="collector.q")]
    store.rewrite(staged[1], LINE)  # before it is published, a staged segment may be written again
    assert len(store.files("p", 1)) == 1  # a staged segment is no segment yet
    published = store.publish(staged)
    assert [s.name for s in published] == ["traces/00000002-collector.1.jsonl", "traces/00000003-collector.2.jsonl",
                                           "traces/00000004-collector.3.jsonl", "traces/00000001-collector.q.jsonl"]
    assert [s.path.read_bytes() for s in published] == [LINE, LINE, LINE * 3, LINE]
    assert store.files("p", 1)[1:] == published[:3]
    assert not [p for p in tmp_path.rglob(".tmp-*")]


def test_a_publication_that_fails_names_none_of_its_segments(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import preserie.adapters.trace_segments as segments

    store, real_link, linked = SegmentStore(tmp_path), segments._link, []

    def link_twice(staged: segments.StagedSegment, sequence: int) -> int:
        if linked:
            raise OSError("disque plein")
        linked.append(sequence)
        return real_link(staged, sequence)

    monkeypatch.setattr(segments, "_link", link_twice)
    with pytest.raises(OSError, match="disque plein"):
        store.publish([store.stage("p", 1, LINE), store.stage("p", 1, LINE)])
    assert linked == [1] and store.files("p", 1) == [] and not [p for p in tmp_path.rglob(".tmp-*")]


def test_phases_are_the_phase_folders_in_numeric_order(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    for phase in (10, 2, 1):
        store.append("p", phase, LINE)
    (tmp_path / "pilot=p" / "phase=01").mkdir()
    (tmp_path / "pilot=p" / "phase=x").mkdir()
    assert store.phases("p") == [1, 2, 10]
    assert store.phases("q") == []


def test_an_export_is_read_like_the_store_under_the_same_names(tmp_path: Path) -> None:
    store = SegmentStore(tmp_path / "store")
    for number in range(12):  # past 9 and 10: names must sort in byte order as in number order
        store.append("p", 1, LINE, suffix=(".jsonl", ".csv")[number % 2], origin=f"b{number}")
    exported = store.export("p", 1, tmp_path / "folder" / "traces")
    found, issues = discover(tmp_path / "folder")
    assert issues == []
    assert [(f.name, f.format, f.compressed) for f in found] == [
        (f.name, f.format, f.compressed) for f in store.files("p", 1)] == [
        (f.name, f.format, f.compressed) for f in exported]
    assert all(f.path.read_bytes() == s.path.read_bytes() for f, s in zip(found, store.files("p", 1), strict=True))


def _append_many(root: Path, origin: str, count: int) -> None:
    store = SegmentStore(root)
    for number in range(count):
        store.append("p", 1, f"{origin} {number}\n".encode(), origin=origin)


def test_two_processes_appending_at_once_lose_nothing_and_keep_each_their_order(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter each, as two services would be
    workers = [context.Process(target=_append_many, args=(tmp_path, origin, 200)) for origin in ("a", "b")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    segments = SegmentStore(tmp_path).files("p", 1)
    assert [int(f.path.name[:8]) for f in segments] == list(range(1, 401))  # no number twice, no gap
    contents = [f.path.read_text() for f in segments]
    for origin in ("a", "b"):
        own = [text for text in contents if text.startswith(origin)]
        assert own == [f"{origin} {n}\n" for n in range(200)]
        assert all(f.path.name.endswith(f"-{origin}.jsonl") for f, text in zip(segments, contents, strict=True)
                   if text.startswith(origin))
    assert not [n for n in os.listdir(SegmentStore(tmp_path).folder("p", 1)) if n.startswith(".tmp-")]


@settings(max_examples=40, deadline=None)
@given(batches=st.lists(st.tuples(st.binary(max_size=40), st.sampled_from([".jsonl", ".jsonl.gz", ".csv"]),
                                  st.text(max_size=90)), min_size=1, max_size=15))
def test_what_is_appended_is_read_back_in_order_byte_for_byte(tmp_path_factory: pytest.TempPathFactory,
                                                               batches: list[tuple[bytes, str, str]]) -> None:
    store = SegmentStore(tmp_path_factory.mktemp("store"))
    for data, suffix, origin in batches:
        store.append("p", 1, data, suffix=suffix, origin=origin)
    read = store.files("p", 1)
    assert [(f.path.read_bytes(), f.name.endswith(s)) for f, (_, s, _) in zip(read, batches, strict=True)] == [
        (data, True) for data, _, _ in batches]
    names = [f.name for f in read]
    assert names == sorted(names, key=os.fsencode) and len(set(names)) == len(names)
    assert all(len(f.path.name) <= 8 + 1 + 80 + len(".jsonl.gz") for f in read)


def test_the_listing_token_moves_with_every_new_segment_and_is_withheld_while_the_folder_is_fresh(
        tmp_path: Path) -> None:
    store = SegmentStore(tmp_path)
    assert store.listing_token("p", 1) == "absent"
    store.append("p", 1, LINE)
    assert store.listing_token("p", 1) is None  # changed just now: a change in the same clock tick could hide
    folder = store.folder("p", 1)
    past = folder.stat().st_mtime_ns - 60 * 10**9
    os.utime(folder, ns=(past, past))  # a folder left alone for a minute
    settled = store.listing_token("p", 1)
    assert settled is not None and settled == store.listing_token("p", 1)
    store.append("p", 1, LINE)
    assert store.listing_token("p", 1, settled_ns=0) not in (None, settled)


def test_the_listing_digest_lists_a_settled_folder_once_and_changes_with_a_new_segment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SegmentStore(tmp_path)
    store.append("p", 1, LINE)
    listed = []
    listdir = os.listdir  # the folder's listing, counted (files() and listing_digest() share it)
    monkeypatch.setattr(os, "listdir", lambda *a: listed.append(a) or listdir(*a))
    fresh = store.listing_digest("p", 1)
    assert store.listing_digest("p", 1) == fresh and len(listed) == 2  # just changed: listed every time
    folder = store.folder("p", 1)
    past = folder.stat().st_mtime_ns - 60 * 10**9
    os.utime(folder, ns=(past, past))
    assert store.listing_digest("p", 1) == fresh == store.listing_digest("p", 1) and len(listed) == 3  # once
    store.append("p", 1, LINE)
    appended = len(listed)  # the append lists the folder for its next number
    assert store.listing_digest("p", 1) != fresh and len(listed) == appended + 1
