"""The screens, the report and the exports are given the typed `Assessment` and read its attributes.

The JSON (`as_dict`) is only what `--json` writes: a view that went back to string keys would break here, and the
golden files (JSON, report HTML, exports) prove that the typed reading says the same bytes.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from preserie import french as fr
from preserie.adapters.export_tables import tables
from preserie.adapters.terminal import render
from preserie.data import load_default_policy
from preserie.domain import criteria
from preserie.domain.as_of import parse_as_of
from preserie.domain.feedback import SurveyAnswer
from preserie.domain.pilot import Practitioner
from preserie.domain.results import Assessment
from preserie.report.html import render_html
from preserie.services.assess import AssessmentRun, assess_folder

SRC = Path(__file__).parents[2] / "src" / "preserie"
CASES = Path(__file__).parents[1] / "cases"
VIEWS = [*sorted((SRC / "adapters").glob("terminal*.py")), SRC / "adapters" / "export_tables.py",
         SRC / "report" / "html.py", SRC / "report" / "charts.py", SRC / "report" / "templates" / "report.html.j2"]
# `x["criteria"]`, `x['pilot']`, `x.get("rejected")`: the dict's string keys, which a typed result has no use for.
STRING_KEY = re.compile(r"""\[\s*(["'])[A-Za-z_]\w*\1\s*\]|\.get\(\s*(["'])[A-Za-z_]\w*\2""")


@pytest.fixture(scope="module")
def nominal() -> AssessmentRun:
    return assess_folder(CASES / "nominal", as_of=parse_as_of("2025-03-03"))


def test_the_terminal_renders_the_typed_assessment(nominal: AssessmentRun) -> None:
    assert isinstance(nominal.assessment, Assessment)
    console = Console(width=120, record=True, file=io.StringIO(), color_system=None)
    render(nominal.assessment, console, details=True)
    text = console.export_text()
    assert nominal.assessment.is_deploy and "DÉPLOIEMENT" in text
    assert f"{fr.integer(nominal.assessment.data_quality.events_read)} enregistrements lus" in text
    assert all(p.id in text for p in nominal.assessment.criteria.usage_rate.practitioners)


def test_the_export_tables_come_from_the_typed_assessment(nominal: AssessmentRun) -> None:
    a = nominal.assessment
    by_name = {t.name: t for t in tables(a)}
    assert by_name["decision"].rows[0] == ("présérie", a.pilot, None)
    doctors = [row[0] for row in by_name["medecins"].rows]
    assert doctors == [p.id for p in a.criteria.usage_rate.practitioners]
    steps = {row[0]: row[2] for row in by_name["qualite-des-donnees"].rows}
    assert steps["events_read"] == a.data_quality.events_read and steps["used"] == a.data_quality.counts["used"]


def test_the_report_of_the_typed_assessment_is_the_golden_report(nominal: AssessmentRun) -> None:
    html = re.sub(r"preserie \d+\.\d+\.\d+\S*", "preserie X", render_html(nominal.assessment, nominal.pilot))
    assert html == (CASES / "nominal" / "expected-report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("path", VIEWS, ids=[p.name for p in VIEWS])
def test_no_view_reads_the_result_by_string_keys(path: Path) -> None:
    hits = [f"{path.name}:{n}: {line.strip()}" for n, line in enumerate(path.read_text().splitlines(), start=1)
            if STRING_KEY.search(line)]
    assert not hits, "string-key access to the result:\n" + "\n".join(hits)


def _answer(pid: str, day: int, overall: int, comment: str | None = None) -> SurveyAnswer:
    return SurveyAnswer.model_validate({
        "practitioner": pid, "submitted_on": f"2025-02-{day:02d}", "ease": "4", "speed": "4", "integration": "4",
        "training": "4", "support": "4", "overall": str(overall), "blocking_issue": "false", "comment": comment})


def test_satisfaction_says_which_known_answers_it_counted_without_changing_the_json() -> None:
    users = [Practitioner(id=pid, situation="liberal", cpam="33", equipped=True) for pid in ("a", "b")]
    answers = [_answer("b", 20, 2, "premier"), _answer("a", 10, 1), _answer("b", 20, 5, "second"),
               _answer("a", 5, 3), _answer("a", 28, 5, "après le bilan"), _answer("x", 1, 1, "pas utilisateur")]
    result = criteria.satisfaction(users, answers, load_default_policy(), as_of=parse_as_of("2025-02-21"))
    known = [(k.answer.practitioner, k.answer.submitted_on.day, k.answer.comment, k.counted) for k in result.answers]
    assert known == [("a", 5, None, False), ("a", 10, None, True), ("b", 20, "premier", False),
                     ("b", 20, "second", True)]  # by doctor then date; on a tie the later row is the one counted
    assert [k.has_words for k in result.answers] == [False, False, True, True]
    assert list(result.as_dict()) == ["met", "expected", "responses", "mean_overall", "threshold",
                                      "blocking_issues", "missing", "mean_scores", "ignored_answers",
                                      "after_as_of_answers"]
