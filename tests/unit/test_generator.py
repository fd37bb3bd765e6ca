"""The simulated pilot: deterministic, valid identifiers, and every record accounted for by the assessment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from preserie.domain.identifiers import check_am, check_finess, check_rpps
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
    # The dirty duplicate comes on top of the batches the workstations re-sent (a nominal pilot has some).
    assert (quality["rejected"], quality["duplicates"], quality["conflicts"]) == (2, 1 + summary["duplicates"], 1)
    assert quality["other_situation"] == summary["other_situation"] > 0
    assert quality["used"] == summary["used"] == RECORDS - summary["duplicates"] - summary["other_situation"]
    assert [r["line"] for r in quality["rejections"]] == [d["line"] for d in summary["dirty"][:2]]


def test_clean_pilot_counts_match_the_generator(tmp_path: Path) -> None:
    summary = write_pilot(tmp_path, seed=5, records=RECORDS)
    result = assess_folder(tmp_path).result
    registration = result["criteria"]["registration_rate"]
    quality = result["data_quality"]
    assert quality["used"] == summary["used"]
    assert (quality["duplicates"], quality["other_situation"]) == (summary["duplicates"], summary["other_situation"])
    assert quality["events_read"] == RECORDS
    assert (registration["created"], registration["registered"], registration["orphans"]) == (
        summary["digital"], summary["registered"], 3)
    operations = result["criteria"]["operations"]["operations"]
    assert sum(o["calls"] for o in operations.values()) == summary["calls"]
    assert result["criteria"]["prerequisites"]["users_without_snapshot"] == []


@pytest.mark.parametrize("audience", ["health_center", "mixed"])
def test_health_centre_doctors_have_valid_rpps_in_declared_centres(tmp_path: Path, audience: str) -> None:
    summary = write_pilot(tmp_path, seed=4, records=RECORDS, audience=audience)
    declared = yaml.safe_load((tmp_path / "pilot.yaml").read_text(encoding="utf-8"))
    centres = [c["finess"] for c in declared["health_centers"]]
    assert 1 <= len(centres) <= 2 and centres == summary["health_centers"]
    assert all(check_finess(finess).valid for finess in centres)
    in_centres = [p for p in declared["practitioners"] if p["situation"] == "health_center"]
    assert in_centres and all(check_rpps(p["id"]).valid and p["health_center"] in centres for p in in_centres)
    assert (audience == "mixed") == any(p["situation"] == "liberal" for p in declared["practitioners"])


def test_progress_is_told_every_record(tmp_path: Path) -> None:
    told: list[int] = []
    write_pilot(tmp_path, seed=2, records=RECORDS, files=3, progress=told.append)
    assert sum(told) == RECORDS and all(step > 0 for step in told)
