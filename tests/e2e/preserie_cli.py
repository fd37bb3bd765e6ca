"""Running the real command line in a fresh process, as a user would (shared by the end-to-end tests)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CASES = Path(__file__).parents[1] / "cases"


def run(*args: str, cwd: Path | None = None, timeout: int = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`preserie ARGS...`; a wide terminal so that rich never wraps what a test reads; `env`: variables to set
    (an empty value removes the variable)."""
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    environment = {name: value for name, value in environment.items() if value != ""}
    return subprocess.run([sys.executable, "-m", "preserie", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=environment)


def copy_case(name: str, dest: Path) -> Path:
    """A golden case's pilot folder, without its expectations, to change freely."""
    shutil.copytree(CASES / name, dest, ignore=shutil.ignore_patterns("case.yaml", "expected*"))
    return dest
