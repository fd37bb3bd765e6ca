from __future__ import annotations

import pytest

collect_ignore_glob = ["cases/*.py"]  # the golden cases' builder, run by hand (make golden)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite tests/cases/*/expected.json")
