"""Consecutive JSON Lines files are read in one pass of the engine (reading_batches): the same assessment,
line numbers included, as reading them one by one, even with a damaged file, an empty one and gzipped ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from preserie.adapters import trace_files
from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.services import assess as assess_service
from preserie.services.assess import assess_folder
from preserie.simulate import write_pilot


def _one_by_one(files: list[trace_files.TraceFile]) -> list[list[trace_files.TraceFile]]:
    return [[trace_file] for trace_file in files]


def _both_ways(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Any], dict[str, Any]]:
    together = assess_folder(folder).result
    with monkeypatch.context() as patched:
        patched.setattr(assess_service, "reading_batches", _one_by_one)
        alone = assess_folder(folder).result
    return together, alone


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve trace files, JSON Lines plain and gzipped in turn, re-sent duplicates across files, and a record
    that breaks the contract (but not JSON) in the last plain file."""
    folder = tmp_path_factory.mktemp("batches") / "pilot"
    write_pilot(folder, seed=3, records=12_000, files=12, formats=("jsonl", "jsonl.gz"))
    later = sorted((folder / "traces").glob("*.jsonl"))[-1]
    lines = later.read_text(encoding="utf-8").splitlines(keepends=True)
    late = lines[0].replace('"ts":"', '"ts":"not a date').replace('"event_id":"', '"event_id":"late-')
    later.write_text("".join([*lines[:2], late, *lines[2:]]), encoding="utf-8")
    return folder


def test_a_batch_reads_like_files_one_by_one(pilot: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(trace_files.reading_batches(trace_files.discover(pilot)[0])) == 1
    one_by_one: list[str] = []
    read_alone = DuckdbTraceStore._load_json
    monkeypatch.setattr(DuckdbTraceStore, "_load_json",
                        lambda store, idx, f: one_by_one.append(f.name) or read_alone(store, idx, f))
    together = assess_folder(pilot).result
    assert one_by_one == []  # the batch was read in one pass
    with monkeypatch.context() as patched:
        patched.setattr(assess_service, "reading_batches", _one_by_one)
        alone = assess_folder(pilot).result
    assert len(one_by_one) == 12
    assert together == alone
    assert together["data_quality"]["duplicates"] > 0
    later = sorted((pilot / "traces").glob("*.jsonl"))[-1].name
    assert {"file": f"traces/{later}", "line": 3, "reason": "ts_not_iso"} in [
        {k: r[k] for k in ("file", "line", "reason")} for r in together["data_quality"]["rejections"]]


def test_a_damaged_file_in_a_batch_is_read_carefully_and_the_others_still_count(
        pilot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "pilot"
    folder.mkdir()
    for item in pilot.rglob("*"):
        if item.is_file():
            (folder / item.relative_to(pilot)).parent.mkdir(parents=True, exist_ok=True)
            (folder / item.relative_to(pilot)).write_bytes(item.read_bytes())
    traces = folder / "traces"
    plain = sorted(traces.glob("*.jsonl"))
    lines = plain[1].read_text(encoding="utf-8").splitlines(keepends=True)
    plain[1].write_text("".join([*lines[:5], '{"event_id": "broken", "ts": \n', *lines[5:]]), encoding="utf-8")
    (traces / (plain[2].name.removesuffix(".jsonl") + "-empty.jsonl")).write_bytes(b"")
    together, alone = _both_ways(folder, monkeypatch)
    assert together == alone
    rejections = together["data_quality"]["rejections"]
    assert {"file": f"traces/{plain[1].name}", "line": 6} in [{k: r[k] for k in ("file", "line")} for r in rejections]
    base, quality = assess_folder(pilot).result["data_quality"], together["data_quality"]
    assert (quality["events_read"], quality["rejected"], quality["used"]) == (
        base["events_read"] + 1, base["rejected"] + 1, base["used"])
    assert any(i["file"].endswith("-empty.jsonl") for i in quality["file_issues"])
