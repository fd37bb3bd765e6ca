"""Golden scenarios: `preserie assess` on each folder of tests/cases/ gives the expected JSON and exit status.

Each case also carries hand-written expectations (case.yaml `expect`), checked on their own so that a
wrong snapshot cannot hide a wrong figure.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from preserie.cli import app

CASES = Path(__file__).parents[1] / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "case.yaml").is_file())


def run_case(folder: Path) -> tuple[int, dict[str, Any], dict[str, Any]]:
    case = yaml.safe_load((folder / "case.yaml").read_text())
    result = CliRunner().invoke(app, ["assess", str(folder), "--json", *case["args"]])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, json.loads(result.stdout), case


def lookup(data: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def same(actual: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(actual, int | float):
        return math.isclose(actual, expected, rel_tol=1e-12)
    return bool(actual == expected)


def test_there_is_a_golden_case_for_every_scenario_of_the_issue() -> None:
    assert len(CASE_DIRS) >= 30


@pytest.mark.parametrize("folder", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_golden_case(folder: Path, request: pytest.FixtureRequest) -> None:
    exit_code, output, case = run_case(folder)
    for dotted, expected in case["expect"].items():
        actual = lookup(output, dotted)
        assert same(actual, expected), f"{dotted}: expected {expected!r}, got {actual!r}"
    assert exit_code == case["exit"]
    if case["exit"] != 2:
        assert exit_code == (0 if output["decision"] == "deploy" else 1)
    assert output["data_quality"]["events_read"] == sum(
        output["data_quality"][k] for k in ("rejected", "duplicates", "conflicts", "unknown_practitioners",
                                            "other_situation", "after_as_of", "out_of_scope_digital", "used"))
    golden = folder / "expected.json"
    if request.config.getoption("--update-golden") or not golden.exists():
        golden.write_text(json.dumps(output, ensure_ascii=False, indent=2) + "\n")
    assert output == json.loads(golden.read_text())
