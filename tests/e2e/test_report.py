"""`preserie report`: a standalone French HTML document, identical bytes for identical inputs, and its PDF."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from preserie_cli import CASES, copy_case, run

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
    assert html.index("Décision\u00a0: prolongation") < html.index("Dossier de la présérie") < html.index("C1 —")
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


def _boxes(box: object) -> Iterator[object]:
    """A page's layout boxes, depth first, without its margin boxes (the footer)."""
    yield box
    for child in getattr(box, "children", None) or []:
        if type(child).__name__ != "MarginBox":
            yield from _boxes(child)


def _body_rows(table: object) -> int:
    return sum(1 for group in getattr(table, "children", []) if not getattr(group, "is_header", False)
               for row in getattr(group, "children", []) if type(row).__name__ == "TableRowBox")


@pytest.mark.parametrize("case", ["demo", "anomaly_open_blocking", "dossier_failures"])
def test_pdf_pages_are_filled_and_no_table_leaves_a_lone_row(case: str, tmp_path: Path) -> None:
    from weasyprint import HTML

    folder = tmp_path / "demo"
    if case == "demo":
        assert run("simulate", str(folder), "--records", "4000", "--weeks", "8", "--seed", "7").returncode == 0
    done = run("report", str(CASES / case if case != "demo" else folder), "-o", str(tmp_path / "r.html"))
    assert done.returncode in (0, 1), done.stderr
    pages = HTML(filename=tmp_path / "r.html").render().pages
    for number, page in enumerate(pages, start=1):
        box = page._page_box
        boxes = list(_boxes(box))
        bottoms = [b.position_y + b.margin_height() for b in boxes  # type: ignore[attr-defined]
                   if type(b).__name__ in ("LineBox", "TableRowBox", "InlineReplacedBox", "BlockReplacedBox")]
        used = (max(bottoms) - box.content_box_y()) / box.height
        if number < len(pages):
            assert used > 1 / 3, f"page {number} of {len(pages)} only {used:.0%} full"
        tables = [b for b in boxes if type(b).__name__ == "TableBox"]
        for table in tables:
            total = len(table.element.findall(".//tbody/tr"))  # type: ignore[attr-defined]
            assert total < 2 or _body_rows(table) >= 2, f"page {number}: a table row alone"
        if number == len(pages):
            rows = sum(_body_rows(t) for t in tables)
            headings = [b for b in boxes if getattr(getattr(b, "element", None), "tag", "") in ("h2", "h3")]
            assert rows > 1 or headings, "the last page holds a lone line"


def test_the_doctors_comments_are_in_the_report(tmp_path: Path) -> None:
    folder = copy_case("nominal", tmp_path / "pilot")
    survey = (folder / "survey.csv").read_text().splitlines()
    first = survey[1].split(",")
    first[-1] = "Les patients apprécient le QR code"
    later = [*survey[2].split(",")[:8], "true", "impression du QR code trop lente", "Pas assez de formation"]
    later[1] = "2025-01-20"  # an earlier answer of the second doctor: shown, and said to be replaced
    (folder / "survey.csv").write_text("\n".join([survey[0], ",".join(first), *survey[2:], ",".join(later)]) + "\n")
    assert report(folder, tmp_path / "r.html").returncode == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    section = html[html.index("C5 —"):html.index("Qualité des données")]
    assert "Ce que les médecins ont écrit" in section
    assert f"<td>{first[0]}</td>" in section and "Les patients apprécient le QR code" in section
    assert "impression du QR code trop lente" in section and "remplacée par une réponse ultérieure" in section


def test_a_changed_threshold_is_said_in_the_decision_section(tmp_path: Path) -> None:
    assert report(CASES / "count_out_of_scope_policy", tmp_path / "r.html").returncode == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    decision = html[html.index('<div class="decision'):html.index("</div>")]
    assert "modifiés par la présérie" in decision and "au lieu de hors du total" in decision
