"""The benchmark's hand-written baselines count what the tool counts (benchmarks/assess_scale.py compares them at
scale; here on golden cases small enough for every run, the default as_of of SPEC §5 included)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"
CASES = Path(__file__).parents[1] / "cases"
sys.path.insert(0, str(BENCHMARKS))

from assess_scale import baseline_counts, differences, tool_counts  # noqa: E402


def _default_as_of_jsonl_cases() -> list[str]:
    """The golden cases run without --as-of whose traces are JSON Lines only (all the baselines read)."""
    return sorted(case.name for case in CASES.iterdir() if (case / "case.yaml").is_file()
                  and "--as-of" not in yaml.safe_load((case / "case.yaml").read_text(encoding="utf-8"))["args"]
                  and (case / "traces").is_dir() and any((case / "traces").iterdir())
                  and all(p.suffix == ".jsonl" for p in (case / "traces").iterdir()))


@pytest.mark.parametrize("case", _default_as_of_jsonl_cases())
@pytest.mark.parametrize("baseline", ["baseline_duckdb.py", "baseline_polars.py", "baseline_pandas.py"])
def test_a_baseline_counts_what_the_tool_counts(case: str, baseline: str) -> None:
    folder = CASES / case
    tool = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    done = subprocess.run([sys.executable, str(BENCHMARKS / baseline), str(folder)], capture_output=True,
                          text=True, check=True, cwd=BENCHMARKS, timeout=300)
    assert differences(tool_counts(tool), baseline_counts(json.loads(done.stdout))) == []
