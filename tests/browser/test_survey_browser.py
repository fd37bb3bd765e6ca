"""The doctors' questionnaire in a real browser (Debian's Chromium, driven by Playwright) against a real `preserie
serve`: a doctor answers from the link in a webmail on a 390-pixel-wide screen and the pilot's C5 changes; a
doctor answers with the keyboard only; errors are announced and tied to their questions; a comment holding
markup stays text wherever it is shown; axe-core finds no serious or critical violation on any survey page.

The pilot is walked through the service's API as the registry tests walk theirs (tests/registry/registry_walk.py),
three of its users' answers left out of its survey.csv: one doctor per test."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

HERE = Path(__file__).parent
sys.path[:0] = [str(HERE.parent / "registry"), str(HERE.parent / "e2e")]
from preserie_cli import run, serving_registry  # noqa: E402
from registry_walk import World, walk  # noqa: E402

from preserie.simulate import write_pilot  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = HERE / "vendor" / "axe.min.js"
SCREENSHOT = HERE.parents[1] / "docs" / "web-survey.png"
WEBMAIL = "https://webmail.example/boite"  # another site: the link is followed from it, as from an e-mail
MARKUP = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> & « merci »'

if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Chromium for the browser tests: .ci/run installs Debian's chromium")
    pytest.skip("Chromium is not installed here (apt-get install -y chromium)", allow_module_level=True)


def _token(data: Path, *args: str) -> str:
    made = run("accounts", "create", *args, "--data", str(data))
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A présérie under way today, walked to its traces through a served registry; links for three doctors."""
    root = tmp_path_factory.mktemp("survey-browser")
    today = dt.date.today()
    folder = root / "pilot"
    write_pilot(folder, seed=41, records=1500, weeks=6, start=today - dt.timedelta(days=today.weekday() + 28))
    rows = list(csv.DictReader((folder / "survey.csv").open(encoding="utf-8")))
    doctors = list(dict.fromkeys(r["practitioner"] for r in rows))[:3]
    with (folder / "survey.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["practitioner"] not in doctors)
    data = root / "data"
    tokens = {"vendor": _token(data, "--role", "vendor", "--vendor", "Simulé SAS", "--name", "Éditeur"),
              "cnam": _token(data, "--role", "cnam", "--name", "Cnam")}
    with serving_registry(data, root / "serve.log") as url, httpx.Client(base_url=url, timeout=120) as client:
        world = World(client, None, None, tokens)  # type: ignore[arg-type]  # walk() only calls the API
        key = walk(world, folder, "traced")
        made = world.call("vendor", "POST", f"/pilots/{key}/survey/invitations", json={"practitioners": doctors})
        assert made.status_code == 201, made.text
        links = {i["practitioner"]: i["url"] for i in made.json()["invitations"]}
        yield {"url": url, "key": key, "world": world, "links": [links[d] for d in doctors], "doctors": doctors,
               "log": root / "serve.log"}
    assert not any(link.rsplit("/", 1)[1] in (root / "serve.log").read_text() for link in links.values())


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def satisfaction(service: dict[str, Any]) -> dict[str, Any]:
    answer = service["world"].call("cnam", "GET", f"/pilots/{service['key']}/assessment")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["criteria"]["satisfaction"])


def from_webmail(page: Any, link: str) -> None:
    """Follow ``link`` from a webmail's page (another site), as a doctor clicks it in an e-mail."""
    page.route(WEBMAIL, lambda route: route.fulfill(
        content_type="text/html", body=f'<!doctype html><html lang="fr"><title>Courrier</title>'
                                       f'<a id="lien" href="{link}">Répondre au questionnaire</a></html>'))
    page.goto(WEBMAIL)
    page.click("#lien")
    page.wait_for_url("**/questionnaire")


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page (WCAG 2.1 A and AA, best practices)."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("async () => { const r = await axe.run(document); "
                            "return {violations: r.violations, passes: r.passes.length}; }")
    assert results["passes"] > 10  # axe ran its rules on the page
    found = results["violations"]
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
            for v in found if v["impact"] in ("serious", "critical")]


def test_a_doctor_answers_from_the_link_on_a_390_pixel_wide_screen_and_c5_changes(
        service: dict[str, Any], browser: Any) -> None:
    doctor = service["doctors"][0]
    before = satisfaction(service)
    assert doctor in before["missing"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale="fr-FR")
    page = context.new_page()
    from_webmail(page, service["links"][0])
    assert page.url == service["url"] + "/questionnaire"  # the token is out of the address bar
    page.go_back()
    assert page.url == WEBMAIL  # and out of the history: its page was replaced by the form
    page.go_forward()
    assert page.url == service["url"] + "/questionnaire"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.title() == "Votre avis sur l'ordonnance numérique — Questionnaire de la présérie"
    for score, value in (("ease", 4), ("speed", 3), ("integration", 4), ("training", 5), ("support", 4)):
        page.click(f"label[for={score}-{value}]")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("label[for=overall-4]")
    page.click("label[for=blocking_issue-non]")
    page.fill("#comment", "Plus rapide que le papier une fois l'habitude prise.")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Merci de votre réponse"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
    after = satisfaction(service)
    assert doctor not in after["missing"] and after["responses"] == before["responses"] + 1


