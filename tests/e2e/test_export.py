"""`preserie export`: whole tables, a row count at the end of each, and no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook
from preserie_cli import copy_case, run

NOMINAL = Path(__file__).parents[1] / "cases" / "nominal"


preserie = run


@pytest.fixture
def pilot(tmp_path: Path) -> Path:
    folder = copy_case("nominal", tmp_path / "pilot")
    declaration = (folder / "pilot.yaml").read_text()
    evil = "- id: =HYPERLINK(\"x.invalid\")\n  situation: liberal\n  cpam: '33'\n  equipped: true\n"
    (folder / "pilot.yaml").write_text(declaration.replace("practitioners:\n", "practitioners:\n" + evil, 1))
    bad = json.dumps({"event_id": "x", "ts": "hier"}) + "\n"
    (folder / "traces" / "2025-02-bad.jsonl").write_text(bad * 5000)
    return folder


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle, delimiter=";"))


def test_csv_export_is_whole_ends_with_its_row_count_and_neutralises_formulas(pilot: Path, tmp_path: Path) -> None:
    done = preserie("export", str(pilot), "-o", str(tmp_path / "out"), "--as-of", "2025-03-03")
    assert done.returncode == 0, done.stderr
    rejections = read_csv(tmp_path / "out" / "rejets.csv")
    assert len(rejections) == 1 + 5000 + 1
    assert rejections[-1] == ["5000 ligne(s)"]
    doctors = read_csv(tmp_path / "out" / "medecins.csv")
    assert doctors[1][0] == "'=HYPERLINK(\"x.invalid\")"
    assert doctors[-1] == [f"{len(doctors) - 2} ligne(s)"]
    assert doctors[2][4] == "0,75"  # decimal comma
    quality = read_csv(tmp_path / "out" / "qualite-des-donnees.csv")
    assert quality[1] == ["events_read", "enregistrements lus", "5155"]


def test_xlsx_export_has_a_sheet_per_table_with_its_row_count(pilot: Path, tmp_path: Path) -> None:
    done = preserie("export", str(pilot), "--format", "xlsx", "-o", str(tmp_path / "out"), "--as-of", "2025-03-03")
    assert done.returncode == 0, done.stderr
    workbook = load_workbook(tmp_path / "out" / "bilan-logimed-2025-01.xlsx")
    assert workbook.sheetnames == ["medecins", "qualite-des-donnees", "rejets"]
    rejets = list(workbook["rejets"].iter_rows(values_only=True))
    assert len(rejets) == 5002 and rejets[-1][0] == "5000 ligne(s)"
    doctors = list(workbook["medecins"].iter_rows(values_only=True))
    assert doctors[1][0].startswith("'=")
    assert doctors[2][4] == 0.75  # numbers stay numbers in a workbook


def test_unknown_export_format_is_refused() -> None:
    assert preserie("export", str(NOMINAL), "--format", "ods").returncode == 2


def test_export_onto_an_existing_file_is_refused_in_french_and_the_file_kept(tmp_path: Path) -> None:
    taken = tmp_path / "bilan"
    taken.write_text("à garder\n")
    done = preserie("export", str(NOMINAL), "-o", str(taken), "--as-of", "2025-03-03")
    assert done.returncode == 2
    assert done.stderr == f"erreur : -o {taken} : existe et n'est pas un dossier\n"
    assert taken.read_text() == "à garder\n"
    done = preserie("export", str(NOMINAL), "-o", str(tmp_path / "bilan.csv"), "--as-of", "2025-03-03")
    assert done.returncode == 2 and "pour csv, -o nomme un dossier" in done.stderr
    assert not (tmp_path / "bilan.csv").exists()


def test_export_xlsx_to_a_name_ending_in_xlsx_writes_that_workbook_and_replaces_it_only_with_force(
        tmp_path: Path) -> None:
    workbook = tmp_path / "rendu" / "bilan.xlsx"
    args = ("export", str(NOMINAL), "--format", "xlsx", "-o", str(workbook), "--as-of", "2025-03-03")
    done = preserie(*args)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{workbook}\n" and workbook.is_file()
    assert load_workbook(workbook).sheetnames == ["medecins", "qualite-des-donnees", "rejets"]
    again = preserie(*args)
    assert again.returncode == 2
    assert again.stderr == f"erreur : {workbook} existe déjà ; --force pour le remplacer\n"
    assert preserie(*args, "--force").returncode == 0
