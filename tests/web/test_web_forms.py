"""The editing forms, in process: each calls the API's use case (the same rule, the same validation, its French
errors beside their field and in a summary), is offered only to whom the use case allows (a forged POST gets the
API's 403 or 404 page), refuses a form without its token or from another site, redirects after its work, and shows
what was typed as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from form_client import fields, submit, token
from registry_walk import World, serving
from web_world import NONEXISTENT, Parties, folders, populate, signed_in

MARKUP = '<script>alert("formulaire")</script><img src=x onerror=alert(3)>'
ESCAPED = "&lt;script&gt;alert(&#34;formulaire&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(3)&gt;"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, Parties]]:
    base = tmp_path_factory.mktemp("web-forms")
    with serving(f"sqlite:///{base / 'registry.db'}", base / "data") as world:
        yield world, populate(world, folders(base))


def _as(built: tuple[World, Parties], who: str):  # type: ignore[no-untyped-def]
    return signed_in(*built, who)


DECLARATION = {"id": "forme-2025-01", "planned_weeks": "6", "cpams": "33", "software.name": "Logiciel du formulaire",
               "software.version": "1.0", "software.cnda_authorization": "CNDA-ON-2025-001",
               "software.audience": "liberal", "software.market_share_percent": "2,5", "readiness.support": "on",
               "readiness.installation_and_training": "on", "readiness.kit": "on",
               "technical_prerequisites": "Windows 10 22H2 ou plus récent", "rows": "5"}
DOCTORS = ("330234642", "449144666", "335250528", "449717925", "333325850")


def _typed(cpam: str = "33", **changes: str) -> dict[str, str]:
    values = dict(DECLARATION, **changes)
    for row, ref in enumerate(DOCTORS):
        values.update({f"practitioners.{row}.id": ref, f"practitioners.{row}.situation": "liberal",
                       f"practitioners.{row}.cpam": cpam, f"practitioners.{row}.equipped": "on",
                       f"practitioners.{row}.practice": "group"})
    return values


def _checks(html: str) -> dict[str, str]:
    return dict((check, state) for state, check in re.findall(r'class="check-(\w+)" id="controle-(\w+)"', html))


def _declare(client: Any, ref: str) -> str:
    values = _typed(id=ref)
    done = submit(client, "/pilotes/nouvelle", "/pilotes/nouvelle", {**values, "action": "enregistrer"})
    assert done.status_code == 303, done.text[:2000]
    key = done.headers["location"].split("/")[2]
    assert done.headers["location"] == f"/pilotes/{key}/declaration?fait=declaree"
    return key


def test_verify_answers_the_dossier_checks_as_typed_and_saves_nothing(built: tuple[World, Parties]) -> None:
    world, _ = built
    client = _as(built, "vendor_a")
    assert 'href="/pilotes/nouvelle"' in client.get("/pilotes").text
    before = len(world.call("vendor_a", "GET", "/pilots").json())
    typed = submit(client, "/pilotes/nouvelle", "/pilotes/nouvelle", {**_typed(cpam="33", cpams="33, 99"),
                                                                       "action": "verifier"})
    assert typed.status_code == 200, typed.text.split("error-summary")[1][:1500]
    checks = _checks(typed.text)
    assert checks["cpam_referent"] == "fail" and checks["cnda_authorization"] == "pass"
    assert "Vérifié à l'instant, sans rien enregistrer" in typed.text
    fixed = client.post("/pilotes/nouvelle", data={**fields(typed, "/pilotes/nouvelle"), "cpams": "33",
                                                   "action": "verifier"})
    assert _checks(fixed.text)["cpam_referent"] == "pass"
    assert len(world.call("vendor_a", "GET", "/pilots").json()) == before  # nothing saved


def test_a_declared_pilot_is_the_api_s_and_its_edits_keep_what_the_form_does_not_show(
        built: tuple[World, Parties]) -> None:
    world, _ = built
    client = _as(built, "vendor_a")
    key = _declare(client, "forme-2025-02")
    page = client.get(f"/pilotes/{key}/declaration?fait=declaree")
    assert "Présérie déclarée" in page.text and 'role="status"' in page.text
    declared = world.call("vendor_a", "GET", f"/pilots/{key}/declaration").json()
    assert declared["software"]["market_share_percent"] == 2.5 and declared["cpams"] == ["33"]
    assert [p["id"] for p in declared["practitioners"]] == list(DOCTORS)
    api = world.call("vendor_a", "GET", f"/pilots/{key}/checks").json()["dossier"]
    assert _checks(page.text) == {c["check"]: c["status"] for c in api}  # the saved one's, as the API checks it
    changed = submit(client, f"/pilotes/{key}/declaration", f"/pilotes/{key}/declaration",
                     {"software.version": "1.1", "practitioners.4.id": "", "practitioners.4.cpam": "",
                      "action": "enregistrer"})
    assert changed.status_code == 303 and changed.headers["location"].endswith("?fait=enregistree")
    again = world.call("vendor_a", "GET", f"/pilots/{key}/declaration").json()
    assert again["software"]["version"] == "1.1" and len(again["practitioners"]) == 4  # the emptied row removed


def test_errors_are_beside_their_field_and_in_the_summary(built: tuple[World, Parties]) -> None:
    client = _as(built, "vendor_a")
    refused = submit(client, "/pilotes/nouvelle", "/pilotes/nouvelle",
                     {**_typed(), "id": "", "planned_weeks": "deux", "practitioners.2.cpam": "3x",
                      "action": "enregistrer"})
    assert refused.status_code == 422
    html = refused.text
    assert 'class="error-summary" role="alert"' in html
    for field in ("id", "planned_weeks", "practitioners-2-cpam"):
        assert f'id="{field}-erreur"' in html and f'href="#{field}"' in html, field
        tag = re.search(f'<(?:input|select)[^>]*id="{field}"[^>]*>', html)
        assert tag and f"{field}-erreur" in tag.group(0) and 'aria-invalid="true"' in tag.group(0), field
    assert "Entier attendu" in html and "format attendu" in html.lower()
    assert 'value="3x"' in html  # what was typed is kept


def test_only_a_vendor_sees_the_declaration_forms_and_a_forged_post_is_the_api_s_refusal(
        built: tuple[World, Parties]) -> None:
    _, parties = built
    draft = parties.pilots["a_draft"]
    cnam = _as(built, "cnam")
    assert 'href="/pilotes/nouvelle"' not in cnam.get("/pilotes").text
    for path in ("/pilotes/nouvelle",):
        assert cnam.get(path).status_code == 403
        forged = cnam.post(path, data={**_typed(), "csrf": token(cnam), "action": "enregistrer"})
        assert forged.status_code == 403 and "Accès refusé" in forged.text
    other = _as(built, "vendor_b")
    nowhere = other.get(f"/pilotes/{NONEXISTENT}")
    for path, target in ((f"/pilotes/{draft}/declaration", f"/pilotes/{draft}/declaration"),
                         (f"/pilotes/{draft}/etapes", f"/pilotes/{draft}/etapes/envoi"),
                         (f"/pilotes/{parties.pilots['a_running']}/anomalies/nouvelle",
                          f"/pilotes/{parties.pilots['a_running']}/anomalies/nouvelle")):
        assert other.get(path).content == nowhere.content, path
        forged = other.post(target, data={**_typed(), "csrf": token(other)})
        assert forged.status_code == 404 and forged.content == nowhere.content, target
    running = _as(built, "vendor_a").get(f"/pilotes/{parties.pilots['a_running']}/declaration")
    assert running.status_code == 409 and "en préparation" in running.text  # the life cycle's refusal


def test_every_new_form_refuses_a_post_without_its_token_or_from_another_site(built: tuple[World, Parties]) -> None:
    _, parties = built
    client = _as(built, "vendor_a")
    running, draft = parties.pilots["a_running"], parties.pilots["a_draft"]
    page = client.get(f"/pilotes/{running}")
    doctor = re.search(r'href="/pilotes/[0-9a-f]+/medecins/(\d+)"', page.text)
    anomaly = re.search(r'href="/pilotes/[0-9a-f]+/anomalies/(\d+)"', page.text)
    assert doctor and anomaly
    posts = ["/pilotes/nouvelle", f"/pilotes/{draft}/declaration", f"/pilotes/{draft}/etapes/envoi",
             *(f"/pilotes/{running}/etapes/{s}" for s in ("acceptation", "renvoi", "reunion", "decision",
                                                           "generalisation")),
             f"/pilotes/{running}/medecins/nouveau", f"/pilotes/{running}/medecins/{doctor.group(1)}",
             f"/pilotes/{running}/medecins/{doctor.group(1)}/installation",
             f"/pilotes/{running}/medecins/{doctor.group(1)}/formation", f"/pilotes/{running}/anomalies/nouvelle",
             *(f"/pilotes/{running}/anomalies/{anomaly.group(1)}/{s}" for s in ("prise-en-compte", "correction",
                                                                                "cloture"))]
    mine = token(client)
    for path in posts:
        for refused in (client.post(path, data={"csrf": "pas le jeton"}), client.post(path, data={}),
                        client.post(path, data={"csrf": mine}, headers={"origin": "http://ailleurs.example"}),
                        client.post(path, json={"csrf": mine})):
            assert refused.status_code == 403 and "Formulaire refusé" in refused.text, path


def _open_anomaly(client: Any, key: str, ref: str, **changes: str) -> str:
    made = submit(client, f"/pilotes/{key}/anomalies/nouvelle", f"/pilotes/{key}/anomalies/nouvelle",
                  {"id": ref, "opened_on": "2025-02-20", "severity": "blocking", "origin": "software",
                   "operation": "create", "summary": "Création impossible", **changes})
    assert made.status_code == 303, made.text[:2000]
    return str(made.headers["location"].split("?")[0])


def _doctor(client: Any, key: str, ref: str) -> str:
    """The address of a doctor's page (the registry's number of the doctor), from the pilot's page."""
    found = re.search(f'href="(/pilotes/{key}/medecins/\\d+)">{re.escape(ref)}<', client.get(f"/pilotes/{key}").text)
    assert found, ref
    return found.group(1)


