"""The seed's process walked end to end through the registry's API (draft → submitted → accepted → launch meeting
→ installations → assessment → decision → extend with a second phase → deploy), then each forbidden step.
SQLite and PostgreSQL (in CI)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from registry_databases import database
from registry_walk import World, declaration, feed, serving, simulated, walk, yaml_body

from preserie.services.assess import assess_folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("registry")
    with database(request.param, folder) as url, serving(url, folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("cnam", "cnam")
        served.account("gie", "gie")
        served.account("cpam33", "cpam", department="33")
        yield served


@pytest.fixture(scope="module")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory.mktemp("pilot") / "pilot")


def test_the_presérie_walked_end_to_end(world: World, pilot: Path, tmp_path: Path) -> None:
    original = yaml.safe_load((pilot / "pilot.yaml").read_text(encoding="utf-8"))
    key = walk(world, pilot, "draft")
    checks = world.call("vendor", "GET", f"/pilots/{key}/checks").json()  # answered live while drafting
    assert {c["check"] for c in checks["dossier"]} >= {"cnda_authorization", "practitioner_count"}
    assert world.call("cnam", "GET", f"/pilots/{key}").status_code == 404  # a draft is the vendor's own

    refused = world.call("vendor", "POST", f"/pilots/{key}/submit")
    assert refused.status_code == 409
    assert "accord de principe non enregistré" in refused.json()["message"]
    key = walk(world, pilot, "submitted")
    assert world.call("gie", "GET", f"/pilots/{key}").json()["status"] == "submitted"
    assert world.call("cpam33", "GET", f"/pilots/{key}").status_code == 404  # not yet informed

    world.call("cnam", "POST", f"/pilots/{key}/accept", json={}).raise_for_status()
    zone = {p["id"] for p in world.call("cpam33", "GET", f"/pilots/{key}/practitioners").json()}
    assert zone == {p["id"] for p in original["practitioners"] if p["cpam"] == "33"} and zone

    world.call("cnam", "POST", f"/pilots/{key}/launch-meeting",
               json={"held_on": str(original["launch_meeting"]),
                     "participants": [{"party": p, "name": p} for p in ("vendor", "cnam", "gie", "cpam")]}
               ).raise_for_status()
    feed(world, pilot, key, original, vendor="vendor", cnam="cnam")
    installed = [p for p in original["practitioners"] if p.get("installed_on")]
    vendor_account = next(a["id"] for a in world.registry.repo.accounts() if a["name"] == "vendor")
    recorded = world.call("gie", "GET", f"/pilots/{key}/practitioners").json()
    assert {(p["id"], p["installed_on"], p["installed_by"]) for p in recorded if p["installed_on"]} == {
        (p["id"], str(p["installed_on"]), vendor_account) for p in installed}
    assert len(world.registry.repo.workstations(world.registry.repo.pilot(key).id)) == len(installed)

    assessment = world.call("cnam", "GET", f"/pilots/{key}/assessment").json()
    assert assessment == assess_folder(pilot).result  # the same engine, the same facts, the same bilan
    exported = tmp_path / "exported"
    from preserie.services.bilan import export_folder

    export_folder(world.registry, world.registry.repo.pilot(key), exported)
    assert assess_folder(exported).result == assessment  # the folder round trip is exact

    anomalies = world.call("cpam33", "GET", f"/pilots/{key}/anomalies").json()
    closed = [a for a in anomalies if a["closed_on"]]
    assert closed and all(a["days_to_close"] >= 0 and a["days_to_acknowledge"] is not None for a in closed)

    decided = world.call("cnam", "POST", f"/pilots/{key}/decisions",
                         json={"decision": "extend", "justification": "étendre à un centre de santé"})
    assert decided.status_code == 201, decided.text
    stored = decided.json()
    text = json.dumps(stored["assessment"], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert stored["assessment"] == assessment
    assert stored["assessment_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    cpam_view = world.call("cpam33", "GET", f"/pilots/{key}/decisions").json()
    assert [d["decision"] for d in cpam_view] == ["extend"] and cpam_view[0]["assessment"] is None

    # phase 2: the vendor's fixed version, a new doctor, its own window of traces
    assert world.call("vendor", "GET", f"/pilots/{key}").json()["phase"] == 2
    world.call("vendor", "PUT", f"/pilots/{key}/software-version",
               json={"software_version": "5.3.0"}).raise_for_status()
    newcomer = {"id": "331234568", "situation": "liberal", "cpam": "33", "equipped": True, "specialty": "general",
                "practice": "msp", "agreement_on": "2025-03-01", "compatibility_checked_on": "2025-03-02",
                "compatible": True}
    assert world.call("vendor", "POST", f"/pilots/{key}/practitioners", json=newcomer).status_code == 201
    world.call("vendor", "POST", f"/pilots/{key}/practitioners/331234568/installation",
               json={"on": "2025-03-03"}).raise_for_status()
    first_file = sorted((pilot / "traces").iterdir())[0]
    world.call("vendor", "POST", f"/pilots/{key}/trace-files", params={"name": first_file.name},
               content=first_file.read_bytes()).raise_for_status()
    second = world.call("cnam", "GET", f"/pilots/{key}/assessment").json()
    one_file = sum(1 for line in first_file.read_text(encoding="utf-8").splitlines() if line.strip())
    assert second["data_quality"]["events_read"] == one_file  # phase 2 reads its own segments only
    assert world.call("cnam", "GET", f"/pilots/{key}/assessment", params={"phase": 1}).json() == assessment
    declared = world.call("vendor", "GET", f"/pilots/{key}/declaration").json()
    assert declared["software"]["version"] == "5.3.0" and "331234568" in [p["id"] for p in declared["practitioners"]]

    world.call("cnam", "POST", f"/pilots/{key}/decisions",
               json={"decision": "deploy", "justification": "phase 2 concluante"}).raise_for_status()
    assert world.call("vendor", "POST", f"/pilots/{key}/deployment").json()["status"] == "deployed"
    gone = world.call("vendor", "POST", f"/pilots/{key}/trace-files", params={"name": "late.jsonl"}, content=b"{}\n")
    assert gone.status_code == 410 and gone.json()["code"] == "TRACES_CLOSED"

    moves = [(h["from_status"], h["to_status"]) for h in world.call("cnam", "GET", f"/pilots/{key}/history").json()
             if h["to_status"]]
    assert moves == [(None, "draft"), ("draft", "submitted"), ("submitted", "accepted"), ("accepted", "running"),
                     ("running", "running"), ("running", "deploy_approved"), ("deploy_approved", "deployed")]


FORBIDDEN = [  # (step reached, who, method, path, body, status, what the message says)
    ("draft", "cnam", "POST", "accept", {}, 404, "présérie introuvable"),
    ("submitted", "vendor", "POST", "submit", None, 409, "n'est plus possible"),
    ("submitted", "cnam", "POST", "launch-meeting",
     {"held_on": "2025-01-06", "participants": [{"party": "cnam", "name": "C"}]}, 409,
     "demande d'abord l'acceptation par la Cnam"),
    ("submitted", "vendor", "POST", "accept", {}, 403, "réservé à la Cnam"),
    ("accepted", "cnam", "POST", "decisions", {"decision": "deploy"}, 409, "demande d'abord la réunion de lancement"),
    ("accepted", "cnam", "POST", "return", {"reason": "x"}, 409, "n'est plus possible"),
    ("accepted", "vendor", "POST", "practitioners/{first}/installation", {"on": "2025-01-08"}, 409,
     "possible : en cours"),
    ("submitted", "vendor", "PUT", "", "declaration", 409, "modifier la déclaration : impossible"),
    ("running", "vendor", "POST", "deployment", None, 409, "demande d'abord la décision de généralisation"),
    ("running", "vendor", "POST", "practitioners/{first}/training", {"on": "2025-01-08"}, 409,
     "demande d'abord son installation"),
    ("deployed", "cnam", "POST", "decisions", {"decision": "extend", "justification": "x"}, 409,
     "n'est plus possible"),
    ("deployed", "vendor", "POST", "trace-files?name=x.jsonl", b"{}", 410, "traces désactivées"),
]


@pytest.mark.parametrize(("step", "who", "method", "path", "body", "status", "says"), FORBIDDEN,
                         ids=[f"{f[0]}-{f[3].split('/')[-1] or 'update'}" for f in FORBIDDEN])
def test_a_forbidden_step_is_refused_naming_what_is_missing(world: World, pilot: Path, step: str, who: str,
                                                            method: str, path: str, body: object, status: int,
                                                            says: str) -> None:
    key = walk(world, pilot, step)
    first = yaml.safe_load((pilot / "pilot.yaml").read_text(encoding="utf-8"))["practitioners"][0]["id"]
    before = world.call("vendor", "GET", f"/pilots/{key}").json()
    target = f"/pilots/{key}" + (f"/{path.format(first=first)}" if path else "")
    if body == "declaration":
        answer = world.call(who, method, target, json=json.loads(json.dumps(declaration(pilot), default=str)))
    elif isinstance(body, bytes):
        answer = world.call(who, method, target, content=body)
    else:
        answer = world.call(who, method, target, json=body)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["message"]
    assert world.call("vendor", "GET", f"/pilots/{key}").json() == before  # nothing changed


def test_a_yaml_declaration_with_errors_names_every_field(world: World, pilot: Path) -> None:
    content = declaration(pilot)
    content["planned_weeks"] = 0
    content["practitioners"][0]["cpam"] = "7"
    answer = world.call("vendor", "POST", "/pilots", content=yaml_body(content),
                        headers={"content-type": "application/yaml"})
    assert answer.status_code == 422 and answer.json()["code"] == "INVALID_DECLARATION"
    assert {d["field"] for d in answer.json()["details"]} == {"planned_weeks", "practitioners.0.cpam"}


def test_a_vendor_cannot_declare_for_another_vendor(world: World, pilot: Path) -> None:
    content = json.loads(json.dumps(declaration(pilot), default=str))
    content["vendor"] = "Autre SAS"
    answer = world.call("vendor", "POST", "/pilots", json=content)
    assert answer.status_code == 422 and answer.json()["field"] == "vendor"


def test_a_malformed_body_is_refused_in_french_naming_the_field(world: World, pilot: Path) -> None:
    key = walk(world, pilot, "running")
    first = yaml.safe_load((pilot / "pilot.yaml").read_text(encoding="utf-8"))["practitioners"][0]["id"]
    answer = world.call("vendor", "POST", f"/pilots/{key}/practitioners/{first}/installation",
                        json={"on": "2025-02-30"})
    assert answer.status_code == 422 and answer.json()["field"] == "on"
    assert answer.json()["message"] == "requête invalide : voir le détail des champs : on : date impossible " \
                                       "« 2025-02-30 » : ce jour n'existe pas au calendrier"
    missing = world.call("vendor", "POST", f"/pilots/{key}/anomalies", json={"id": "A1", "opened_on": "2025-01-15"})
    assert {d["field"]: d["message"] for d in missing.json()["details"]} == {
        "severity": "champ obligatoire manquant", "origin": "champ obligatoire manquant"}
    survey = world.call("vendor", "POST", f"/pilots/{key}/survey-answers", headers={"content-type": "text/csv"},
                        content=(pilot / "survey.csv").read_bytes().replace(b",5,", b",9,", 1))
    lines = (pilot / "survey.csv").read_text(encoding="utf-8").splitlines()
    changed = next(n for n, line in enumerate(lines, start=1) if ",5," in line)
    assert survey.status_code == 422 and f"survey.csv, ligne {changed}, champ" in survey.json()["message"]
    assert "valeur d'au plus 5 attendue" in survey.json()["message"]


def test_a_yaml_bomb_is_refused_before_it_expands(world: World) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))
    bomb += "technical_prerequisites: *i\n"  # 10^9 strings for the model to check, from 400 bytes
    answer = world.call("vendor", "POST", "/pilots", content=bomb.encode(),
                        headers={"content-type": "application/yaml"})
    assert answer.status_code == 400 and "alias" in answer.json()["message"]


def test_the_planning_is_forwarded_to_the_cpams_of_its_zone(world: World, pilot: Path) -> None:
    key = walk(world, pilot, "traced")
    original = yaml.safe_load((pilot / "pilot.yaml").read_text(encoding="utf-8"))
    first = next(p for p in original["practitioners"] if p["cpam"] == "33")
    world.call("vendor", "PATCH", f"/pilots/{key}/practitioners/{first['id']}",
               json={"planned_training_on": "2025-01-20"}).raise_for_status()
    seen = world.call("cpam33", "GET", f"/pilots/{key}/planning").json()
    assert seen["launch_meeting"]["held_on"] == str(original["launch_meeting"])
    assert {p["id"] for p in seen["practitioners"]} == {p["id"] for p in original["practitioners"]
                                                         if p["cpam"] == "33"}
    assert next(p for p in seen["practitioners"] if p["id"] == first["id"])["planned_training_on"] == "2025-01-20"
    assert world.call("gie", "GET", f"/pilots/{key}/planning").json()["practitioners"][0]["installed_on"]
