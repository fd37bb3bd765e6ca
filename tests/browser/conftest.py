"""Browser tests: Debian's Chromium driven by Playwright (sync API; never `playwright install`), and for the web
pages a real `preserie serve` on 127.0.0.1 over a registry built through the API (tests/web/web_world.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
for helpers in ("registry", "web", "e2e"):  # appended: each folder's own conftest.py stays the one it imports
    sys.path.append(str(HERE.parent / helpers))

from browsing import ARGS, CHROMIUM, Served  # noqa: E402 (after the helpers' folders are on the path)


def _chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            raise RuntimeError("CI needs Chromium for the browser tests: .ci/run installs Debian's chromium")
        pytest.skip("Chromium is not installed here (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session; each test opens its own contexts (their own cookies)."""
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The web world built through the API in process, then served by `preserie serve --data` in a process of
    its own on 127.0.0.1 (tests/e2e/preserie_cli.py)."""
    _chromium_or_skip()
    from preserie_cli import serving_registry
    from registry_walk import serving
    from web_world import folders, populate

    base = tmp_path_factory.mktemp("web-browser")
    data = base / "data"
    with serving(f"sqlite:///{data / 'registry.db'}", data) as world:
        parties = populate(world, folders(base))
    with serving_registry(data, base / "serve.log") as url:
        yield Served(url, data, parties)
