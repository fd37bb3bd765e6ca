"""The pages by role, in process: each party sees exactly the pilots the JSON API gives it, another party's pilot
is the same 404 page as none, a CPAM's page is its zone's, a page reads the kept bilan (the engine does not run
for a view), free texts are shown as text, and the downloads are the CLI's own files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_walk import World, serving
from web_world import (
    COMMENT_B,
    NONEXISTENT,
    SUMMARY_B,
    VENDOR_B,
    VISIBLE,
    Parties,
    folders,
    populate,
    signed_in,
)

from preserie.report.downloads import csv_tables, report_html, workbook
from preserie.services import bilan


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Parties]]:
    base = tmp_path_factory.mktemp("web-pages")
    with serving(f"sqlite:///{base / 'registry.db'}", base / "data") as world:
        yield world, populate(world, folders(base))


def _as(built: tuple[World, Parties], who: str):  # type: ignore[no-untyped-def]
    return signed_in(*built, who)


def _keys_listed(html: str) -> set[str]:
    return set(re.findall(r'href="/pilotes/([0-9a-f]{16})"', html))


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_party_lists_exactly_the_pilots_the_api_gives_it(built: tuple[World, Parties], who: str) -> None:
    world, parties = built
    page = _as(built, who).get("/pilotes")
    assert page.status_code == 200
    expected = {parties.pilots[name] for name in VISIBLE[who]}
    assert _keys_listed(page.text) == expected
    api = world.call(who, "GET", "/pilots").json()
    assert {p["id"] for p in api} == expected  # the same rule, not a second one


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_another_party_s_pilot_is_the_same_404_page_as_none(built: tuple[World, Parties], who: str) -> None:
    _, parties = built
    client = _as(built, who)
    nowhere = client.get(f"/pilotes/{NONEXISTENT}")
    assert nowhere.status_code == 404 and "Page introuvable" in nowhere.text
    for name, key in parties.pilots.items():
        if name in VISIBLE[who]:
            assert client.get(f"/pilotes/{key}").status_code == 200
            continue
        for path in (f"/pilotes/{key}", f"/pilotes/{key}/rapport.pdf", f"/pilotes/{key}/exports/sommaire.csv"):
            hidden = client.get(path)
            assert hidden.status_code == 404 and hidden.content == nowhere.content, (name, path)
    assert client.get("/pilotes/n-importe-quoi").content == nowhere.content
    assert client.get("/pilotes/abc/rien/ici").content == nowhere.content


def test_a_cpam_reads_its_zone_and_the_decision_not_the_whole_bilan(built: tuple[World, Parties]) -> None:
    world, parties = built
    client = _as(built, "cpam_33")
    key = parties.pilots["a_validated"]
    page = client.get(f"/pilotes/{key}")
    assert page.status_code == 200
    assert "Votre zone\u00a0: département 33" in page.text and "Décision de la Cnam\u00a0: généralisation" in page.text
    assert "Les cinq critères du bilan" not in page.text and "rapport.pdf" not in page.text
    zone = {p["id"] for p in world.call("cpam_33", "GET", f"/pilots/{key}/practitioners").json()}
    others = {p["id"] for p in world.call("cnam", "GET", f"/pilots/{key}/practitioners").json()} - zone
    assert zone and others
    assert all(ref in page.text for ref in zone) and not any(ref in page.text for ref in others)
    for path in ("rapport.html", "rapport.pdf", "bilan.xlsx", "exports/sommaire.csv"):
        refused = client.get(f"/pilotes/{key}/{path}")
        assert refused.status_code == 403 and "Accès refusé" in refused.text


def test_a_vendor_s_page_shows_the_bilan_its_cards_and_each_doctor_s_weeks(built: tuple[World, Parties]) -> None:
    world, parties = built
    key = parties.pilots["a_running"]
    page = _as(built, "vendor_a").get(f"/pilotes/{key}")
    html = page.text
    assert page.status_code == 200
    assert re.search(r'<section class="banner (deploy|extend|interim)"', html)
    assert html.count('<article class="card') == 5
    result = bilan.assessment(world.registry, _caller(world, "vendor_a"), key).assessment
    doctors = result.criteria.usage_rate.practitioners
    assert len(re.findall(r"<title>Taux hebdomadaire d(?:&#x27;|')ordonnances numériques de", html)) == len(doctors)
    week = doctors[0].weekly[0]
    assert f"{week.digital} ordonnance(s) numérique(s) sur {week.total} prescription(s)" in html  # hover: <title>
    assert "IC 95\u00a0%" in html or "IC 95 %" in html
    assert "Extrait du registre national\u00a0: dernier dépôt le" in html
    assert "Taux de réponse\u00a0:" in html and "Postes et derniers lots" in html
    assert "Traces désactivées" not in html


def test_the_answers_a_later_one_replaced_are_marked_and_only_they(built: tuple[World, Parties]) -> None:
    world, parties = built
    key = parties.pilots["a_running"]
    html = _as(built, "cnam").get(f"/pilotes/{key}").text
    answers = bilan.assessment(world.registry, _caller(world, "cnam"), key).assessment.criteria.satisfaction.answers
    shown = [a for a in answers if a.has_words]
    replaced = [a for a in shown if not a.counted]
    assert replaced and len(replaced) < len(shown)
    assert html.count("(remplacée par une réponse ultérieure)") == len(replaced)


def _caller(world: World, who: str):  # type: ignore[no-untyped-def]
    from preserie.services.accounts import authenticate

    return authenticate(world.registry.repo, world.settings.secret(), world.tokens[who])


def test_a_page_view_reads_the_kept_bilan_and_never_runs_the_engine_again(built: tuple[World, Parties]) -> None:
    world, parties = built
    client = _as(built, "cnam")
    key = parties.pilots["a_running"]
    client.get(f"/pilotes/{key}").raise_for_status()
    runs = world.registry.cache.computations
    for _ in range(3):
        client.get(f"/pilotes/{key}").raise_for_status()
    _as(built, "gie").get(f"/pilotes/{key}").raise_for_status()
    assert world.registry.cache.computations == runs


def test_a_validated_pilot_says_its_traces_are_switched_off(built: tuple[World, Parties]) -> None:
    _, parties = built
    for who in ("vendor_a", "cnam", "cpam_33"):
        html = _as(built, who).get(f"/pilotes/{parties.pilots['a_validated']}").text
        assert "Traces désactivées\u00a0: la présérie est validée." in html


def test_free_texts_are_shown_as_text_never_as_markup(built: tuple[World, Parties]) -> None:
    _, parties = built
    for who in ("vendor_b", "cnam"):
        client = _as(built, who)
        for path in ("/pilotes", f"/pilotes/{parties.pilots['b_running']}"):
            html = client.get(path).text
            for markup in (VENDOR_B, SUMMARY_B, COMMENT_B, "<b>Éditeur B</b>"):
                assert markup not in html
            assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html  # vendor B's name, escaped
    page = _as(built, "vendor_b").get(f"/pilotes/{parties.pilots['b_running']}").text
    assert "&lt;script&gt;alert(&#34;anomalie&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt; très bien" in page
    assert "&lt;b&gt;Éditeur B&lt;/b&gt;" in page  # the account's name in the header


def test_the_downloads_are_the_files_the_cli_makes(built: tuple[World, Parties], tmp_path: Path) -> None:
    world, parties = built
    key = parties.pilots["a_running"]
    client = _as(built, "gie")
    run = bilan.assessment(world.registry, _caller(world, "gie"), key)
    html = client.get(f"/pilotes/{key}/rapport.html")
    assert html.content == report_html(run.assessment, run.pilot)
    assert html.content == world.call("gie", "GET", f"/pilots/{key}/report.html").content
    assert "sandbox" in html.headers["content-security-policy"]  # the report styles itself, runs nothing
    pdf = client.get(f"/pilotes/{key}/rapport.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/pilotes/{key}/bilan.xlsx").content[:2] == b"PK" == workbook(run.assessment)[:2]
    tables = csv_tables(run.assessment)
    page = client.get(f"/pilotes/{key}").text
    for name, content in tables.items():
        assert f"/pilotes/{key}/exports/{name}.csv" in page
        assert client.get(f"/pilotes/{key}/exports/{name}.csv").content == content
    assert client.get(f"/pilotes/{key}/exports/inconnue.csv").status_code == 404


def test_every_page_carries_the_security_headers(built: tuple[World, Parties]) -> None:
    _, parties = built
    client = _as(built, "cnam")
    for path in ("/pilotes", f"/pilotes/{parties.pilots['a_running']}", f"/pilotes/{NONEXISTENT}",
                 "/static/preserie.css"):
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'"), path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    shown = client.get(f"/pilotes/{parties.pilots['a_running']}")
    assert re.fullmatch(r"page;dur=[0-9.]+", shown.headers["server-timing"])  # benchmarks/web_pages.py reads it
    assert "server-timing" not in client.get("/api/v1/health").headers
    page = shown.text
    assert "<script" not in page and " style=" not in page
    assert not re.search(r'(src|href|action)="(https?:)?//', page)  # nothing from another site


def test_a_draft_s_page_is_an_interim_bilan_that_says_what_is_missing(built: tuple[World, Parties]) -> None:
    _, parties = built
    page = _as(built, "vendor_a").get(f"/pilotes/{parties.pilots['a_draft']}")
    assert page.status_code == 200
    banner = page.text.split('<section class="banner interim"', 1)[1].split("</section>", 1)[0]
    assert "Bilan intermédiaire" in banner and "Ce qui manque encore" in banner and "<li>" in banner
    assert "au —" not in banner


def test_a_blocking_anomaly_is_an_alert_on_the_list_and_the_page_until_it_is_closed(
        built: tuple[World, Parties]) -> None:
    world, parties = built
    key = parties.pilots["a_running"]
    base = f"/pilots/{key}/anomalies"
    made = world.call("vendor_a", "POST", base, json={
        "id": "ANO-900", "opened_on": "2025-02-20", "severity": "blocking", "origin": "software",
        "operation": "create", "summary": "Création impossible après la mise à jour"})
    assert made.status_code == 201, made.text
    vendor, cnam = _as(built, "vendor_a"), _as(built, "cnam")
    alerts = _alerts_box(vendor.get(f"/pilotes/{key}").text)
    assert "Anomalie bloquante ouverte" in alerts and "ANO-900" in alerts and "À faire" in alerts, alerts
    assert alerts.index('class="fail"') == alerts.index("<li ")  + len("<li ")  # those to act on first
    assert "Anomalie bloquante ouverte" in cnam.get("/pilotes").text
    world.call("vendor_a", "POST", f"{base}/ANO-900/acknowledge").raise_for_status()
    world.call("vendor_a", "POST", f"{base}/ANO-900/close", json={"closed_on": "2025-02-21"}).raise_for_status()
    assert "ANO-900" not in _alerts_box(vendor.get(f"/pilotes/{key}").text)


def _alerts_box(html: str) -> str:
    """The pilot page's box of alerts ("" when there is none)."""
    start = html.find('<section class="alerts"')
    return "" if start < 0 else html[start:html.index("</section>", start)]


