"""The doctors' questionnaire through the registry service (issue 12), on SQLite and PostgreSQL: personal links
made by the vendor or the Cnam (only their HMAC kept), opened once for a cookie, drafts, one submission that C5
counts at once (the kept bilan no longer stands), and the digest that tells each party its new alerts once."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from registry_databases import database
from registry_walk import World, serving, simulated, walk
from sqlalchemy import select

from preserie.adapters.db import tables as t
from preserie.services import digest

NOW = dt.datetime(2025, 2, 19, 10, tzinfo=dt.UTC)  # a Wednesday of the simulated présérie's last week
SCORES = ("ease", "speed", "integration", "training", "support", "overall")
NIR = "1 84 12 75 123 456 78"  # a patient's number a doctor might type: it never leaves the registry by e-mail


@dataclass
class Survey:
    world: World
    key: str
    left_out: str  # the user whose answer the survey.csv lacks

    def invite(self, who: str = "vendor", **body: Any) -> Any:
        return self.world.call(who, "POST", f"/pilots/{self.key}/survey/invitations", json=body)

    def link(self, who: str = "vendor") -> str:
        made = self.invite(who, practitioners=[self.left_out])
        assert made.status_code == 201, made.text
        return str(made.json()["invitations"][0]["link"])

    def satisfaction(self) -> dict[str, Any]:
        return dict(self.world.call("cnam", "GET", f"/pilots/{self.key}/assessment").json()["criteria"]
                    ["satisfaction"])


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated pilot whose survey.csv lacks the answers of one user (C5 not met: one missing)."""
    made = simulated(tmp_path_factory.mktemp("survey") / "pilot", records=1500)
    rows = list(csv.DictReader((made / "survey.csv").open(encoding="utf-8")))
    with (made / "survey.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["practitioner"] != rows[0]["practitioner"])
    (made / "left_out").write_text(rows[0]["practitioner"])
    return made


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"survey-{request.param}")
    with database(request.param, tmp) as url, serving(url, tmp / "data") as built:
        built.account("vendor", "vendor", vendor="Simulé SAS")
        built.account("cnam", "cnam")
        built.account("gie", "gie")
        built.account("cpam_33", "cpam", department="33")
        yield built


@pytest.fixture
def pilot(world: World, folder: Path) -> Iterator[Survey]:
    world.registry.now = lambda: dt.datetime.now(dt.UTC)
    key = walk(world, folder, "traced")
    world.registry.now = lambda: NOW
    world.client.cookies.clear()
    yield Survey(world, key, (folder / "left_out").read_text())
    world.client.cookies.clear()


def opened(world: World, link: str) -> str:
    """Open the link; the form's anti-forgery token."""
    assert world.client.get(link).status_code == 200
    page = world.client.get("/questionnaire")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text)
    assert found
    return found.group(1)


def read(path: Path) -> Any:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


def complete(csrf: str, **extra: str) -> dict[str, str]:
    return {"csrf": csrf, "action": "submit", **dict.fromkeys(SCORES, "4"), "blocking_issue": "non", **extra}


# ── invitations ───────────────────────────────────────────────────────────────────────────────────────────
def test_the_vendor_invites_the_users_who_have_not_answered_and_only_their_hmac_is_kept(pilot: Survey) -> None:
    made = pilot.invite()
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    body = made.json()
    assert [i["practitioner"] for i in body["invitations"]] == [pilot.left_out]
    assert {s["reason"] for s in body["skipped"]} == {"a déjà répondu"} and len(body["skipped"]) == 7
    link = body["invitations"][0]
    assert re.fullmatch(r"/questionnaire/prq_[A-Za-z0-9_-]{43}", link["link"])
    assert link["url"] == "http://testserver" + link["link"]
    assert link["expires_at"] == "2025-03-10T22:59:59.999999Z"  # 14 days after the planned end, Paris midnight
    token = link["link"].rsplit("/", 1)[1]
    with pilot.world.registry.repo.engine.connect() as conn:
        rows = conn.execute(select(t.survey_invitations)).all()
    assert rows and all(token not in str(tuple(r)) for r in rows)
    assert pilot.invite().json()["invitations"] == []  # a link is under way: not made again by default
    listed = pilot.world.call("cpam_33", "GET", f"/pilots/{pilot.key}/survey/invitations").json()
    assert token not in str(listed) and all(i["state"] == "sent" for i in listed)


def test_the_cnam_invites_too_and_the_others_may_not(pilot: Survey) -> None:
    assert pilot.invite("cnam", practitioners=[pilot.left_out]).status_code == 201
    for who in ("gie", "cpam_33"):
        refused = pilot.invite(who)
        assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN_ROLE")
    unknown = pilot.invite(practitioners=["000000000"])
    assert (unknown.status_code, unknown.json()["field"]) == (404, "practitioners")
    assert pilot.invite(practitioners=["not a ref"]).status_code == 422


