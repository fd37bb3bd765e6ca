"""The web pages' screenshots in docs/ (README, « Pages web »), from the same world as the browser tests:
`.venv/bin/python tests/browser/screenshots.py [OUT]` (default: docs/). Not a test: run it by hand after a change
of the pages, and look at the pictures."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

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
            page.goto(f"{url}/pilotes/{parties.pilots['a_running']}/etapes")
            page.screenshot(path=str(out / "web-steps.png"), full_page=True)
            vendor = browser.new_page(viewport={"width": 1280, "height": 800})
            forms(vendor, url, parties, out)
            browser.close()


def forms(page: Any, url: str, parties: Any, out: Path) -> None:
    """The vendor's forms: the declaration after « Vérifier le dossier », a refused form, an anomaly's page."""
    page.goto(f"{url}/connexion")
    page.fill("#identifiant", parties.logins["vendor_a"])
    page.fill("#mot_de_passe", PASSWORD)
    page.click("form[action='/connexion'] button[type=submit]")
    page.wait_for_load_state()
    draft = parties.pilots["a_draft"]
    page.goto(f"{url}/pilotes/{draft}/declaration")
    page.fill("#cpams", "33, 99")
    with page.expect_navigation():
        page.click("button[value=verifier]")
    page.screenshot(path=str(out / "web-declaration.png"), full_page=True)
    running = parties.pilots["a_running"]
    page.goto(f"{url}/pilotes/{running}/anomalies/nouvelle")
    page.fill("#id", "")
    page.fill("#summary", "Création refusée après la mise à jour du lecteur de carte")
    with page.expect_navigation():
        page.get_by_role("button", name="Ouvrir l'anomalie").click()
    page.screenshot(path=str(out / "web-form-errors.png"))
    page.fill("#id", "ANO-101")
    page.fill("#opened_on", "2025-02-18")
    page.get_by_label("majeure", exact=True).check()
    page.get_by_label("logiciel", exact=True).check()
    page.select_option("#operation", "create")
    with page.expect_navigation():
        page.get_by_role("button", name="Ouvrir l'anomalie").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Prendre en compte").click()
    page.screenshot(path=str(out / "web-anomaly.png"), full_page=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "docs")