def _c3(html: str) -> str:
    card = html.split('aria-labelledby="card-operations"', 1)[1].split("</article>", 1)[0]
    return re.search(r'<p class="state">([^<]+)</p>', card).group(1)  # type: ignore[union-attr]


def test_an_anomaly_opened_acknowledged_and_closed_in_the_forms_changes_c3_and_the_timeline(
        built: tuple[World, Parties]) -> None:
    world, parties = built
    key = parties.pilots["a_running"]
    vendor = _as(built, "vendor_a")
    before = vendor.get(f"/pilotes/{key}").text
    assert _c3(before) == "atteint"
    path = _open_anomaly(vendor, key, "ANO-FORM-1")
    opened = vendor.get(path + "?fait=anomalie-ouverte").text
    assert "Anomalie ouverte." in opened and f'action="{path}/prise-en-compte"' in opened
    assert f'action="{path}/cloture"' not in opened  # acknowledged first (follow_up.step_refusal)
    page = vendor.get(f"/pilotes/{key}").text
    assert _c3(page) == "non atteint" and "ANO-FORM-1" in page
    api = {a["id"]: a for a in world.call("cnam", "GET", f"/pilots/{key}/anomalies").json()}["ANO-FORM-1"]
    assert api["severity"] == "blocking" and api["acknowledged_at"] is None
    assert vendor.post(path + "/prise-en-compte", data={"csrf": token(vendor)}).status_code == 303
    fixed = submit(vendor, path, path + "/correction", {"fixed_in_version": ""})
    assert fixed.status_code == 422 and 'id="fixed_in_version-erreur"' in fixed.text
    assert submit(vendor, path, path + "/correction", {"fixed_in_version": "5.2.1"}).status_code == 303
    cnam = _as(built, "cnam")
    closed = submit(cnam, path, path + "/cloture", {"closed_on": "2025-02-19"})
    assert closed.status_code == 422 and "antérieure à l" in closed.text and 'id="closed_on-erreur"' in closed.text
    assert submit(cnam, path, path + "/cloture", {"closed_on": "2025-02-21"}).status_code == 303
    after = vendor.get(f"/pilotes/{key}").text
    assert _c3(after) == "atteint"
    tip = re.search(r"<title>ANO-FORM-1 \(bloquante[^<]*</title>", after)
    assert tip and "close le 21" in tip.group(0) and "prise en compte" in tip.group(0)
    assert world.call("cnam", "GET", f"/pilots/{key}/anomalies").json()[-1]["fixed_in_version"] == "5.2.1"
    gone = cnam.post(path + "/prise-en-compte", data={"csrf": token(cnam)})
    assert gone.status_code == 403  # the Cnam closes; acknowledging is the vendor's


