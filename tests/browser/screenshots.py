"""The web pages' screenshots in docs/ (README, « Pages web »), from the same world as the browser tests:
`.venv/bin/python tests/browser/screenshots.py [OUT]` (default: docs/). Not a test: run it by hand after a change
of the pages, and look at the pictures."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
for helpers in ("registry", "web", "e2e"):
    sys.path.insert(0, str(HERE.parent / helpers))
sys.path.insert(0, str(HERE))

from browsing import ARGS, CHROMIUM  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from preserie_cli import serving_registry  # noqa: E402
from registry_walk import serving  # noqa: E402
from web_world import PASSWORD, folders, populate  # noqa: E402


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        data = base / "data"
        with serving(f"sqlite:///{data / 'registry.db'}", data) as world:
            parties = populate(world, folders(base, hostile=False), hostile=False)
        with serving_registry(data, base / "serve.log") as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{url}/connexion")
            page.fill("#identifiant", parties.logins["cnam"])
            page.screenshot(path=str(out / "web-connexion.png"))
            page.fill("#mot_de_passe", PASSWORD)
            page.click("form[action='/connexion'] button[type=submit]")
            page.wait_for_load_state()
            page.screenshot(path=str(out / "web-pilots.png"))
            page.goto(f"{url}/pilotes/{parties.pilots['a_running']}")
            page.screenshot(path=str(out / "web-pilot.png"), full_page=True)
            browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "docs")