def test_a_link_opens_once_for_a_strict_http_only_cookie_and_a_second_opening_is_refused(pilot: Survey) -> None:
    world, link = pilot.world, pilot.link()
    first = world.client.get(link)
    assert first.status_code == 200 and '<meta http-equiv="refresh" content="0;url=/questionnaire">' in first.text
    cookie = first.headers["set-cookie"]
    assert cookie.startswith("preserie_questionnaire=prc_")
    assert {"HttpOnly", "Path=/questionnaire", "SameSite=strict"} <= {p.strip() for p in cookie.split(";")}
    assert first.headers["referrer-policy"] == "no-referrer" and first.headers["cache-control"] == "no-store"
    assert world.client.get(link).status_code == 200  # the same browser, with its cookie: the form again
    mine = dict(world.client.cookies)
    world.client.cookies.clear()
    again = world.client.get(link)
    assert again.status_code == 410 and "Lien déjà ouvert" in again.text and "set-cookie" not in again.headers
    assert world.client.get("/questionnaire").status_code == 401
    world.client.cookies.update(mine)
    assert world.client.get("/questionnaire").status_code == 200


def test_a_new_link_replaces_the_old_one_and_a_link_expires(pilot: Survey) -> None:
    world = pilot.world
    old, new = pilot.link(), pilot.link()
    replaced = world.client.get(old)
    assert replaced.status_code == 410 and "Lien remplacé" in replaced.text
    assert world.client.get("/questionnaire/prq_" + "A" * 43).status_code == 404
    assert world.client.get("/questionnaire/n'importe-quoi").status_code == 404
    world.registry.now = lambda: dt.datetime(2025, 3, 11, tzinfo=dt.UTC)
    expired = world.client.get(new)
    assert expired.status_code == 410 and "Lien expiré" in expired.text


# ── the form ──────────────────────────────────────────────────────────────────────────────────────────────
def test_a_draft_is_kept_and_shown_again_without_counting(pilot: Survey) -> None:
    world = pilot.world
    csrf = opened(world, pilot.link())
    saved = world.client.post("/questionnaire", data={"csrf": csrf, "action": "draft", "ease": "2",
                                                      "comment": "<b>à revoir</b>"}, follow_redirects=False)
    assert (saved.status_code, saved.headers["location"]) == (303, "/questionnaire")
    page = world.client.get("/questionnaire").text
    assert "Brouillon enregistré le 19 février 2025 à 11:00" in page
    assert 'id="ease-2" name="ease" value="2" checked' in page and "&lt;b&gt;à revoir&lt;/b&gt;" in page
    assert pilot.left_out in pilot.satisfaction()["missing"]


def test_errors_are_summarised_and_tied_to_their_questions_and_nothing_is_recorded(pilot: Survey) -> None:
    world = pilot.world
    csrf = opened(world, pilot.link())
    answer = world.client.post("/questionnaire", data={"csrf": csrf, "action": "submit", "ease": "4",
                                                       "speed": "7", "blocking_issue": "oui"})
    assert answer.status_code == 422
    page = answer.text
    assert "<title>Erreur : " in page and 'role="alert"' in page and "autofocus" in page
    assert re.findall(r'<li><a href="#([^"]+)">', page) == ["speed-1", "integration-1", "training-1", "support-1",
                                                              "overall-1", "blocking_issue_text"]
    assert 'aria-describedby="speed-error"' in page and 'id="speed-error"' in page
    assert 'id="ease-4" name="ease" value="4" checked' in page  # what was right is kept
    assert pilot.left_out in pilot.satisfaction()["missing"]


def test_a_form_without_its_anti_forgery_token_is_refused(pilot: Survey) -> None:
    world = pilot.world
    opened(world, pilot.link())
    forged = world.client.post("/questionnaire", data=complete("0" * 64))
    assert forged.status_code == 403 and "Formulaire expiré" in forged.text
    assert pilot.left_out in pilot.satisfaction()["missing"]


