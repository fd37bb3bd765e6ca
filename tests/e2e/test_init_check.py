"""`preserie init` (a pilot folder to fill in), `preserie check` (before it is sent) and `preserie --version`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from preserie_cli import CASES, copy_case, run

import preserie
from preserie.adapters.pilot_folder import load_declaration

preserie_cli = run


def test_init_writes_a_commented_valid_declaration_the_side_headers_and_an_empty_traces_folder(
        tmp_path: Path) -> None:
    folder = tmp_path / "ma-preserie"
    done = preserie_cli("init", str(folder))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["anomalies.csv", "pilot.yaml", "registrations.csv",
                                                          "survey.csv", "traces"]
    assert list((folder / "traces").iterdir()) == []
    assert (folder / "survey.csv").read_text() == ("practitioner,submitted_on,ease,speed,integration,training,"
                                                   "support,overall,blocking_issue,blocking_issue_text,comment\n")
    assert (folder / "anomalies.csv").read_text() == ("id,opened_on,closed_on,operation,severity,origin,"
                                                      "practitioner,summary\n")
    assert (folder / "registrations.csv").read_text() == ("prescription_id,practitioner,registered_at,status,"
                                                          "reject_code\n")
    declaration = (folder / "pilot.yaml").read_text(encoding="utf-8")
    load_declaration(folder)  # valid as written
    first_block = declaration[:declaration.index('  - id: "10000000041"')]  # the second practitioner is bare
    fields = [line for line in first_block.splitlines() if re.match(r"\s*(- )?[a-z_]+:", line)]
    assert len(fields) == 30 and all("  # " in line for line in fields)  # every field is explained
    assert "date d'installation" in declaration and "docs/pilot-folder.md" in declaration
    assert "check" in done.stdout
    assessed = preserie_cli("assess", str(folder), "--json")
    assert assessed.returncode == 1, assessed.stderr  # usable: a decision (no traces yet: extend)


def test_init_refuses_a_folder_that_is_not_empty_and_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("à garder\n")
    done = preserie_cli("init", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.startswith(f"erreur : {tmp_path} : le dossier n'est pas vide")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert preserie_cli("init", str(tmp_path / "notes.txt")).returncode == 2


def test_check_passes_a_good_folder_without_reading_its_trace_records(tmp_path: Path) -> None:
    folder = copy_case("nominal", tmp_path / "pilot")
    (folder / "traces" / "2025-02.jsonl").write_text("pas du JSON\n" * 10)  # records are for assess to judge
    done = preserie_cli("check", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "conforme      Nombre de médecins — 5 médecin(s) utilisateur(s)" in done.stdout
    assert "Non vérifiés ici, faute de lire les traces (preserie assess) : Traces reçues, Durée." in done.stdout
    assert done.stdout.endswith("Résultat : prêt à être envoyé.\n")


def test_check_says_what_fails_and_exits_1(tmp_path: Path) -> None:
    folder = copy_case("nominal", tmp_path / "pilot")
    path = folder / "pilot.yaml"
    path.write_text(path.read_text().replace("cnda_authorization: CNDA-ON-2024-117", "cnda_authorization: ''"))
    with (folder / "survey.csv").open("a") as handle:
        handle.write("331012344,2025-02-28,4,4,4,4,4,9,false,,\n")
    (folder / "traces" / "2025-02.parquet").write_text("pas du Parquet\n")
    done = preserie_cli("check", str(folder), "--json")
    assert done.returncode == 1
    out = json.loads(done.stdout)
    assert out["ready"] is False and out["not_checked"] == ["traces_received", "duration"]
    failed = {c["check"] for c in out["dossier"] if c["status"] == "fail"}
    assert failed == {"cnda_authorization", "input_rows", "traces_readable"}
    issues = {(i["file"], i.get("line"), i.get("field")) for i in out["file_issues"] if i["level"] == "error"}
    assert issues == {("survey.csv", 7, "overall"), ("traces/2025-02.parquet", None, None)}
    text = preserie_cli("check", str(folder)).stdout
    assert "erreur : survey.csv, ligne 7, champ overall : valeur d'au plus 5 attendue ; ligne ignorée" in text
    assert "non conforme  Autorisation CNDA" in text and "3 point(s) non conforme(s)" in text


def test_check_of_an_unusable_declaration_shows_every_error_and_exits_2(tmp_path: Path) -> None:
    folder = copy_case("nominal", tmp_path / "pilot")
    path = folder / "pilot.yaml"
    path.write_text(path.read_text().replace("planned_weeks: 6", "planned_weeks: six")
                    .replace("installed_on: 2025-01-13", "installed_on: 2025-02-30", 1))
    done = preserie_cli("check", str(folder))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "erreur : pilot.yaml, ligne 17, champ planned_weeks : entier attendu",
        "erreur : pilot.yaml, ligne 30, champ practitioners[0].installed_on : date impossible « 2025-02-30 » : "
        "ce jour n'existe pas au calendrier"]


@pytest.mark.parametrize("case", ["nominal", "dossier_failures", "health_center_pilot"])
def test_check_agrees_with_assess_on_every_check_it_makes(case: str) -> None:
    checked = json.loads(preserie_cli("check", str(CASES / case), "--json").stdout)
    assessed = json.loads((CASES / case / "expected.json").read_text())
    assert len(checked["dossier"]) == len(assessed["dossier"]) - 2
    by_id = {c["check"]: c for c in assessed["dossier"]}
    for c in checked["dossier"]:
        assert c["status"] == by_id[c["check"]]["status"], c


def test_version_is_printed() -> None:
    done = preserie_cli("--version")
    assert done.returncode == 0 and done.stdout == f"preserie {preserie.__version__}\n"
