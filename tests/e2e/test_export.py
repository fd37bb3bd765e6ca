"""`preserie export`: whole tables, their row counts outside them, typed cells, no formula a spreadsheet would run."""

from __future__ import annotations

import csv
import datetime as dt
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


SHEETS = ["decision", "dossier", "medecins", "c2-enregistrement", "c3-operations", "c4-prerequis", "c5-satisfaction",
          "anomalies", "qualite-des-donnees", "rejets"]


def test_csv_export_is_whole_counts_its_rows_apart_and_neutralises_formulas(pilot: Path, tmp_path: Path) -> None:
    done = preserie("export", str(pilot), "-o", str(tmp_path / "out"), "--as-of", "2025-03-03")
    assert done.returncode == 0, done.stderr
    rejections = read_csv(tmp_path / "out" / "rejets.csv")
    assert len(rejections) == 1 + 5000  # the header and the rows: nothing a program would take for one more row
    assert rejections[-1][:2] == ["traces/2025-02-bad.jsonl", "5000"]
    summary = {row[0]: row for row in read_csv(tmp_path / "out" / "sommaire.csv")}
    assert summary["rejets.csv"] == ["rejets.csv", "traces rejetées", "5000"]
    assert set(summary) == {"fichier", *(f"{name}.csv" for name in SHEETS)}
    doctors = read_csv(tmp_path / "out" / "medecins.csv")
    assert doctors[1][0] == "'=HYPERLINK(\"x.invalid\")"
    assert summary["medecins.csv"][2] == str(len(doctors) - 1)
    assert doctors[2][4] == "0,75" and doctors[2][1] == "15/01/2025"  # decimal comma, day first
    quality = read_csv(tmp_path / "out" / "qualite-des-donnees.csv")
    assert quality[1] == ["events_read", "enregistrements lus", "5155"]
    operations = read_csv(tmp_path / "out" / "c3-operations.csv")
    assert [row[0] for row in operations[1:]] == ["créer", "consulter", "rechercher"]


def test_xlsx_export_has_a_typed_sheet_per_part_of_the_bilan(pilot: Path, tmp_path: Path) -> None:
    done = preserie("export", str(pilot), "--format", "xlsx", "-o", str(tmp_path / "out"), "--as-of", "2025-03-03")
    assert done.returncode == 0, done.stderr
    workbook = load_workbook(tmp_path / "out" / "bilan-logimed-2025-01.xlsx")
    assert workbook.sheetnames == SHEETS
    rejets = workbook["rejets"]
    assert rejets.auto_filter.ref == "A1:E5001"  # the table only: the footer is outside the filter
    assert rejets.cell(5002, 1).value is None and rejets.cell(5003, 1).value == "5\u202f000 lignes"
    for sheet in workbook:
        assert sheet.freeze_panes == "A2" and all(c.font.bold for c in sheet[1] if c.value)
    doctors = workbook["medecins"]
    assert doctors["A2"].value.startswith("'=")
    assert doctors["E3"].value == 0.75 and doctors["E3"].number_format == "0.0 %"  # a percentage, not text
    assert isinstance(doctors["B3"].value, dt.datetime) and doctors["B3"].number_format == "dd/mm/yyyy"
    assert doctors.column_dimensions["A"].width >= 10
    decision = {row[0]: row[1:] for row in workbook["decision"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert decision["décision"][0] == "prolongation" and isinstance(decision["date du bilan"][1], dt.datetime)
    c2 = workbook["c2-enregistrement"]
    assert c2["F2"].number_format == "0.0 %" and isinstance(c2["A2"].value, int)


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
    assert load_workbook(workbook).sheetnames == SHEETS
    again = preserie(*args)
    assert again.returncode == 2
    assert again.stderr == f"erreur : {workbook} existe déjà ; --force pour le remplacer\n"
    assert preserie(*args, "--force").returncode == 0
