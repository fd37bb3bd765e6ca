"""Bad inputs: each gives a clear message (file, line, field), the right exit status, and loses nothing else."""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path

import pytest
from preserie_cli import copy_case, run

NOMINAL = Path(__file__).parents[1] / "cases" / "nominal"


preserie = run


@pytest.fixture
def pilot(tmp_path: Path) -> Path:
    return copy_case("nominal", tmp_path / "pilot")


def assess_json(folder: Path, *extra: str) -> tuple[int, dict, str]:
    done = preserie("assess", str(folder), "--json", "--as-of", "2025-03-03", *extra)
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else {}, done.stderr


def test_missing_pilot_yaml_is_unusable_input_and_says_which_file(pilot: Path) -> None:
    (pilot / "pilot.yaml").unlink()
    code, _, err = assess_json(pilot)
    assert code == 2
    assert "pilot.yaml" in err and "manquant" in err


def test_empty_folder_is_unusable_input(tmp_path: Path) -> None:
    code, _, err = assess_json(tmp_path)
    assert code == 2
    assert "pilot.yaml : fichier manquant" in err


def test_folder_that_does_not_exist_is_unusable_input(tmp_path: Path) -> None:
    code, _, err = assess_json(tmp_path / "nowhere")
    assert code == 2
    assert "dossier introuvable" in err


def test_yaml_syntax_error_gives_the_line(pilot: Path) -> None:
    text = (pilot / "pilot.yaml").read_text().splitlines()
    text[3] = "vendor: [LogiMed SAS"
    (pilot / "pilot.yaml").write_text("\n".join(text) + "\n")
    code, _, err = assess_json(pilot)
    assert code == 2
    assert "pilot.yaml, ligne" in err and "YAML invalide" in err


def test_unknown_audience_names_the_field_its_line_and_the_allowed_values(pilot: Path) -> None:
    path = pilot / "pilot.yaml"
    lines = path.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, start=1) if "audience:" in line)
    path.write_text(path.read_text().replace("audience: liberal", "audience: hospital"))
    code, _, err = assess_json(pilot)
    assert code == 2
    assert f"pilot.yaml, ligne {number}, champ software.audience" in err
    assert "hospital" in err and "liberal" in err and "health_center" in err


def test_unquoted_numeric_id_is_refused_with_advice_to_quote_it(pilot: Path) -> None:
    path = pilot / "pilot.yaml"
    path.write_text(path.read_text().replace("- id: '331012344'", "- id: 331012344"))
    code, _, err = assess_json(pilot)
    assert code == 2
    assert "practitioners[0].id" in err and "guillemets" in err


def test_unknown_policy_key_is_refused(pilot: Path) -> None:
    path = pilot / "pilot.yaml"
    path.write_text(path.read_text() + "policy:\n  usage_rate_mni: 0.4\n")
    code, _, err = assess_json(pilot)
    assert code == 2
    assert "usage_rate_mni" in err and "seuil inconnu" in err


def test_trace_file_that_is_not_what_its_extension_says_is_reported_and_the_rest_is_kept(pilot: Path) -> None:
    (pilot / "traces" / "2025-02.parquet").write_text('{"event_id": "x"}\n')
    (pilot / "traces" / "2025-03.jsonl.gz").write_text('{"event_id": "y"}\n')
    code, out, err = assess_json(pilot)
    assert code == 1  # the decision cannot rest on unread files
    assert out["data_quality"]["used"] == 155
    issues = {i["file"]: i for i in out["data_quality"]["file_issues"]}
    assert "Parquet" in issues["traces/2025-02.parquet"]["message"]
    assert "gzip" in issues["traces/2025-03.jsonl.gz"]["message"]
    assert {r["ref"] for r in out["reasons"]} == {"traces_readable"}
    assert "traces/2025-02.parquet" in err


def test_gzip_content_under_a_jsonl_name_is_reported_as_mislabelled(pilot: Path) -> None:
    (pilot / "traces" / "2025-02.jsonl").write_bytes(gzip.compress(b'{"a": 1}\n' * 50))
    code, out, _ = assess_json(pilot)
    assert code == 1
    assert out["data_quality"]["used"] == 155
    issue = next(i for i in out["data_quality"]["file_issues"] if i["file"] == "traces/2025-02.jsonl")
    assert issue["level"] == "error" and "extension" in issue["message"]