def test_a_cpam_reads_an_anomaly_and_a_doctor_without_any_form(built: tuple[World, Parties]) -> None:
    _, parties = built
    key = parties.pilots["a_running"]
    cpam = _as(built, "cpam_33")
    page = cpam.get(f"/pilotes/{key}").text
    assert "/anomalies/nouvelle" not in page and "/medecins/nouveau" not in page
    doctor = re.search(r'href="(/pilotes/[0-9a-f]+/medecins/\d+)"', page)
    anomaly = re.search(r'href="(/pilotes/[0-9a-f]+/anomalies/\d+)"', page)
    assert doctor and anomaly
    for path in (doctor.group(1), anomaly.group(1)):
        shown = cpam.get(path)
        assert shown.status_code == 200 and '<form method="post" action="/pilotes' not in shown.text, path
    assert cpam.post(f"/pilotes/{key}/anomalies/nouvelle", data={"csrf": token(cpam)}).status_code == 403


def test_the_steps_from_a_draft_to_a_decision_through_the_forms(built: tuple[World, Parties]) -> None:
    world, _ = built
    vendor, cnam = _as(built, "vendor_a"), _as(built, "cnam")
    key = _declare(vendor, "forme-2025-03")
    steps = vendor.get(f"/pilotes/{key}/etapes").text
    assert f'action="/pilotes/{key}/etapes/envoi"' in steps
    refused = vendor.post(f"/pilotes/{key}/etapes/envoi", data={"csrf": token(vendor)})
    assert refused.status_code == 409 and "accord de principe non enregistré" in refused.text
    doctors = {ref: _doctor(vendor, key, ref) for ref in DOCTORS}
    for ref in DOCTORS:
        done = submit(vendor, doctors[ref], doctors[ref],
                      {"agreement_on": "2024-12-02", "compatibility_checked_on": "2024-12-03", "compatible": "oui",
                       "compatibility_note": MARKUP})
        assert done.status_code == 303, done.text[:1500]
    assert ESCAPED in vendor.get(doctors[DOCTORS[0]]).text
    assert vendor.post(f"/pilotes/{key}/etapes/envoi", data={"csrf": token(vendor)}).status_code == 303
    assert world.call("cnam", "GET", f"/pilots/{key}").json()["status"] == "submitted"
    assert "etapes/acceptation" not in vendor.get(f"/pilotes/{key}/etapes").text  # the Cnam's
    back = submit(cnam, f"/pilotes/{key}/etapes", f"/pilotes/{key}/etapes/renvoi", {"reason": ""})
    assert back.status_code == 422 and 'id="reason-erreur"' in back.text
    accepted = submit(cnam, f"/pilotes/{key}/etapes", f"/pilotes/{key}/etapes/acceptation", {"reduced_minimum": "non"})
    assert accepted.status_code == 303
    assert world.call("cnam", "GET", f"/pilots/{key}").json()["reduced_minimum"] is False
    meeting = submit(cnam, f"/pilotes/{key}/etapes", f"/pilotes/{key}/etapes/reunion",
                     {"held_on": "2025-01-08", "participant-0-party": "vendor", "participant-0-name": MARKUP,
                      "participant-1-party": "cnam", "participant-1-name": "Coordination"})
    assert meeting.status_code == 303, meeting.text[:1500]
    assert world.call("cnam", "GET", f"/pilots/{key}/planning").json()["launch_meeting"]["held_on"] == "2025-01-08"
    first = doctors[DOCTORS[0]]
    done = submit(vendor, first, first + "/formation", {"training-on": "2025-01-13"})
    assert done.status_code == 409 and "abord son installation" in done.text
    assert submit(vendor, first, first + "/installation", {"installation-on": "2025-01-13"}).status_code == 303
    assert world.call("vendor_a", "GET", f"/pilots/{key}/planning").json()["practitioners"][0]["installed_on"] == (
        "2025-01-13")
    page = cnam.get(f"/pilotes/{key}/etapes").text
    assert "Le bilan du" in page and "conclut" in page
    against = submit(cnam, f"/pilotes/{key}/etapes", f"/pilotes/{key}/etapes/decision", {"decision": "deploy"})
    assert against.status_code == 422 and 'id="justification-erreur"' in against.text
    assert "écarte du bilan" in against.text
    decided = submit(cnam, f"/pilotes/{key}/etapes", f"/pilotes/{key}/etapes/decision",
                     {"decision": "extend", "justification": MARKUP})
    assert decided.status_code == 303
    shown = cnam.get(f"/pilotes/{key}").text
    assert "Décision de la Cnam\u00a0: prolongation" in shown and ESCAPED in shown and MARKUP not in shown
    assert world.call("cnam", "GET", f"/pilots/{key}").json()["phase"] == 2


