"""`preserie simulate`: each named scenario yields, once assessed, the decision its name promises."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from preserie_cli import run

from preserie.simulate import SCENARIOS

RECORDS = "15000"
SEED = "11"
CRITERIA = ("usage_rate", "registration_rate", "operations", "prerequisites", "satisfaction")
# Every scenario with liberal doctors, and the nominal one for the two other audiences.
CASES = [(name, "liberal") for name in SCENARIOS] + [("nominal", "health_center"), ("nominal", "mixed")]




def simulate_and_assess(folder: Path, scenario: str, audience: str) -> tuple[int, dict[str, Any]]:
    done = run("simulate", str(folder), "--seed", SEED, "--records", RECORDS, "--scenario", scenario,
               "--audience", audience)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar without a terminal
    assessed = run("assess", str(folder), "--json")
    return assessed.returncode, json.loads(assessed.stdout)


Assessed = Callable[[str, str], tuple[int, dict[str, Any]]]


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> Assessed:
    """Each (scenario, audience) simulated and assessed once for the whole module."""
    done: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}

    def get(scenario: str, audience: str) -> tuple[int, dict[str, Any]]:
        if (scenario, audience) not in done:
            folder = tmp_path_factory.mktemp(f"{scenario}-{audience}") / "pilot"
            done[scenario, audience] = simulate_and_assess(folder, scenario, audience)
        return done[scenario, audience]

    return get


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("scenario", "audience"), CASES)
def test_scenario_yields_the_decision_its_name_promises(assessed: Assessed, scenario: str, audience: str) -> None:
    status, result = assessed(scenario, audience)
    promised = SCENARIOS[scenario]
    assert result["decision"] == promised.decision
    assert status == (0 if promised.decision == "deploy" else 1)
    not_met = [c for c in CRITERIA if not result["criteria"][c]["met"]]
    assert not_met == list(promised.failing)
    assert [d["check"] for d in result["dossier"] if d["status"] == "fail"] == []
    if scenario == "nominal":
        assert {d["check"]: d["status"] for d in result["dossier"] if d["status"] != "pass"} == {}
        assert result["data_quality"]["rejected"] == 0


def test_slow_adopters_stay_under_half_while_the_others_adopt(assessed: Assessed) -> None:
    _, result = assessed("slow-adopter", "liberal")
    rows = result["criteria"]["usage_rate"]["practitioners"]
    assert 1 <= sum(not r["met"] for r in rows) <= 2
    assert all(r["rate"] is None or r["rate"] < 0.5 for r in rows if not r["met"])


def test_broken_search_fails_by_the_software_with_an_open_blocking_anomaly(assessed: Assessed) -> None:
    _, result = assessed("broken-search", "liberal")
    operations = result["criteria"]["operations"]["operations"]
    assert (operations["create"]["met"], operations["consult"]["met"], operations["search"]["met"]) == (
        True, True, False)
    assert operations["search"]["software_error_rate"] > 0.1
    assert len(operations["search"]["open_blocking_anomalies"]) == 1


def test_unhappy_doctor_reports_a_blocking_issue_in_french(assessed: Assessed) -> None:
    _, result = assessed("unhappy", "liberal")
    issues = result["criteria"]["satisfaction"]["blocking_issues"]
    assert len(issues) == 1 and "ordonnances numériques" in issues[0]["text"]


def test_nominal_pilot_has_multi_activity_resent_batches_and_a_suspect_configuration(assessed: Assessed) -> None:
    _, nominal = assessed("nominal", "liberal")
    quality = nominal["data_quality"]
    assert quality["other_situation"] > 0
    assert quality["duplicates"] > 0
    assert quality["conflicts"] == 0
    suspects = nominal["criteria"]["prerequisites"]["suspects"]
    assert {"field": "os_version", "value": "10 21H2"}.items() <= suspects[0].items()
    create = nominal["criteria"]["operations"]["operations"]["create"]
    assert create["teleservice"] > 0 and create["network"] > 0 and create["authentication"] > 0
    assert nominal["criteria"]["registration_rate"]["rejected"] > 0


def test_same_seed_gives_byte_identical_folders(tmp_path: Path) -> None:
    folders = [tmp_path / "a", tmp_path / "b", tmp_path / "c"]
    for folder, seed in zip(folders, ("5", "5", "6"), strict=True):
        done = run("simulate", str(folder), "--seed", seed, "--records", "8000", "--format", "mixed",
                   "--audience", "mixed", "--weeks", "4")
        assert done.returncode == 0, done.stderr
    first, second, other = (_contents(f) for f in folders)
    assert {p.rsplit(".", 1)[-1] for p in first} >= {"jsonl", "csv", "gz", "parquet", "yaml"}
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []
    assert first["pilot.yaml"] != other["pilot.yaml"]


def test_refuses_to_write_into_a_non_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "notes.txt").write_text("à garder")
    done = run("simulate", str(folder), "--records", "2000")
    assert done.returncode == 2
    assert "n'est pas vide" in done.stderr
    assert _contents(folder) == {"notes.txt": "à garder".encode()}


def test_unknown_scenario_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    done = run("simulate", str(tmp_path / "pilot"), "--scenario", "sunny")
    assert done.returncode == 2
    assert "scénario" in done.stderr or "--scenario" in done.stderr
    assert all(name in done.stderr for name in SCENARIOS)
    assert not (tmp_path / "pilot").exists()


def test_help_names_every_scenario_and_format() -> None:
    text = run("simulate", "--help").stdout
    for word in (*SCENARIOS, "jsonl.gz", "parquet", "mixed", "health_center"):
        assert word in text