def test_text_that_is_not_json_in_a_jsonl_file_is_rejected_line_by_line(pilot: Path) -> None:
    (pilot / "traces" / "2025-02.jsonl").write_text("date;medecin\n2025-02-01;331012344\n\n2025-02-02;331012344\n")
    code, out, _ = assess_json(pilot)
    assert code == 0
    lines = [(r["line"], r["reason"]) for r in out["data_quality"]["rejections"]]
    assert lines == [(1, "unreadable"), (2, "unreadable"), (4, "unreadable")]
    assert out["data_quality"]["events_read"] == 158


def test_zero_byte_file_is_a_warning_and_counts_nothing(pilot: Path) -> None:
    (pilot / "traces" / "empty.csv").write_bytes(b"")
    code, out, _ = assess_json(pilot)
    assert code == 0
    assert out["data_quality"]["events_read"] == 155
    assert any(i["file"] == "traces/empty.csv" and "0 octet" in i["message"]
               for i in out["data_quality"]["file_issues"])


def test_csv_with_a_missing_column_rejects_each_row_with_its_line_and_field(pilot: Path) -> None:
    (pilot / "traces" / "2025-02.csv").write_text(
        "event_id,practitioner,situation,workstation,software_version,type,category,digital\n"
        "n1,331012344,liberal,w,5.2.0,prescription,medicines,false\n"
        "\n"
        "n2,331012344,liberal,w,5.2.0,prescription,medicines,false\n")
    code, out, _ = assess_json(pilot)
    rejections = [r for r in out["data_quality"]["rejections"] if r["file"] == "traces/2025-02.csv"]
    assert [(r["line"], r["field"]) for r in rejections] == [(2, "ts"), (4, "ts")]
    assert any("ts" in i["message"] for i in out["data_quality"]["file_issues"])
    assert out["data_quality"]["used"] == 155
    assert code == 0
    assert preserie("assess", str(pilot), "--json", "--as-of", "2025-03-03", "--strict").returncode == 2


def test_csv_row_with_too_many_cells_is_rejected_and_the_other_rows_kept(pilot: Path) -> None:
    header = "event_id,ts,practitioner,situation,workstation,software_version,type,category,digital"
    good = "n{},2025-02-03T10:00:00+01:00,331012344,liberal,w,5.2.0,prescription,medicines,false"
    (pilot / "traces" / "2025-02.csv").write_text(
        "\n".join([header, good.format(1), good.format(2) + ",extra", good.format(3)]) + "\n")
    _, out, _ = assess_json(pilot)
    rejections = [r for r in out["data_quality"]["rejections"] if r["file"] == "traces/2025-02.csv"]
    assert [(r["line"], r["reason"]) for r in rejections] == [(3, "csv_row")]
    assert out["data_quality"]["used"] == 157


def test_a_line_of_10_mb_is_rejected_with_its_line_number_and_the_rest_kept(pilot: Path) -> None:
    record = {"event_id": "after-huge", "ts": "2025-02-03T10:00:00+01:00", "practitioner": "331012344",
              "situation": "liberal", "workstation": "w", "software_version": "5.2.0",
              "type": "prescription", "category": "medicines", "digital": False}
    good = json.dumps(record)
    huge = json.dumps({**record, "event_id": "h" * 10_000_000})
    (pilot / "traces" / "2025-02.jsonl").write_text(f"{good}\n{huge}\n{good.replace('after', 'again')}\n")
    garbage = "x" * 10_000_000
    (pilot / "traces" / "2025-03.jsonl").write_text(f"{garbage}\n{good.replace('after', 'third')}\n")
    _, out, err = assess_json(pilot)
    reasons = {(r["file"], r["line"], r["reason"]) for r in out["data_quality"]["rejections"]}
    assert reasons == {("traces/2025-02.jsonl", 2, "event_id_too_long"), ("traces/2025-03.jsonl", 1, "unreadable")}
    assert out["data_quality"]["used"] == 158
    assert len(err) < 2_000  # the message names the place, it does not echo the line


