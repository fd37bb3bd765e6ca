"""The terminal summary: compact by default, every table with --details, at 80 and 120 columns, no figure cut."""

from __future__ import annotations

import functools
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rich.cells import cell_len
from rich.console import Console

from preserie import french as fr
from preserie.adapters.terminal import render
from preserie.domain.as_of import parse_as_of
from preserie.services.assess import AssessmentRun, assess_folder

CASES = Path(__file__).parents[1] / "cases"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> AssessmentRun:
    """The demo's pilot (same seed and weeks as `preserie demo`), with fewer records."""
    from preserie.simulate import write_pilot

    folder = tmp_path_factory.mktemp("demo") / "pilot"
    write_pilot(folder, seed=7, records=4_000, weeks=8)
    return assess_folder(folder)


@functools.cache
def case(name: str) -> AssessmentRun:
    """The golden case assessed as its case.yaml says: the very result of its expected.json."""
    args = yaml.safe_load((CASES / name / "case.yaml").read_text(encoding="utf-8"))["args"]
    as_of = parse_as_of(args[args.index("--as-of") + 1]) if "--as-of" in args else None
    run = assess_folder(CASES / name, as_of=as_of)
    assert run.result == json.loads((CASES / name / "expected.json").read_text(encoding="utf-8"))
    return run


def shown(run: AssessmentRun, width: int, *, details: bool = False) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    render(run.assessment, console, details=details)
    return console.export_text().splitlines()


def figures(run: AssessmentRun) -> list[str]:
    """Every count and rate of the result, as the French screens write them."""
    result = run.result
    c = result["criteria"]
    out = [fr.integer(q) for k, q in result["data_quality"].items() if isinstance(q, int)]
    for row in c["usage_rate"]["practitioners"]:
        out += [fr.integer(row["digital"]), fr.integer(row["total"]), fr.percent(row["rate"])]
    reg = c["registration_rate"]
    out += [fr.integer(reg[k]) for k in ("created", "registered", "orphans", "rejected", "unknown") if k in reg]
    out.append(fr.percent(reg["rate"]))
    for op in c["operations"]["operations"].values():
        out += [fr.integer(op[k]) for k in ("calls", "ok", "software", "authentication", "not_found",
                                            "teleservice", "network")]
        out.append(fr.percent(op["software_error_rate"]))
    out += [fr.percent(s["failure_rate"]) for s in c["prerequisites"]["suspects"]]
    out.append(fr.decimal(c["satisfaction"]["mean_overall"]))
    return out


@pytest.mark.parametrize("width", [80, 120])
def test_the_demo_summary_is_short_and_fits_the_terminal(demo: AssessmentRun, width: int) -> None:
    lines = shown(demo, width)
    assert len(lines) <= 40
    assert max(cell_len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert text.count("C1 ") == 1 and "C5 Satisfaction" in text
    assert "…" not in text  # nothing cut by rich


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", ["demo", "dossier_failures", "rejected_records", "operations_error_classes",
                                  "survey_blocking_issue", "unknown_practitioner_and_out_of_scope"])
def test_details_show_every_figure_whole_within_the_width(demo: AssessmentRun, name: str, width: int) -> None:
    result = demo if name == "demo" else case(name)
    lines = shown(result, width, details=True)
    assert max(cell_len(line) for line in lines) <= width
    text = "\n".join(lines)
    assert "…" not in text.replace("… et", "")  # only the sentence that says more rejections exist
    missing = [f for f in figures(result) if f not in text]
    assert not missing, f"figures cut or absent: {missing}"


@pytest.mark.parametrize("width", [80, 120])
def test_the_summary_key_figures_are_whole(demo: AssessmentRun, width: int) -> None:
    text = "\n".join(shown(demo, width))
    result = demo.result
    c = result["criteria"]
    lowest = min(r["rate"] for r in c["usage_rate"]["practitioners"])
    for figure in (fr.percent(lowest), fr.percent(c["registration_rate"]["rate"]),
                   fr.integer(c["registration_rate"]["created"]), fr.integer(result["data_quality"]["events_read"]),
                   fr.integer(result["data_quality"]["used"]), fr.decimal(c["satisfaction"]["mean_overall"])):
        assert figure in text
    assert not re.search(r"\d\n\s*\d|\d\n\s*%", text)  # no number carried over to the next line


def test_a_changed_threshold_is_said_in_the_decision_box() -> None:
    lines = shown(case("count_out_of_scope_policy"), 80)
    box = "\n".join(lines[:next(i for i, line in enumerate(lines) if line.startswith("╰"))])
    assert "Seuils de la politique 2025-01" in box
    assert "seuil modifié par la présérie" in box.replace("│", "")
    default = "\n".join(shown(case("nominal"), 80))
    assert "Seuils par défaut de la politique 2025-01" in default


def test_failed_dossier_checks_are_told_once_and_warnings_below(demo: AssessmentRun) -> None:
    text = "\n".join(shown(case("dossier_failures"), 120))
    assert text.count("Autorisation CNDA") == 1
    assert "9 non conformes" in text
    interim = "\n".join(shown(case("interim_duration"), 120))
    assert "! Durée" in interim


def test_configuration_values_and_fields_are_shown_in_french(demo: AssessmentRun) -> None:
    text = "\n".join(shown(demo, 120, details=True))
    assert "fiber" not in text and "e-cps" not in text
    assert "fibre" in text and "Observé, type de carte" in text


def test_assess_prints_the_tables_only_with_details() -> None:
    def assess(*extra: str) -> str:
        done = subprocess.run([sys.executable, "-m", "preserie", "assess", str(CASES / "nominal"), "--as-of",
                               "2025-03-03", *extra], capture_output=True, text=True, env={"COLUMNS": "80",
                               "PATH": "/usr/bin:/bin"}, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "IC 95" not in assess() and "IC 95" in assess("--details")