def test_free_texts_typed_in_the_forms_are_shown_as_text(built: tuple[World, Parties]) -> None:
    _, parties = built
    key = parties.pilots["a_running"]
    vendor = _as(built, "vendor_a")
    path = _open_anomaly(vendor, key, "ANO-XSS", summary=MARKUP, severity="minor")
    for page in (vendor.get(path).text, vendor.get(f"/pilotes/{key}").text):
        assert ESCAPED in page and MARKUP not in page
    refused = submit(vendor, "/pilotes/nouvelle", "/pilotes/nouvelle",
                     {**_typed(), "id": MARKUP[:32], "software.name": MARKUP, "action": "verifier"})
    assert MARKUP not in refused.text and "&lt;script&gt;" in refused.text
    added = submit(vendor, f"/pilotes/{key}/medecins/nouveau", f"/pilotes/{key}/medecins/nouveau",
                   {"id": MARKUP[:32], "cpam": "33", "equipped": None})  # the API takes any id: the dossier says
    assert added.status_code == 303 and re.fullmatch(rf"/pilotes/{key}/medecins/\d+\?fait=medecin-ajoute",
                                                     added.headers["location"])
    for page in (vendor.get(added.headers["location"]).text, vendor.get(f"/pilotes/{key}").text):
        assert MARKUP[:32] not in page and "&lt;script&gt;alert(&#34;formulaire&#34;)&lt;/" in page