def test_bad_rows_of_the_survey_and_anomalies_are_named_and_block_the_decision(pilot: Path) -> None:
    with (pilot / "survey.csv").open("a") as handle:
        handle.write("331012344,2025-02-30,4,4,4,4,4,4,false,,\n")
    code, out, err = assess_json(pilot)
    assert code == 1
    issue = next(i for i in out["data_quality"]["file_issues"] if i["file"] == "survey.csv")
    assert issue["line"] == 7 and issue["field"] == "submitted_on"
    assert "survey.csv, ligne 7, champ submitted_on" in err
    assert [r["ref"] for r in out["reasons"]] == ["input_rows"]


def test_bad_as_of_is_unusable_input(pilot: Path) -> None:
    done = preserie("assess", str(pilot), "--as-of", "2025-03-03T10:00")
    assert done.returncode == 2
    assert "décalage horaire manquant" in done.stderr


def test_declaration_errors_are_explained_in_french(pilot: Path) -> None:
    path = pilot / "pilot.yaml"
    path.write_text(path.read_text().replace("planned_weeks: 6", "planned_weeks: six"))
    _, _, err = assess_json(pilot)
    assert "champ planned_weeks : entier attendu" in err


def test_a_practitioner_declared_twice_is_refused(pilot: Path) -> None:
    path = pilot / "pilot.yaml"
    path.write_text(path.read_text().replace("- id: '331012351'", "- id: '331012344'"))
    code, _, err = assess_json(pilot)
    assert code == 2
    assert "331012344 est déclaré deux fois" in err and "Value error" not in err


def test_test_identities_are_refused_unless_asked_for_and_then_said(pilot: Path) -> None:
    for name in ("pilot.yaml", "survey.csv", "registrations.csv", "traces/2025-01.jsonl"):
        path = pilot / name
        path.write_text(path.read_text().replace("331000034", "991000035"))
    code, out, _ = assess_json(pilot)
    identifiers = next(c for c in out["dossier"] if c["check"] == "identifiers")
    assert code == 1 and identifiers["status"] == "fail" and "991000035" in identifiers["detail"]
    code, out, _ = assess_json(pilot, "--test-identities")
    identifiers = next(c for c in out["dossier"] if c["check"] == "identifiers")
    assert code == 0 and identifiers["status"] == "pass"
    assert "1 identité(s) de test acceptée(s)" in identifiers["detail"]


def test_csv_written_by_excel_with_a_bom_is_read(pilot: Path) -> None:
    header = "event_id,ts,practitioner,situation,workstation,software_version,type,category,digital"
    row = "bom-1,2025-02-03T10:00:00+01:00,331012344,liberal,w,5.2.0,prescription,medicines,false"
    (pilot / "traces" / "2025-02.csv").write_bytes(("\ufeff" + header + "\r\n" + row + "\r\n").encode())
    with (pilot / "survey.csv").open("rb") as handle:
        survey = handle.read()
    (pilot / "survey.csv").write_bytes("\ufeff".encode() + survey)
    code, out, _ = assess_json(pilot)
    assert out["data_quality"]["used"] == 156 and out["data_quality"]["rejected"] == 0
    assert out["criteria"]["satisfaction"]["responses"] == 5 and code == 0


def test_csv_with_semicolons_is_named_as_such(pilot: Path) -> None:
    (pilot / "traces" / "2025-02.csv").write_text("event_id;ts;practitioner\nx;2025-02-03T10:00:00+01:00;1\n")
    code, out, _ = assess_json(pilot)
    issue = next(i for i in out["data_quality"]["file_issues"] if i["file"] == "traces/2025-02.csv")
    assert "séparateur « ; »" in issue["message"] and code == 1


def test_a_csv_header_with_quotes_and_sql_in_it_is_read_and_the_rest_kept(pilot: Path) -> None:
    header = "event_id,ts,practitioner,situation,workstation,software_version,type,category,digital"
    evil = "x': 'VARCHAR'}); DROP TABLE records; --"
    row = "i-1,2025-02-03T10:00:00+01:00,331012344,liberal,w,5.2.0,prescription,medicines,false,zzz"
    (pilot / "traces" / "2025-02.csv").write_text(f"{header},\"{evil}\"\n{row}\n")
    code, out, _ = assess_json(pilot)
    assert code == 0 and out["data_quality"]["used"] == 156 and out["data_quality"]["rejected"] == 0