def test_the_answer_counts_in_c5_at_once_and_a_second_submission_is_refused_politely(pilot: Survey) -> None:
    world = pilot.world
    before = pilot.satisfaction()
    computed = world.registry.cache.computations
    assert not before["met"] and before["missing"] == [pilot.left_out]
    assert pilot.satisfaction() == before and world.registry.cache.computations == computed  # the kept bilan
    csrf = opened(world, pilot.link())
    done = world.client.post("/questionnaire", data=complete(csrf, comment=f"<script>alert(1)</script> {NIR}"),
                             follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/questionnaire")
    thanks = world.client.get("/questionnaire")
    assert "Merci de votre réponse" in thanks.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in thanks.text
    after = pilot.satisfaction()
    assert after["met"] and after["missing"] == [] and after["responses"] == before["responses"] + 1
    assert world.registry.cache.computations > computed
    again = world.client.post("/questionnaire", data=complete(csrf, overall="1"))
    assert again.status_code == 409 and "Réponse déjà enregistrée" in again.text
    answers = world.call("cnam", "GET", f"/pilots/{pilot.key}/survey-answers").json()
    mine = [a for a in answers if a["practitioner"] == pilot.left_out]
    assert [(a["submitted_on"], a["overall"], a["blocking_issue"]) for a in mine] == [("2025-02-19", 4, False)]
    history = world.call("cnam", "GET", f"/pilots/{pilot.key}/history").json()
    assert history[-1]["event"] == "survey_answered" and history[-1]["account_id"] is None
    states = world.call("vendor", "GET", f"/pilots/{pilot.key}/survey/invitations").json()
    assert [s["state"] for s in states] == ["answered"]


def test_a_blocking_issue_answered_from_the_form_is_c5_s(pilot: Survey) -> None:
    world = pilot.world
    csrf = opened(world, pilot.link())
    world.client.post("/questionnaire", data=complete(csrf, blocking_issue="oui",
                                                      blocking_issue_text="Lecteur e-CPS non reconnu"))
    after = pilot.satisfaction()
    assert not after["met"]
    assert {"practitioner": pilot.left_out, "text": "Lecteur e-CPS non reconnu"} in after["blocking_issues"]


# ── alerts and the digest ─────────────────────────────────────────────────────────────────────────────────
def test_the_alerts_route_gives_each_party_its_share(pilot: Survey) -> None:
    world = pilot.world
    mine = world.call("vendor", "GET", f"/pilots/{pilot.key}/alerts").json()
    assert mine["survey"]["missing"] == [pilot.left_out] and mine["survey"]["stage"] == 7
    assert len(mine["survey"]["reminders"]) == 2
    survey_alerts = [a for a in mine["alerts"] if a["kind"] == "survey_missing"]
    assert [a["subject"] for a in survey_alerts] == [pilot.left_out]
    assert all(a["what_to_do"] and a["title"] for a in mine["alerts"])
    zone = {p["id"]: p["cpam"] for p in world.call("cnam", "GET", f"/pilots/{pilot.key}/practitioners").json()}
    theirs = world.call("cpam_33", "GET", f"/pilots/{pilot.key}/alerts").json()
    assert all(a["kind"] not in ("usage_low", "registration_low") for a in theirs["alerts"])
    named = [a["subject"] for a in theirs["alerts"] if a["kind"] in ("survey_missing", "workstation_silent")]
    assert all(zone.get(s, "33") == "33" for s in named)
    assert theirs["survey"]["missing"] == [m for m in mine["survey"]["missing"] if zone[m] == "33"]


def test_the_digest_writes_one_email_per_party_once_and_again_only_when_an_alert_changes(
        pilot: Survey, tmp_path: Path) -> None:
    world = pilot.world
    with world.registry.repo.writing() as conn:  # an anomaly whose summary holds a patient's number
        world.registry.repo.add_anomaly(conn, world.registry.repo.pilot(pilot.key).id, phase=1, ref="ANO-NIR",
                                        opened_on=dt.date(2025, 2, 19), opened_by=0, operation="create",
                                        severity="blocking", origin="software", practitioner=None,
                                        summary=f"Échec pour le patient {NIR}")
    sent = digest.send(world.registry, outbox=tmp_path / "outbox")
    parties = {s.party for s in sent}
    assert {"vendor:Simulé SAS", "cnam", "gie", "cpam:33"} <= parties
    files = {s.party: Path(s.where) for s in sent}
    for party, path in files.items():
        mail = read(path)
        text = mail.get_content()
        assert mail["X-Preserie-Party"] == party and mail["Subject"].startswith("preserie : ")
        assert NIR not in text and "ANO-NIR" in text
        assert pilot.key in text
    vendor_text = read(files["vendor:Simulé SAS"]).get_content()
    assert "Questionnaire sans réponse" in vendor_text and "relances le" in vendor_text
    cpam = read(files["cpam:33"]).get_content()
    assert "sous le seuil" not in cpam  # the bilan's figures are not a CPAM's
    assert digest.send(world.registry, outbox=tmp_path / "outbox") == []  # nothing new: nothing sent
    world.registry.now = lambda: dt.datetime(2025, 2, 21, 10, tzinfo=dt.UTC)  # J-3: the reminder is news again
    again = digest.send(world.registry, outbox=tmp_path / "outbox")
    assert {s.party for s in again} >= {"vendor:Simulé SAS", "cnam"}
    vendor = next(Path(s.where) for s in again if s.party == "vendor:Simulé SAS")
    assert "Questionnaire sans réponse" in read(vendor).get_content()
