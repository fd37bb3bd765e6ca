"""The simulated pilot: deterministic, valid identifiers, and every record accounted for by the assessment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from preserie.domain.identifiers import check_am
from preserie.services.assess import assess_folder
from preserie.simulate import write_pilot

RECORDS = 2_000
MIXED = ("jsonl", "csv", "jsonl.gz", "parquet")


def _contents(folder: Path) -> dict[str, bytes]:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = write_pilot(tmp_path / "a", seed=7, records=RECORDS, files=4, formats=MIXED, dirty=True)
    second = write_pilot(tmp_path / "b", seed=7, records=RECORDS, files=4, formats=MIXED, dirty=True)
    a, b = _contents(tmp_path / "a"), _contents(tmp_path / "b")
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []
    assert first["files"] == second["files"]
    other = write_pilot(tmp_path / "c", seed=8, records=RECORDS, files=4, formats=MIXED, dirty=True)
    assert other["practitioners"] != first["practitioners"]


def test_practitioners_have_valid_am_numbers(tmp_path: Path) -> None:
    summary = write_pilot(tmp_path, records=RECORDS, practitioners=10)
    declared = yaml.safe_load((tmp_path / "pilot.yaml").read_text(encoding="utf-8"))
    ids = [p["id"] for p in declared["practitioners"]]
    assert ids == summary["practitioners"]
    assert len(set(ids)) == 10
    for number in ids:
        assert isinstance(number, str) and len(number) == 9 and number[:2] in ("33", "44")
        assert check_am(number).valid, check_am(number).reason


@pytest.mark.parametrize("formats", [("jsonl",), MIXED, ("parquet", "csv")])
def test_every_record_is_accounted_for(tmp_path: Path, formats: tuple[str, ...]) -> None:
    summary = write_pilot(tmp_path, seed=3, records=RECORDS, files=len(formats), formats=formats, dirty=True)
    quality = assess_folder(tmp_path).result["data_quality"]
    assert quality["events_read"] == summary["records_written"] == RECORDS + 4
    assert (quality["rejected"], quality["duplicates"], quality["conflicts"]) == (2, 1, 1)
    assert quality["used"] == RECORDS
    assert [r["line"] for r in quality["rejections"]] == [d["line"] for d in summary["dirty"][:2]]


def test_clean_pilot_counts_match_the_generator(tmp_path: Path) -> None:
    summary = write_pilot(tmp_path, seed=5, records=RECORDS)
    result = assess_folder(tmp_path).result
    registration = result["criteria"]["registration_rate"]
    assert result["data_quality"]["used"] == RECORDS
    assert (registration["created"], registration["registered"], registration["orphans"]) == (
        summary["digital"], summary["registered"], 3)
    operations = result["criteria"]["operations"]["operations"]
    assert sum(o["calls"] for o in operations.values()) == summary["calls"]
    assert result["criteria"]["prerequisites"]["users_without_snapshot"] == []
