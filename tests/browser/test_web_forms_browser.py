"""The editing forms in a real browser (Debian's Chromium) against a real `preserie serve` on 127.0.0.1: a vendor
fixes a dossier error in the declaration's form and sees the check turn green; an anomaly opened, acknowledged and
closed through the forms changes C3 and the anomaly's timeline on the pilot's page; axe-core finds nothing serious
on any form page, errors shown or not; what is typed with markup stays text; a form posted from another site is
refused; no request leaves 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from browsing import Served, other_site
from test_web_browser import _axe_violations, browsing, sign_in

MARKUP = '<img src=x onerror="alert(5)"><script>alert(6)</script>'
DOCTORS = ("330234642", "449144666", "335250528", "449717925", "333325850")


def _loopback_only(served: Served, requested: list[str]) -> None:
    assert requested and all(url.startswith(served.url + "/") for url in requested), requested


def _check(page: Any, check: str) -> str:
    return str(page.locator(f"#controle-{check}").get_attribute("class"))


def test_a_vendor_fixes_a_dossier_error_in_the_form_and_sees_the_check_turn_green(chromium: Any,
                                                                                  served: Served) -> None:
    with browsing(chromium, served) as (page, requested):
        sign_in(page, served, served.parties.logins["vendor_a"])
        page.click("text=Déclarer une présérie")
        page.fill("#id", "navigateur-2025-01")
        page.fill("#cpams", "33, 99")
        page.fill("#software-name", "Logiciel du navigateur")
        page.fill("#software-version", "2.0")
        page.fill("#software-cnda_authorization", "CNDA-ON-2025-002")
        for box in ("#readiness-support", "#readiness-installation_and_training", "#readiness-kit"):
            page.check(box)
        page.fill("#technical_prerequisites", "Windows 11")
        for row, ref in enumerate(DOCTORS):
            page.fill(f"#practitioners-{row}-id", ref)
            page.fill(f"#practitioners-{row}-cpam", "33")
            page.select_option(f"#practitioners-{row}-practice", "group")
            page.check(f"#practitioners-{row}-equipped")
        with page.expect_navigation():
            page.click("button[value=verifier]")
        assert _check(page, "cpam_referent") == "check-fail"
        assert "99" in page.locator("#controle-cpam_referent").inner_text()
        assert page.evaluate("document.activeElement.className") == "checks-panel"  # the checks, announced
        page.fill("#cpams", "33")  # the fix
        with page.expect_navigation():
            page.click("button[value=verifier]")
        assert _check(page, "cpam_referent") == "check-pass"
        green = page.locator("#controle-cpam_referent .check-state").evaluate("e => getComputedStyle(e).color")
        assert green == "rgb(27, 94, 32)"  # --ok
        with page.expect_navigation():
            page.click("button[value=enregistrer]")
        assert "/declaration?fait=declaree" in page.url
        assert "Présérie déclarée" in page.locator("main").inner_text()
        assert _check(page, "cpam_referent") == "check-pass"
    _loopback_only(served, requested)


def _c3(page: Any) -> str:
    return str(page.locator("#card-operations ~ p.state").inner_text())


def test_an_anomaly_opened_acknowledged_and_closed_changes_c3_and_the_timeline(chromium: Any,
                                                                               served: Served) -> None:
    key = served.parties.pilots["a_running"]
    dialogs: list[str] = []
    with browsing(chromium, served) as (page, requested):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, served, served.parties.logins["vendor_a"])
        page.goto(f"{served.url}/pilotes/{key}")
        assert _c3(page) == "atteint"
        page.click("nav.offers >> text=Ouvrir une anomalie")
        page.fill("#id", "ANO-NAV-1")
        page.fill("#opened_on", "2025-02-20")
        page.get_by_label("bloquante", exact=True).check()
        page.get_by_label("logiciel", exact=True).check()
        page.select_option("#operation", "create")
        page.fill("#summary", MARKUP + " création impossible")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Ouvrir l'anomalie"
        with page.expect_navigation():
            page.keyboard.press("Enter")  # the keyboard submits it
        anomaly = page.url.split("?")[0]
        assert "Anomalie ouverte." in page.locator("main").inner_text()
        assert MARKUP in page.locator("main .quote").inner_text() and page.locator("main img").count() == 0
        page.goto(f"{served.url}/pilotes/{key}")
        assert _c3(page) == "non atteint"
        row = page.locator("tr", has=page.locator("a", has_text="ANO-NAV-1"))
        assert row.get_attribute("class") == "open-blocking"
        assert "Anomalie bloquante ouverte" in page.locator("section.alerts").inner_text()
        page.goto(anomaly)
        take = page.get_by_role("button", name="Prendre en compte")
        assert take.count() == 1, (anomaly, page.locator("main").inner_text()[:1500])
        with page.expect_navigation():
            take.click()
        assert "Anomalie prise en compte." in page.locator("main").inner_text()
        page.fill("#closed_on", "2025-02-19")
        with page.expect_navigation():
            page.get_by_role("button", name="Clore l'anomalie").click()
        error = page.locator("#closed_on-erreur").inner_text()
        assert "antérieure" in error and page.locator(".error-summary a[href='#closed_on']").count() == 1
        assert "closed_on-erreur" in str(page.locator("#closed_on").get_attribute("aria-describedby"))
        page.fill("#closed_on", "2025-02-24")
        with page.expect_navigation():
            page.get_by_role("button", name="Clore l'anomalie").click()
        assert "Anomalie close." in page.locator("main").inner_text()
        page.goto(f"{served.url}/pilotes/{key}")
        assert _c3(page) == "atteint"
        tip = page.locator("#anomalies ~ figure svg title", has_text="ANO-NAV-1").text_content()
        assert "close le 24" in tip and "prise en compte" in tip
        spans = page.locator("#anomalies ~ figure svg g", has=page.locator("title", has_text="ANO-NAV-1"))
        assert spans.locator("rect[fill='#ef6c00']").count() == 1  # waiting, from its opening to its closing
    assert dialogs == []
    _loopback_only(served, requested)


def _pages(served: Served) -> dict[str, list[str]]:
    parties = served.parties
    running, draft = parties.pilots["a_running"], parties.pilots["a_draft"]
    return {"vendor_a": ["/pilotes/nouvelle", f"/pilotes/{draft}/declaration", f"/pilotes/{draft}/etapes",
                         f"/pilotes/{running}/medecins/nouveau", f"/pilotes/{running}/anomalies/nouvelle",
                         f"/pilotes/{running}/etapes"],
            "cnam": [f"/pilotes/{running}/etapes", f"/pilotes/{running}/anomalies/nouvelle"],
            "cpam_33": [f"/pilotes/{running}/etapes"]}


def test_axe_finds_no_serious_or_critical_violation_on_any_form_page(chromium: Any, served: Served) -> None:
    key = served.parties.pilots["a_running"]
    problems = {}
    with browsing(chromium, served, bypass_csp=True) as (page, requested):  # the injected axe is an inline script
        for who, paths in _pages(served).items():
            sign_in(page, served, served.parties.logins[who])
            page.goto(f"{served.url}/pilotes/{key}")
            for link in ("medecins", "anomalies"):  # a doctor's page and an anomaly's, with their forms
                href = page.locator(f"a[href^='/pilotes/{key}/{link}/']:not([href$='nouveau']):not([href$='nouvelle'])"
                                    ).first.get_attribute("href")
                paths = [*paths, str(href)]
            for path in paths:
                page.goto(served.url + path)
                problems[f"{who} {path}"] = _axe_violations(page)
        sign_in(page, served, served.parties.logins["vendor_a"])
        page.goto(f"{served.url}/pilotes/nouvelle")
        page.fill("#practitioners-0-cpam", "3x")
        with page.expect_navigation():
            page.click("button[value=enregistrer]")  # refused: the errors beside their fields, and their summary
        assert page.locator(".error-summary").count() == 1
        assert page.evaluate("document.activeElement.className") == "error-summary"
        problems["vendor_a /pilotes/nouvelle (erreurs)"] = _axe_violations(page)
        page.goto(f"{served.url}/pilotes/{key}/anomalies/nouvelle")
        page.fill("#id", "")
        with page.expect_navigation():
            page.get_by_role("button", name="Ouvrir l'anomalie").click()
        assert page.locator("#severity-erreur").count() == 1
        problems["vendor_a anomalie (erreurs)"] = _axe_violations(page)
    assert {where: found for where, found in problems.items() if found} == {}
    _loopback_only(served, requested)


@pytest.mark.parametrize("form", ["anomalies/nouvelle", "etapes/decision"])
def test_a_new_form_posted_from_another_site_is_refused(chromium: Any, served: Served, form: str) -> None:
    key = served.parties.pilots["a_running"]
    fields = {"csrf": "devine", "decision": "deploy", "id": "ANO-PIEGE"}
    with other_site(f"{served.url}/pilotes/{key}/{form}", fields) as site, browsing(chromium, served) as (page, _):
        sign_in(page, served, served.parties.logins["cnam"])
        page.goto(site)
        with page.expect_navigation():
            page.click("#go")
        assert page.locator("h1").inner_text() == "Formulaire refusé"