def test_report_shows_file_issues_instead_of_crashing_on_them(pilot: Path, tmp_path: Path) -> None:
    (pilot / "traces" / "notes.txt").write_text("à lire\n")
    (pilot / "traces" / "2025-02.parquet").write_text('{"event_id": "x"}\n')
    (pilot / "traces" / "2025-03.jsonl.gz").write_text('{"event_id": "y"}\n')
    (pilot / "traces" / "2025-04.csv").write_text("event_id,practitioner\nz,331012344\n")
    with (pilot / "survey.csv").open("a") as handle:
        handle.write("331012344,2025-02-30,4,4,4,4,4,4,false,,\n")
    done = preserie("report", str(pilot), "-o", str(tmp_path / "report.html"), "--as-of", "2025-03-03")
    assert done.returncode == 1, done.stderr  # the decision cannot rest on unread files
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = html[html.index("<h3>Fichiers</h3>"):].replace("\xa0", " ").replace("\u202f", " ")  # typography
    for name in ("traces/notes.txt", "traces/2025-02.parquet", "traces/2025-03.jsonl.gz", "traces/2025-04.csv"):
        assert name in section
    assert "signature PAR1 absente" in section and "extension attendue" in section
    assert "colonnes absentes de l&#39;en-tête : ts" in section
    assert "survey.csv, ligne 7, champ submitted_on" in section


@pytest.mark.parametrize("impossible", ["2025-02-30", "2024-13-01"])
def test_an_impossible_date_in_the_declaration_names_its_line_and_field(pilot: Path, impossible: str) -> None:
    path = pilot / "pilot.yaml"
    text = path.read_text()
    number = next(i for i, line in enumerate(text.splitlines(), start=1) if "installed_on:" in line)
    path.write_text(text.replace("installed_on: 2025-01-13", f"installed_on: {impossible}", 1))
    code, _, err = assess_json(pilot)
    assert code == 2, err
    assert err == (f"erreur : pilot.yaml, ligne {number}, champ practitioners[0].installed_on : date impossible "
                   f"« {impossible} » : ce jour n'existe pas au calendrier\n")


def test_every_error_of_the_declaration_is_shown_at_once_each_with_its_line_and_field(pilot: Path) -> None:
    path = pilot / "pilot.yaml"
    lines = path.read_text().splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, start=1) if text in line)

    expected = [(line_of("audience:"), "software.audience"), (line_of("planned_weeks:"), "planned_weeks"),
                (line_of("installed_on:"), "practitioners[0].installed_on")]
    path.write_text(path.read_text().replace("audience: liberal", "audience: hospital")
                    .replace("planned_weeks: 6", "planned_weeks: six")
                    .replace("installed_on: 2025-01-13", "installed_on: le 13", 1))
    code, _, err = assess_json(pilot)
    assert code == 2
    shown = err.splitlines()
    assert len(shown) == 3 and all(line.startswith("erreur : pilot.yaml, ligne ") for line in shown)
    assert [line.split(" : ")[1] for line in shown] == [f"pilot.yaml, ligne {n}, champ {f}" for n, f in expected]


def test_things_that_are_not_files_are_named_never_opened_and_the_rest_kept(pilot: Path) -> None:
    # As root chmod does not stop a read: a folder, a named pipe (opening it would wait for ever) and a broken
    # link stand where files are expected (tests/integration/test_unreadable_files.py forces PermissionError).
    (pilot / "survey.csv").unlink()
    (pilot / "survey.csv").mkdir()
    (pilot / "anomalies.csv").unlink()
    (pilot / "anomalies.csv").symlink_to(pilot / "nowhere.csv")
    (pilot / "registrations.csv").unlink()
    (pilot / "registrations.csv").mkdir()
    os.mkfifo(pilot / "traces" / "2025-02.jsonl")
    done = preserie("assess", str(pilot), "--json", "--as-of", "2025-03-03", timeout=60)
    out = json.loads(done.stdout)  # the bilan of what could be read is still written...
    assert done.returncode == 2  # ...but none stands on files nobody could open
    assert "erreur : illisible(s) : anomalies.csv, registrations.csv, survey.csv, traces/2025-02.jsonl" in done.stderr
    issues = {i["file"]: (i["level"], i["message"]) for i in out["data_quality"]["file_issues"]}
    assert all(i["unreadable"] for i in out["data_quality"]["file_issues"] if i["file"] in issues and
               i["level"] == "error" and i["file"] != "traces/")
    assert issues["survey.csv"] == ("error", "c'est un dossier, un fichier est attendu")
    assert issues["registrations.csv"] == ("error", "c'est un dossier, un fichier est attendu")
    assert issues["anomalies.csv"] == ("error", "lien symbolique cassé : fichier introuvable")
    assert issues["traces/2025-02.jsonl"][0] == "error" and "tube nommé" in issues["traces/2025-02.jsonl"][1]
    failed = {c["check"] for c in out["dossier"] if c["status"] == "fail"}
    assert {"traces_readable", "input_rows"} <= failed
    assert out["data_quality"]["used"] == 155
    assert "erreur : survey.csv : c'est un dossier" in done.stderr


