"""The pages in a real browser (Debian's Chromium) against a real `preserie serve` on 127.0.0.1: each role signs in
and sees exactly its pilots, another party's pilot typed by hand is the page of a pilot that does not exist, no
request leaves 127.0.0.1, axe-core finds nothing serious, free texts stay text, and the sign-in's defences hold
(CSRF from another site, session fixation, a revoked account, lockout)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from browsing import AXE, Served, other_site
from web_world import NONEXISTENT, PASSWORD, VISIBLE

LOOPBACK = "http://127.0.0.1:"


@contextmanager
def browsing(chromium: Any, served: Served, **options: Any) -> Iterator[tuple[Any, list[str]]]:
    """A new context (its own cookies) whose every request is recorded (and let through)."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, **options)
    requested: list[str] = []

    def record(route: Any) -> None:
        requested.append(route.request.url)
        route.continue_()

    context.route("**/*", record)
    page = context.new_page()
    try:
        yield page, requested
    finally:
        context.close()


def sign_in(page: Any, served: Served, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{served.url}/connexion")
    page.fill("#identifiant", login)
    page.fill("#mot_de_passe", password)
    page.click("form[action='/connexion'] button[type=submit]")
    page.wait_for_load_state()


def listed_keys(page: Any) -> set[str]:
    hrefs = page.locator("table.pilots a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return {href.rsplit("/", 1)[1] for href in hrefs}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_signs_in_sees_its_pilots_and_another_s_is_not_found(chromium: Any, served: Served,
                                                                       who: str) -> None:
    parties = served.parties
    with browsing(chromium, served) as (page, requested):
        sign_in(page, served, parties.logins[who])
        assert page.url == f"{served.url}/pilotes"
        assert listed_keys(page) == {parties.pilots[name] for name in VISIBLE[who]}
        mine = sorted(VISIBLE[who])[0]
        page.click(f"a[href='/pilotes/{parties.pilots[mine]}']")
        assert page.locator("h1").inner_text().startswith(parties.refs[mine])
        answer = page.goto(f"{served.url}/pilotes/{NONEXISTENT}")
        assert answer.status == 404
        nowhere = page.locator("main").inner_text()
        for name, key in parties.pilots.items():
            if name not in VISIBLE[who]:  # typed by hand
                answer = page.goto(f"{served.url}/pilotes/{key}")
                assert answer.status == 404 and page.locator("main").inner_text() == nowhere
                assert parties.refs[name] not in page.content()
    assert requested and all(url.startswith(served.url + "/") for url in requested), requested


def test_a_week_s_figures_show_on_hover(chromium: Any, served: Served) -> None:
    with browsing(chromium, served) as (page, _):
        sign_in(page, served, served.parties.logins["cnam"])
        page.goto(f"{served.url}/pilotes/{served.parties.pilots['a_running']}")
        week = page.locator("#c1 ~ .charts svg g").first
        week.hover()
        tip = week.locator("title").text_content()
        assert tip.startswith("semaine du ") and "prescription(s)" in tip and "IC 95" in tip
        assert page.locator("#c1 ~ .charts svg").first.bounding_box()["width"] > 200


def _axe_violations(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))")
    return [v for v in found if v["impact"] in ("serious", "critical")]


def test_axe_finds_no_serious_or_critical_violation_on_any_page(chromium: Any, served: Served) -> None:
    parties = served.parties
    pages = {"vendor_a": ["/pilotes", f"/pilotes/{parties.pilots['a_running']}",
                          f"/pilotes/{parties.pilots['a_validated']}", f"/pilotes/{parties.pilots['a_draft']}",
                          f"/pilotes/{NONEXISTENT}"],
             "cpam_33": ["/pilotes", f"/pilotes/{parties.pilots['a_running']}"],
             "vendor_b": [f"/pilotes/{parties.pilots['b_running']}"]}
    problems = {}
    with browsing(chromium, served, bypass_csp=True) as (page, _):  # the injected axe is an inline script
        page.goto(f"{served.url}/connexion")
        problems["/connexion"] = _axe_violations(page)
        for who, paths in pages.items():
            sign_in(page, served, parties.logins[who])
            for path in paths:
                page.goto(served.url + path)
                problems[f"{who} {path}"] = _axe_violations(page)
    assert {where: found for where, found in problems.items() if found} == {}