def test_a_doctor_answers_with_the_keyboard_only(service: dict[str, Any], browser: Any) -> None:
    doctor = service["doctors"][1]
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    from_webmail(page, service["links"][1])
    keys = page.keyboard
    keys.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.textContent") == "Aller au questionnaire"
    for score in ("ease", "speed", "integration", "training", "support", "overall"):
        keys.press("Tab")
        assert page.evaluate("document.activeElement.id") == f"{score}-1"
        keys.press("Space")
        for _ in range(3):
            keys.press("ArrowRight")  # to « 4 »
        assert page.evaluate("document.activeElement.id") == f"{score}-4"
    keys.press("Tab")
    keys.press("Space")
    keys.press("ArrowRight")  # « Non »
    assert page.evaluate("document.activeElement.id") == "blocking_issue-non"
    keys.press("Tab")  # the blocking issue's description
    keys.press("Tab")
    assert page.evaluate("document.activeElement.id") == "comment"
    keys.type("Tout au clavier.")
    keys.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Envoyer mes réponses"
    keys.press("Enter")
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Merci de votre réponse"
    context.close()
    answers = service["world"].call("cnam", "GET", f"/pilots/{service['key']}/survey-answers").json()
    mine = [a for a in answers if a["practitioner"] == doctor]
    assert [(a["ease"], a["overall"], a["blocking_issue"], a["comment"]) for a in mine] == [
        (4, 4, False, "Tout au clavier.")]


def test_errors_are_announced_markup_stays_text_and_axe_finds_nothing_serious(
        service: dict[str, Any], browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)  # to inject axe
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(service["links"][2])  # the opening page itself, before its refresh moves on
    page.wait_for_url("**/questionnaire")
    found["form"] = violations(page)
    page.click("label[for=ease-5]")
    page.fill("#comment", MARKUP)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()
    assert page.locator("#comment").input_value() == MARKUP
    assert "Brouillon enregistré le" in page.get_by_role("status").first.inner_text()
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert")
    assert page.title().startswith("Erreur : ")
    assert page.evaluate("document.activeElement.className") == "error-summary"  # announced and focused
    assert summary.get_by_role("listitem").count() == 6  # five scores and the blocking issue
    described = page.locator("fieldset.scale.invalid").first
    assert described.get_attribute("aria-describedby") == "speed-error"
    assert "choisir une note de 1 à 5" in page.locator("#speed-error").inner_text()
    assert page.locator("#ease-5").is_checked() and page.locator("#comment").input_value() == MARKUP
    found["errors"] = violations(page)
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "speed-1"
    for score in ("speed", "integration", "training", "support", "overall"):
        page.click(f"label[for={score}-3]")
    page.click("label[for=blocking_issue-oui]")
    page.fill("#blocking_issue_text", MARKUP)
    page.get_by_role("button", name="Envoyer mes réponses").click()
    page.wait_for_load_state()
    assert page.locator(".recap .quote").last.inner_text() == MARKUP
    assert page.locator("main img, main script").count() == 0
    found["thanks"] = violations(page)
    assert page.evaluate("window.__xss") is None
    report = browser.new_context(extra_http_headers={"Authorization": f"Bearer {service['world'].tokens['cnam']}"})
    shown = report.new_page()
    shown.goto(f"{service['url']}/api/v1/pilots/{service['key']}/report.html")
    quoted = shown.locator("body").inner_text()  # French typography there: « merci » gets its narrow spaces
    assert MARKUP.split(" & ")[0] in quoted and shown.evaluate("window.__xss") is None
    report.close()
    page.goto(service["links"][2])  # the link again in the same browser: its cookie stands, the thanks again
    assert page.get_by_role("heading", level=1).inner_text() == "Merci de votre réponse"
    context.close()
    elsewhere = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = elsewhere.new_page()
    page.goto(service["links"][2])  # opened already, from another browser: refused, politely
    assert page.get_by_role("heading", level=1).inner_text() == "Lien déjà ouvert"
    found["refused"] = violations(page)
    elsewhere.close()
    assert found == {"form": [], "errors": [], "thanks": [], "refused": []}
