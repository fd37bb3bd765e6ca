from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The test folders' helper modules (preserie_cli, registry_walk, teleservice_sandbox, web_world, browsing…) are
# importable from any test. pytest runs with --import-mode=importlib (pyproject): it puts no folder on sys.path
# itself, and a folder's conftest.py is imported under a name of its own, so none shadows another.
HERE = Path(__file__).parent
for folder in sorted(HERE.iterdir()):
    if folder.is_dir() and not folder.name.startswith((".", "_")) and folder.name != "cases":
        sys.path.append(str(folder))

collect_ignore_glob = ["cases/*.py"]  # the golden cases' builder, run by hand (make golden)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/cases/*/expected.json")