def test_side_files_saved_with_semicolons_by_french_excel_are_read_like_the_originals(pilot: Path) -> None:
    _, before, _ = assess_json(pilot)
    for name in ("survey.csv", "anomalies.csv", "registrations.csv"):
        path = pilot / name
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # as Excel in French saves them
            csv.writer(handle, delimiter=";", lineterminator="\r\n").writerows(rows)
    code, after, err = assess_json(pilot)
    assert code == 0 and err == ""
    assert after == before
    assert after["criteria"]["registration_rate"]["registered"] == 60


def test_a_side_file_still_missing_columns_says_the_delimiter_and_columns_it_found(pilot: Path) -> None:
    (pilot / "survey.csv").write_text("médecin;date;note\n331012344;2025-02-28;4\n")
    (pilot / "registrations.csv").write_text("id,medecin\nRX1,331012344\n")
    _, out, _ = assess_json(pilot)
    issues = {i["file"]: i["message"] for i in out["data_quality"]["file_issues"]}
    assert issues["survey.csv"] == ("colonnes absentes de l'en-tête : practitioner, submitted_on, overall, "
                                    "blocking_issue (séparateur « ; » ; colonnes trouvées : « médecin », « date », "
                                    "« note »)")
    assert "séparateur « , » ; colonnes trouvées : « id », « medecin »" in issues["registrations.csv"]


def test_a_missing_declaration_points_to_the_format_in_the_project_and_to_init(tmp_path: Path) -> None:
    code, _, err = assess_json(tmp_path)
    assert code == 2
    assert err == (f"erreur : pilot.yaml : fichier manquant dans {tmp_path} : la déclaration de la présérie est "
                   "obligatoire : voir docs/pilot-folder.md, ou `preserie init` pour en écrire un\n")
    assert (Path(__file__).parents[2] / "docs" / "pilot-folder.md").is_file()


def test_a_damaged_gzip_stream_is_an_unreadable_file_and_the_rest_kept(pilot: Path) -> None:
    packed = bytearray(gzip.compress((pilot / "traces" / "2025-01.jsonl").read_bytes(), mtime=0))
    packed[20] ^= 0xFF  # inside the deflate stream: zlib's own error, not an OSError
    (pilot / "traces" / "2025-02.jsonl.gz").write_bytes(bytes(packed))
    code, out, err = assess_json(pilot)
    assert code == 1
    issue = next(i for i in out["data_quality"]["file_issues"] if i["file"] == "traces/2025-02.jsonl.gz")
    assert issue["level"] == "error" and "flux gzip endommagé" in issue["message"]
    assert out["data_quality"]["used"] == 155 and out["data_quality"]["events_read"] == 155
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["!!int abc", "!!timestamp x", "!!timestamp 2025-02-30", "!!float x"])
def test_an_explicit_yaml_tag_that_cannot_be_read_names_its_line(pilot: Path, value: str) -> None:
    path = pilot / "pilot.yaml"
    path.write_text(path.read_text().replace("vendor: LogiMed SAS", f"vendor: {value}"))
    code, _, err = assess_json(pilot)
    assert code == 2
    assert err.startswith("erreur : pilot.yaml, ligne 3 : YAML invalide : valeur « ") and "Traceback" not in err