@pytest.mark.parametrize("who", ["cnam", "cpam_33", "vendor_a"])
def test_on_a_390_pixel_wide_phone_no_table_of_a_pilot_scrolls_sideways(chromium: Any, served: Served,
                                                                        who: str) -> None:
    """Every table of a pilot's page, and the vendor's declaration form, reads as cards on a phone (class
    stacked): nothing of it is off the screen."""
    parties = served.parties
    paths = [f"/pilotes/{parties.pilots[name]}" for name in ("a_running", "a_validated")]
    if who == "vendor_a":
        paths.append(f"/pilotes/{parties.pilots['a_draft']}/declaration")
    with browsing(chromium, served) as (page, _):
        page.set_viewport_size({"width": 390, "height": 844})
        sign_in(page, served, parties.logins[who])
        for path in paths:
            page.goto(served.url + path)
            tables = page.locator("main table").count()
            wide = page.locator(".table-scroll").evaluate_all(
                "boxes => boxes.filter(b => b.scrollWidth > b.clientWidth + 1)"
                ".map(b => (b.querySelector('caption, th') || b).textContent.trim().slice(0, 60))")
            assert tables >= (1 if path.endswith("/declaration") else 3) and wide == [], (path, wide)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_free_texts_with_markup_stay_text(chromium: Any, served: Served) -> None:
    dialogs: list[str] = []
    with browsing(chromium, served) as (page, _):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, served, served.parties.logins["vendor_b"])
        assert "<b>Éditeur B</b>" in page.locator("header .who").inner_text()
        assert page.locator("header .who b").count() == 0
        page.goto(f"{served.url}/pilotes/{served.parties.pilots['b_running']}")
        text = page.locator("main").inner_text()
        assert '<script>alert("anomalie")</script>' in text and "<img src=x onerror=alert(2)>" in text
        assert page.locator("img").count() == 0 and page.locator("main script").count() == 0
    assert dialogs == []


def test_a_form_from_another_site_is_refused(chromium: Any, served: Served) -> None:
    with other_site(f"{served.url}/deconnexion", {"csrf": "devine"}) as site, browsing(chromium, served) as (page, _):
        sign_in(page, served, served.parties.logins["gie"])
        page.goto(site)
        with page.expect_navigation():
            page.click("#go")
        assert page.locator("h1").inner_text() == "Formulaire refusé"
        answer = page.goto(f"{served.url}/pilotes")  # still signed in: nothing was done
        assert answer.status == 200 and page.url == f"{served.url}/pilotes"


def test_a_session_id_planted_before_sign_in_is_never_the_session(chromium: Any, served: Served) -> None:
    planted = "P" * 43
    with browsing(chromium, served) as (page, _):
        page.context.add_cookies([{"name": "preserie_session", "value": planted, "url": served.url}])
        sign_in(page, served, served.parties.logins["cnam"])
        first = {c["name"]: c for c in page.context.cookies()}["preserie_session"]
        assert first["value"] != planted and first["httpOnly"] and first["sameSite"] == "Lax"
        sign_in(page, served, served.parties.logins["cnam"])
        second = {c["name"]: c["value"] for c in page.context.cookies()}["preserie_session"]
        assert second != first["value"]
    with browsing(chromium, served) as (page, _):  # the first session id, replayed elsewhere: gone
        page.context.add_cookies([{"name": "preserie_session", "value": first["value"], "url": served.url}])
        page.goto(f"{served.url}/pilotes")
        assert page.url.startswith(f"{served.url}/connexion")


def _cli(served: Served, *args: str, stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "preserie", "accounts", *args, "--data", str(served.data)],
                          input=stdin, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_a_revoked_account_is_signed_out_at_once(chromium: Any, served: Served) -> None:
    created = _cli(served, "create", "--role", "gie", "--name", "GIE à révoquer")
    number = created.split("compte n° ", 1)[1].split(" ", 1)[0]
    _cli(served, "password", "GIE à révoquer", stdin=PASSWORD + "\n")
    with browsing(chromium, served) as (page, _):
        sign_in(page, served, "GIE à révoquer")
        assert page.url == f"{served.url}/pilotes"
        _cli(served, "revoke", number)  # by the administrator, while the page is open
        page.reload()
        assert page.url.startswith(f"{served.url}/connexion")
        assert "Votre session a pris fin" in page.locator("main").inner_text()
        sign_in(page, served, "GIE à révoquer")
        assert "Compte révoqué" in page.locator("#erreur").inner_text()


def test_five_failures_lock_the_account(chromium: Any, served: Served) -> None:
    _cli(served, "create", "--role", "cnam", "--name", "Cnam verrouillée")
    _cli(served, "password", "Cnam verrouillée", stdin=PASSWORD + "\n")
    with browsing(chromium, served) as (page, _):
        for attempt in range(1, 6):
            sign_in(page, served, "Cnam verrouillée", "pas le bon")
            message = page.locator("#erreur").inner_text()
            assert ("verrouillé" in message) == (attempt == 5), (attempt, message)
        sign_in(page, served, "Cnam verrouillée")  # the right one, within the 15 minutes
        assert page.url.startswith(f"{served.url}/connexion")
        assert "verrouillé pour 15 minutes après 5 échecs" in page.locator("#erreur").inner_text()


def test_sign_out_ends_the_session(chromium: Any, served: Served) -> None:
    with browsing(chromium, served) as (page, _):
        sign_in(page, served, served.parties.logins["cpam_69"])
        cookie = {c["name"]: c["value"] for c in page.context.cookies()}["preserie_session"]
        page.click("text=Se déconnecter")
        page.wait_for_load_state()
        assert "Vous êtes déconnecté" in page.locator("main").inner_text()
        assert "preserie_session" not in {c["name"] for c in page.context.cookies()}
    with browsing(chromium, served) as (page, _):
        page.context.add_cookies([{"name": "preserie_session", "value": cookie, "url": served.url}])
        page.goto(f"{served.url}/pilotes")
        assert page.url.startswith(f"{served.url}/connexion")