def test_a_page_view_reads_each_of_the_pilot_s_tables_once_and_the_next_view_reads_them_again(
        built: tuple[World, Parties]) -> None:
    from sqlalchemy import event

    world, parties = built
    key = parties.pilots["a_running"]
    client = _as(built, "cnam")
    client.get(f"/pilotes/{key}").raise_for_status()  # the kept bilan made
    tables: list[str] = []

    def _read(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.startswith("SELECT"):
            tables.append(re.search(r"\bFROM (\w+)", statement).group(1))  # type: ignore[union-attr]

    engine = world.registry.repo.engine
    event.listen(engine, "before_cursor_execute", _read)
    try:
        assert "ANO-910" not in client.get(f"/pilotes/{key}").text
        once = list(tables)
        world.call("vendor_a", "POST", f"/pilots/{key}/anomalies", json={
            "id": "ANO-910", "opened_on": "2025-02-20", "severity": "minor", "origin": "software",
            "operation": "search", "summary": "Lenteur de la recherche"}).raise_for_status()
        tables.clear()
        assert "ANO-910" in client.get(f"/pilotes/{key}").text  # read again: nothing kept from the last view
    finally:
        event.remove(engine, "before_cursor_execute", _read)
    repeated = {t for t in once if once.count(t) > 1 and t != "practitioners"}  # the zone and the list: 2 queries
    assert not repeated and once.count("practitioners") <= 2, once
    assert "anomalies" in tables


def test_a_page_view_is_in_the_audit_log_under_its_route_and_pilot(built: tuple[World, Parties]) -> None:
    world, parties = built
    key = parties.pilots["b_running"]
    _as(built, "cpam_69").get(f"/pilotes/{key}").raise_for_status()
    _as(built, "cpam_33").get(f"/pilotes/{key}")  # not its zone's: a 404, written down too
    entries = world.call("cnam", "GET", "/audit", params={"limit": 50}).json()
    seen = [{k: e[k] for k in ("role", "route", "pilot", "status")} for e in entries]
    assert {"role": "cpam", "route": "/pilotes/{pilot}", "pilot": key, "status": 200} in seen
    assert {"role": "cpam", "route": "/pilotes/{pilot}", "pilot": key, "status": 404} in seen


def _cards_of(html: str) -> dict[str, str]:
    return dict((card, state) for state, card in re.findall(
        r'<article class="card (card-met|card-unmet)" aria-labelledby="card-([a-z_]+)"', html))


def test_the_bilan_s_part_rendered_once_is_rendered_again_when_the_kept_bilan_changes(
        built: tuple[World, Parties]) -> None:
    """The bilan's part of the page is rendered once per kept bilan (pilot_view._kept_view): the next bilan, after
    a change of the pilot's facts, is shown at the next view, and the extract's freshness is the page's own."""
    world, parties = built
    key = parties.pilots["b_running"]
    client = _as(built, "gie")
    first = client.get(f"/pilotes/{key}").text
    assert client.get(f"/pilotes/{key}").text == first and _cards_of(first)["operations"] == "card-met"
    assert first.count('<p class="freshness">') == 1 and "kept-" not in first
    world.call("vendor_b", "POST", f"/pilots/{key}/anomalies", json={
        "id": "ANO-930", "opened_on": "2025-02-20", "severity": "blocking", "origin": "software",
        "operation": "create", "summary": "Création impossible"}).raise_for_status()
    assessed = world.call("gie", "GET", f"/pilots/{key}/assessment").json()
    after = client.get(f"/pilotes/{key}").text
    assert _cards_of(after)["operations"] == ("card-met" if assessed["criteria"]["operations"]["met"]
                                              else "card-unmet") == "card-unmet"
    assert after.count('<p class="freshness">') == 1 and "kept-" not in after
