"""A pilot's traces kept as segments (the service's store) are assessed exactly as the pilot folder they came from,
and exactly as the folder they are exported to: same records, same order, the same names in every rejection."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from preserie.adapters.folder_source import FolderPilotSource
from preserie.adapters.trace_files import FORMATS, discover
from preserie.adapters.trace_segments import SegmentStore
from preserie.domain.inputs import FileIssue, TraceFile
from preserie.services.assess import assess_folder, assess_pilot

CASES = Path(__file__).parents[1] / "cases"
AS_OF = dt.datetime(2025, 3, 3, 23, 59, tzinfo=dt.UTC)
SIDE_FILES = ("pilot.yaml", "registrations.csv", "anomalies.csv", "survey.csv")


class SegmentPilotSource(FolderPilotSource):
    """A folder's declaration and side files, with the traces of a segment store's phase (as the service's
    source will read them)."""

    def __init__(self, folder: Path, store: SegmentStore, pilot_key: str, phase: int) -> None:
        super().__init__(folder)
        self.store, self.pilot_key, self.phase = store, pilot_key, phase

    def trace_files(self) -> tuple[Sequence[TraceFile], Sequence[FileIssue]]:
        return self.store.files(self.pilot_key, self.phase), ()


def _import_folder(folder: Path, store: SegmentStore) -> dict[str, str]:
    """Each trace file of `folder` appended verbatim; segment name -> the folder's name."""
    found, _ = discover(folder)
    names = {}
    for trace_file in found:
        suffix = next(s for s in FORMATS if trace_file.name.endswith(s))
        segment = store.append_file("p", 1, trace_file.path, origin=trace_file.path.name.removesuffix(suffix))
        names[segment.name] = trace_file.name
    return names


def _export(folder: Path, store: SegmentStore, target: Path) -> Path:
    target.mkdir()
    for name in SIDE_FILES:
        if (folder / name).exists():
            shutil.copyfile(folder / name, target / name)
    store.export("p", 1, target / "traces")
    return target


def _renamed(result: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    text = json.dumps(result, ensure_ascii=False)
    for segment, original in names.items():
        text = text.replace(json.dumps(segment), json.dumps(original))
    return json.loads(text)  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", ["nominal", "rejected_records", "duplicates_conflicts_two_formats"])
def test_imported_segments_are_assessed_like_the_folder_and_like_their_export(tmp_path: Path, case: str) -> None:
    folder = CASES / case
    store = SegmentStore(tmp_path / "store")
    names = _import_folder(folder, store)
    from_segments = assess_pilot(SegmentPilotSource(folder, store, "p", 1), as_of=AS_OF).result
    exported = assess_folder(_export(folder, store, tmp_path / "exported"), as_of=AS_OF).result
    assert from_segments == exported
    original = assess_folder(folder, as_of=AS_OF).result
    assert _renamed(from_segments, names) == original
    if case == "duplicates_conflicts_two_formats":  # the conflict names a CSV and a JSON Lines segment
        conflict = from_segments["data_quality"]["conflict_details"][0]
        assert (conflict["file"], conflict["kept_file"]) == ("traces/00000002-2025-02-resent.csv",
                                                             "traces/00000001-2025-01.jsonl")


def test_collector_batches_are_counted_like_the_files_and_rejections_name_batch_and_line(tmp_path: Path) -> None:
    folder = CASES / "rejected_records"
    lines: list[tuple[str, int, bytes]] = []  # (the folder's file, its line, the line's bytes)
    for trace_file in discover(folder)[0]:
        raw = trace_file.path.read_bytes().splitlines(keepends=True)
        lines.extend((trace_file.name, number, text) for number, text in enumerate(raw, 1))
    store, where = SegmentStore(tmp_path / "store"), {}
    for start in range(0, len(lines), 7):
        batch = lines[start:start + 7]
        segment = store.append("p", 1, b"".join(text for _, _, text in batch))
        where.update({(segment.name, n): (file, line) for n, (file, line, _) in enumerate(batch, 1)})
    batches = assess_pilot(SegmentPilotSource(folder, store, "p", 1), as_of=AS_OF).result
    original = assess_folder(folder, as_of=AS_OF).result
    rejections = batches["data_quality"].pop("rejections")
    expected_rejections = original["data_quality"].pop("rejections")
    assert [{**r, "file": where[r["file"], r["line"]][0], "line": where[r["file"], r["line"]][1]}
            for r in rejections] == expected_rejections
    assert rejections[0] == {**expected_rejections[0], "file": "traces/00000023-collector.jsonl", "line": 2}
    # the folder's empty file is a warning the batches cannot have; everything else is the same
    assert [i["file"] for i in original["data_quality"].pop("file_issues")] == ["traces/2025-02-empty.jsonl"]
    assert batches["data_quality"].pop("file_issues") == []
    assert batches == original
