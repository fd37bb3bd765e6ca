"""`preserie report`: a standalone French HTML document, identical bytes for identical inputs, and its PDF."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from preserie_cli import CASES, run

GOLDEN = ("nominal", "anomaly_open_blocking")


def report(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run("report", str(folder), "-o", str(out), "--as-of", "2025-03-03", *extra)


def normalised(html: str) -> str:
    return re.sub(r"preserie \d+\.\d+\.\d+\S*", "preserie X", html)


@pytest.mark.parametrize("case", GOLDEN)
def test_report_html_matches_its_golden_file(case: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    done = report(CASES / case, tmp_path / "report.html")
    assert done.returncode == (0 if case == "nominal" else 1), done.stderr
    html = normalised((tmp_path / "report.html").read_text(encoding="utf-8"))
    golden = CASES / case / "expected-report.html"
    if request.config.getoption("--update-golden") or not golden.exists():
        golden.write_text(html, encoding="utf-8")
    assert html == golden.read_text(encoding="utf-8")


def test_two_runs_give_identical_bytes(tmp_path: Path) -> None:
    report(CASES / "duplicates_conflicts_two_formats", tmp_path / "a.html")
    report(CASES / "duplicates_conflicts_two_formats", tmp_path / "b.html")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


def test_report_stands_alone_and_says_the_decision_first(tmp_path: Path) -> None:
    report(CASES / "anomaly_open_blocking", tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?https?:|@import""", html)
    assert html.index("Décision : prolongation") < html.index("Dossier de la présérie") < html.index("C1 —")
    assert "ANO-2" in html and "recherche vide" in html  # the open blocking anomaly is the evidence
    assert html.count("<svg") == 5 + 3  # one adoption curve per doctor, funnel, operations, survey


def test_pdf_is_made_from_the_same_html_with_numbered_pages(tmp_path: Path) -> None:
    done = report(CASES / "nominal", tmp_path / "report.html", "--pdf", str(tmp_path / "report.pdf"))
    assert done.returncode == 0, done.stderr
    data = (tmp_path / "report.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    from weasyprint import HTML

    document = HTML(string=(tmp_path / "report.html").read_text(encoding="utf-8")).render()
    pages = len(document.pages)
    assert pages >= 3
    footers = [[t for b in page._page_box.descendants() if (t := getattr(b, "text", None)) and "page" in t]
               for page in document.pages]
    assert footers[1] == [f"Bilan de la présérie logimed-2025-01 — page 2 / {pages}"]


def test_report_of_an_unusable_folder_says_what_to_fix(tmp_path: Path) -> None:
    done = report(tmp_path, tmp_path / "report.html")
    assert done.returncode == 2
    assert "pilot.yaml" in done.stderr
    assert not (tmp_path / "report.html").exists()
