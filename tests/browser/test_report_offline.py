"""The HTML report in a real browser (Debian's Chromium, driven by Playwright): it opens offline, asks the
network for nothing, and shows the decision first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CASES = Path(__file__).parents[1] / "cases"

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium for the browser tests: .ci/run installs Debian's chromium")
    pytest.skip("Chromium is not installed here (apt-get install -y chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = subprocess.run([sys.executable, "-m", "preserie", "report", str(CASES / "anomaly_open_blocking"),
                           "-o", str(out), "--as-of", "2025-03-03"], capture_output=True, text=True, timeout=180)
    assert done.returncode == 1, done.stderr
    return out


def test_report_opens_offline_without_any_network_request(report: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(report.as_uri())
        page.wait_for_load_state("networkidle")
        assert page.title() == "Bilan de la présérie logimed-2025-01"
        assert page.locator(".decision.extend strong").inner_text() == "Décision\u00a0: prolongation de la présérie"
        assert page.locator("svg").count() == 8
        assert page.locator("svg").first.bounding_box()["width"] > 100  # charts are drawn, not empty
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert requested == [report.as_uri()]
    assert (tmp_path / "report.png").stat().st_size > 10_000


@pytest.mark.parametrize("width", [390, 1280])
def test_the_report_never_scrolls_sideways_on_a_phone_or_a_desktop(report: Path, width: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": width, "height": 900})
        page.goto(report.as_uri())
        page_width = page.evaluate("document.documentElement.scrollWidth")
        charts = page.evaluate("Math.max(...[...document.querySelectorAll('svg')]"
                               ".map(s => s.getBoundingClientRect().right))")
        browser.close()
    assert page_width <= width  # wide tables scroll inside themselves on a phone
    assert charts <= width
