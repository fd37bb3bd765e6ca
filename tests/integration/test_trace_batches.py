"""Consecutive trace files the engine can read alike are read in one pass (DuckdbTraceLoader.load_traces): the same
assessment, line numbers included, as reading them one by one; a damaged file in a group falls back to being read
alone, carefully, with its line; an empty file in a group is only reported."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from preserie.adapters import trace_files
from preserie.adapters.trace_loader import DuckdbTraceLoader
from preserie.services.assess import assess_folder
from preserie.simulate import write_pilot

LATE = "late-0001"  # a record that breaks the contract (ts) but not its file's format, in the last file


def _late_jsonl(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    late = lines[0].replace('"ts":"', '"ts":"not a date').replace('"event_id":"', f'"event_id":"{LATE}')
    path.write_text("".join([*lines[:2], late, *lines[2:]]), encoding="utf-8")
    return 3


def _late_csv(path: Path) -> int:
    header, first, *rest = path.read_text(encoding="utf-8").splitlines(keepends=True)
    tail = first.split(",", 2)[2]  # after event_id and ts
    path.write_text("".join([header, first, f"{LATE},not a date,{tail}", *rest]), encoding="utf-8")
    return 3  # the header is line 1


def _late_parquet(path: Path) -> int:
    table = pq.read_table(path)
    late = table.slice(0, 1).to_pylist()[0] | {"event_id": LATE, "ts": "not a date"}
    rows = table.to_pylist()
    pq.write_table(pa.Table.from_pylist([*rows[:2], late, *rows[2:]], schema=table.schema), path)
    return 3  # a Parquet record's line is its rank


FORMATS: dict[str, tuple[tuple[str, ...], str, Callable[[Path], int]]] = {
    "jsonl": (("jsonl", "jsonl.gz"), "*.jsonl", _late_jsonl),
    "csv": (("csv",), "*.csv", _late_csv),
    "parquet": (("parquet",), "*.parquet", _late_parquet),
}


@pytest.fixture(scope="module", params=sorted(FORMATS))
def pilot(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """Twelve trace files of one kind (JSON Lines: plain and gzipped in turn), re-sent duplicates across files,
    and the late record in the last file; with the late record's file and line."""
    formats, pattern, add_late = FORMATS[request.param]
    folder = tmp_path_factory.mktemp(f"batches-{request.param}") / "pilot"
    write_pilot(folder, seed=3, records=12_000, files=12, formats=formats)
    last = sorted((folder / "traces").glob(pattern))[-1]
    return folder, f"traces/{last.name}", add_late(last)


def _alone(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """The assessment with each trace file read by a load of its own, so never with another."""
    load = DuckdbTraceLoader.load_traces

    def one_by_one(loader: DuckdbTraceLoader, files: list[trace_files.TraceFile], *args: Any, **kwargs: Any) -> None:
        for trace_file in files:
            load(loader, [trace_file], *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(DuckdbTraceLoader, "load_traces", one_by_one)
        return assess_folder(folder).result


def test_a_group_reads_like_files_one_by_one(pilot: tuple[Path, str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    folder, late_file, late_line = pilot
    assert len({f.format for f in trace_files.discover(folder)[0]}) == 1  # files that read alike
    together_sql: list[str] = []
    validate = DuckdbTraceLoader._validate_into_records
    monkeypatch.setattr(DuckdbTraceLoader, "_validate_into_records",
                        lambda store, source: together_sql.append(source) or validate(store, source))
    together = assess_folder(folder).result
    assert len(together_sql) == 1 and "filename = true" in together_sql[0]  # one pass over the twelve files
    assert together == _alone(folder, monkeypatch)
    quality = together["data_quality"]
    assert quality["duplicates"] > 0
    assert {"file": late_file, "line": late_line, "reason": "ts_not_iso"} in [
        {k: r[k] for k in ("file", "line", "reason")} for r in quality["rejections"]]


def _damage_jsonl(path: Path) -> int | None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:5], '{"event_id": "broken", "ts": \n', *lines[5:]]), encoding="utf-8")
    return 6


def _damage_csv(path: Path) -> int | None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([*lines[:5], lines[1].rstrip("\n") + ",one cell too many\n", *lines[5:]]),
                    encoding="utf-8")
    return 6


def _damage_parquet(path: Path) -> int | None:
    path.write_bytes(path.read_bytes()[:-100])  # no footer: the whole file is unreadable
    return None


DAMAGE: dict[str, Callable[[Path], int | None]] = {
    ".jsonl": _damage_jsonl, ".csv": _damage_csv, ".parquet": _damage_parquet}


def test_a_damaged_file_in_a_group_is_read_alone_and_the_others_still_count(
        pilot: tuple[Path, str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, _, _ = pilot
    folder = tmp_path / "pilot"
    shutil.copytree(source, folder)
    parts = sorted((folder / "traces").iterdir())
    damaged = parts[2]  # a plain file in each kind (JSON Lines alternate plain and gzipped)
    line = DAMAGE[damaged.suffix](damaged)
    empty = folder / "traces" / f"{parts[3].name}-0-empty{damaged.suffix}"  # sorts right after parts[3]
    empty.write_bytes(b"")
    together = assess_folder(folder).result
    assert together == _alone(folder, monkeypatch)
    base, quality = assess_folder(source).result["data_quality"], together["data_quality"]
    assert {"file": f"traces/{empty.name}", "level": "warning"} in [
        {k: i[k] for k in ("file", "level")} for i in quality["file_issues"]]
    name = f"traces/{damaged.name}"
    if line is None:
        assert any(i["file"] == name and i["level"] == "error" for i in quality["file_issues"])
        assert 0 < quality["used"] < base["used"]
    else:
        assert {"file": name, "line": line} in [{k: r[k] for k in ("file", "line")} for r in quality["rejections"]]
        assert (quality["events_read"], quality["used"]) == (base["events_read"] + 1, base["used"])
