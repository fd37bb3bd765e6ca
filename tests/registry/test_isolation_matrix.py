"""Who sees what, route by route: every role × every route of the app × its own pilot, another's and none × a
valid, expired, revoked or forged token.

The routes are read from the app itself: a new route without a request template here fails the suite. What each
role sees is the issue's words: a vendor its own pilots; the Cnam and the GIE every pilot once sent; a CPAM, once
accepted, the pilots with a doctor of its department and of those only its zone's doctors, planning, anomalies and
survey answers, not the whole-pilot assessment, exports or report (403). Another's pilot answers byte for byte
like a pilot that does not exist."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.routing import APIRoute
from httpx import Response
from registry_world import API, NONEXISTENT, VENDOR_A, VENDOR_B, Pilot, World

ROLES = ("vendor_a", "vendor_b", "cnam", "gie", "cpam_33", "cpam_44")
VENDORS, COORDINATORS, CPAMS = ("vendor_a", "vendor_b"), ("cnam", "gie"), ("cpam_33", "cpam_44")
WHOLE = (*VENDORS, *COORDINATORS)
# The rules, written out: the pilots each role sees (all others must not exist for it).
VISIBLE = {
    "vendor_a": {"a_draft", "a_submitted", "a_accepted_33", "a_running"},
    "vendor_b": {"b_draft", "b_running"},
    "cnam": {"a_submitted", "a_accepted_33", "a_running", "b_running"},
    "gie": {"a_submitted", "a_accepted_33", "a_running", "b_running"},
    "cpam_33": {"a_accepted_33", "a_running"},
    "cpam_44": {"a_running"},
}
OWN = {"vendor_b": "b_running"}  # the pilot each role acts on (default: vendor A's running pilot)
Body = Callable[[World, Pilot], dict[str, Any]]


@dataclass(frozen=True)
class Template:
    """How to call a route, who may (the others, seeing the pilot, get 403) and what the allowed get. Writes
    are chosen so that the world does not change: refused by the life cycle (409), or the same value again."""

    allowed: tuple[str, ...]
    status: int = 200
    request: Body = field(default=lambda world, pilot: {})
    forbidden: int = 403


def _json(value: Any) -> Body:
    return lambda world, pilot: {"json": value}


def _practitioner(pilot: Pilot) -> dict[str, Any]:
    return pilot.declaration["practitioners"][0]


def _anomaly(world: World, pilot: Pilot) -> dict[str, Any]:
    return {"json": {"id": "ANO-001", "opened_on": "2025-01-15", "severity": "minor", "origin": "software"}}


def _opposite_decision(world: World, pilot: Pilot) -> dict[str, Any]:
    """A decision against the bilan without a justification: refused (422) once the bilan is computed."""
    if pilot.key not in world.memo:  # the bilan, once per pilot
        world.memo[pilot.key] = world.call("cnam", "GET", f"{API}/pilots/{pilot.key}/assessment").json()[
            "decision"] if pilot.status == "running" else "extend"
    return {"json": {"decision": "extend" if world.memo[pilot.key] == "deploy" else "deploy"}}


def _not_its_vendor(world: World, pilot: Pilot) -> dict[str, Any]:
    return {"json": {**pilot.declaration, "vendor": "Personne SA"}}


def _registrations(world: World, pilot: Pilot) -> dict[str, Any]:
    return {"content": world.registrations.get(pilot.name, b"prescription_id,practitioner,registered_at,status\n")}


def _version(world: World, pilot: Pilot) -> dict[str, Any]:
    return {"json": {"software_version": pilot.declaration["software"]["version"]}}


P = f"{API}/pilots/{{pilot}}"
TEMPLATES: dict[tuple[str, str], Template] = {
    ("GET", f"{API}/health"): Template(ROLES),
    ("GET", f"{API}/audit"): Template(("cnam",)),
    ("GET", f"{API}/modules"): Template(ROLES),
    ("POST", f"{API}/modules"): Template(VENDORS, 409, lambda w, p: {"json": {"name": f"module {p.vendor}"}}),
    ("GET", f"{API}/products"): Template(ROLES),
    ("POST", f"{API}/products"): Template(VENDORS, 409, lambda w, p: {"json": {
        "name": f"logiciel {p.vendor}", "audience": "liberal"}}),
    ("GET", f"{API}/pilots"): Template(ROLES),
    ("POST", f"{API}/pilots"): Template(VENDORS, 422, _not_its_vendor),
    ("GET", P): Template(ROLES),
    ("PUT", P): Template(VENDORS, 409, lambda w, p: {"json": p.declaration}),
    ("GET", f"{P}/declaration"): Template(WHOLE),
    ("GET", f"{P}/checks"): Template(WHOLE),
    ("POST", f"{P}/submit"): Template(VENDORS, 409),
    ("POST", f"{P}/return"): Template(("cnam",), 409, _json({"reason": "à revoir"})),
    ("POST", f"{P}/accept"): Template(("cnam",), 409, _json({})),
    ("POST", f"{P}/launch-meeting"): Template(("cnam",), 409, _json({
        "held_on": "2025-01-06", "participants": [{"party": "cnam", "name": "Cnam"}]})),
    ("PUT", f"{P}/software-version"): Template(VENDORS, 200, _version),
    ("PUT", f"{P}/module"): Template(VENDORS, 404, _json({"module_id": 2**31 - 1})),  # no such module of its own
    ("POST", f"{P}/deployment"): Template((*VENDORS, "cnam"), 409),
    ("GET", f"{P}/phases"): Template(ROLES),
    ("GET", f"{P}/history"): Template(ROLES),
    ("GET", f"{P}/practitioners"): Template(ROLES),
    ("GET", f"{P}/planning"): Template(ROLES),
    ("GET", f"{P}/health-centers"): Template(ROLES),
    ("POST", f"{P}/practitioners"): Template(VENDORS, 409, lambda w, p: {"json": {
        k: v for k, v in _practitioner(p).items() if k not in ("installed_on", "trained_on")}}),
    ("PATCH", f"{P}/practitioners/{{ref}}"): Template(VENDORS, 200, _json({"planned_training_on": "2025-01-06"})),
    ("POST", f"{P}/practitioners/{{ref}}/installation"): Template(VENDORS, 200, lambda w, p: {"json": {
        "on": _practitioner(p)["installed_on"]}}),
    ("POST", f"{P}/practitioners/{{ref}}/training"): Template(VENDORS, 200, lambda w, p: {"json": {
        "on": _practitioner(p)["trained_on"]}}),
    ("GET", f"{P}/anomalies"): Template(ROLES),
    ("POST", f"{P}/anomalies"): Template(WHOLE, 409, _anomaly),  # ANO-001 exists
    ("POST", f"{P}/anomalies/{{ref}}/acknowledge"): Template(VENDORS, 409),  # ANO-001 is closed
    ("POST", f"{P}/anomalies/{{ref}}/fix"): Template(VENDORS, 409, _json({"fixed_in_version": "5.2.1"})),
    ("POST", f"{P}/anomalies/{{ref}}/close"): Template((*VENDORS, "cnam"), 409, _json({})),
    ("GET", f"{P}/survey-answers"): Template(ROLES),
    ("POST", f"{P}/survey-answers"): Template(VENDORS, 422, lambda w, p: {
        "content": b"practitioner,submitted_on\n000000000,2025-02-03\n", "headers": {"content-type": "text/csv"}}),
    ("POST", f"{P}/trace-files"): Template(VENDORS, 422, lambda w, p: {"params": {"name": "notes.txt"},
                                                                  "content": b"{}"}),
    ("POST", f"{P}/registrations"): Template(COORDINATORS, 201, _registrations),  # the same extract again
    ("GET", f"{P}/registrations"): Template(ROLES),
    ("POST", f"{P}/registrations/from-sandbox"): Template(COORDINATORS, 409),  # no sandbox in this world
    ("GET", f"{P}/assessment"): Template(WHOLE),
    ("GET", f"{P}/export.xlsx"): Template(WHOLE),
    ("GET", f"{P}/exports/{{table}}.csv"): Template(WHOLE),
    ("GET", f"{P}/report.html"): Template(WHOLE),
    ("GET", f"{P}/report.pdf"): Template(WHOLE),
    ("GET", f"{P}/decisions"): Template(ROLES),
    ("GET", f"{P}/workstations"): Template(ROLES),
    ("GET", f"{P}/watch"): Template(ROLES),
    ("POST", f"{P}/practitioners/{{ref}}/workstations"): Template(VENDORS, 201),  # one more workstation
    ("DELETE", f"{P}/workstations/{{workstation}}"): Template((*VENDORS, "cnam"), 404),  # no such workstation
    ("POST", f"{P}/decisions"): Template(("cnam",), 422, _opposite_decision),
    # no such doctor: refused (404) to the vendor and the Cnam, before any link is made
    ("POST", f"{P}/survey/invitations"): Template((*VENDORS, "cnam"), 404, _json({"practitioners": ["000000000"]})),
    ("GET", f"{P}/survey/invitations"): Template(ROLES),
    ("GET", f"{P}/alerts"): Template(ROLES),
}
PUBLIC = {("GET", f"{API}/health")}
# Taken with a workstation's token, not a person's (test_collector.py): below, only that no person's token works.
WORKSTATION_ROUTES = {("POST", f"{P}/traces")}


def _routes(routes: list[Any]) -> Iterator[tuple[str, str]]:
    """The JSON API's routes (the web pages answer HTML and have their own matrix: tests/web; the doctors'
    questionnaire takes no token: tests/registry/test_survey.py)."""
    for route in routes:
        if isinstance(route, APIRoute) and route.path.startswith(API):
            yield from ((method, route.path) for method in sorted(route.methods))
        elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.165 keeps it whole)
            yield from _routes(route.original_router.routes)


def app_routes(world: World) -> list[tuple[str, str]]:
    return sorted(set(_routes(world.client.app.routes)))  # type: ignore[attr-defined]


def test_every_route_of_the_app_has_a_request_template(world: World) -> None:
    routes = app_routes(world)
    assert len(routes) >= 40
    assert [r for r in routes if r not in TEMPLATES and r not in WORKSTATION_ROUTES] == []
    assert [r for r in (*TEMPLATES, *WORKSTATION_ROUTES) if r not in routes] == []


@pytest.mark.parametrize("route", sorted(WORKSTATION_ROUTES), ids="{0[0]} {0[1]}".format)
@pytest.mark.parametrize("who", ROLES)
def test_no_person_s_token_works_where_a_workstation_s_is_taken(world: World, who: str,
                                                                route: tuple[str, str]) -> None:
    """Whatever the pilot (its own, another's, none), a person's token is refused alike, before any pilot is
    looked for: the answer says nothing of which pilots exist."""
    method, path = route
    answers = [world.client.request(method, url(path, key, own(world, who)),
                                    headers={**world.headers(who), "content-type": "application/x-ndjson",
                                             "idempotency-key": "k1"}, content=b"{}\n")
               for key in (own(world, who).key, *(p.key for p in world.pilots.values()), NONEXISTENT)]
    assert {(a.status_code, a.json()["code"]) for a in answers} == {(401, "WORKSTATION_TOKEN_REQUIRED")}
    for answer in answers[1:]:
        same_answer(answers[0], answer)


# ── requests ──────────────────────────────────────────────────────────────────────────────────────────────
def url(template: str, key: str, pilot: Pilot) -> str:
    return (template.replace("{pilot}", key).replace("{table}", "sommaire").replace("{workstation}", "2147483647")
            .replace("{ref}", "ANO-001" if "/anomalies/" in template else _practitioner(pilot)["id"]))


def send(world: World, who: str | None, route: tuple[str, str], pilot: Pilot, *, key: str | None = None,
         token: str | bytes | None = None) -> Response:
    """The route's template request on ``pilot`` (or on ``key`` with the body made for ``pilot``)."""
    method, path = route
    options = TEMPLATES[route].request(world, pilot)
    headers = dict(options.pop("headers", {}))
    if token is not None:
        headers["Authorization"] = token if isinstance(token, bytes) else f"Bearer {token}"
    elif who is not None:  # neither: no Authorization header at all
        headers.update(world.headers(who))
    return world.client.request(method, url(path, key or pilot.key, pilot), headers=headers, **options)


def same_answer(left: Response, right: Response) -> None:
    """Byte for byte the same answer, but for the moment and the length."""
    def comparable(response: Response) -> tuple[int, bytes, list[tuple[str, str]]]:
        headers = sorted((k, v) for k, v in response.headers.multi_items() if k not in ("date", "content-length"))
        return response.status_code, response.content, headers

    assert comparable(left) == comparable(right)


PILOT_ROUTES = [r for r in TEMPLATES if "{pilot}" in r[1]]


def own(world: World, who: str) -> Pilot:
    return world.pilots[OWN.get(who, "a_running")]


# ── another's pilot is no pilot ───────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("route", PILOT_ROUTES, ids="{0[0]} {0[1]}".format)
@pytest.mark.parametrize("who", ROLES)
def test_a_pilot_the_role_does_not_see_answers_like_no_pilot_at_all(world: World, who: str,
                                                                   route: tuple[str, str]) -> None:
    hidden = [p for name, p in world.pilots.items() if name not in VISIBLE[who]]
    assert hidden
    for pilot in hidden:
        answer = send(world, who, route, pilot)
        same_answer(answer, send(world, who, route, pilot, key=NONEXISTENT))
        if answer.status_code == 404:
            assert answer.json() == {"code": "PILOT_NOT_FOUND", "message": "présérie introuvable"}
        else:  # refused to the role before any pilot is looked up, whichever pilot
            assert (answer.status_code, answer.json()["code"]) == (403, "FORBIDDEN_ROLE"), (pilot.name, answer.text)
            assert who in CPAMS


# ── what each role sees of its own pilot ──────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("route", sorted(TEMPLATES), ids="{0[0]} {0[1]}".format)
@pytest.mark.parametrize("who", ROLES)
def test_each_role_gets_what_the_rules_give_it_on_the_pilot_it_sees(world: World, who: str,
                                                                   route: tuple[str, str]) -> None:
    template = TEMPLATES[route]
    answer = send(world, who, route, own(world, who))
    if who in template.allowed:
        assert answer.status_code == template.status, answer.text[:300]
    else:
        assert (answer.status_code, answer.json()["code"]) == (template.forbidden, "FORBIDDEN_ROLE"), answer.text
    assert_nothing_foreign(world, who, answer)


def test_the_lists_hold_exactly_the_pilots_each_role_sees(world: World) -> None:
    for who in ROLES:
        listed = {p["id"] for p in world.call(who, "GET", f"{API}/pilots").json()}
        assert listed == {world.pilots[name].key for name in VISIBLE[who]}, who
        for name in VISIBLE[who]:
            assert world.call(who, "GET", f"{API}/pilots/{world.pilots[name].key}").status_code == 200


def test_a_cpam_sees_its_zone_s_practitioners_anomalies_and_answers_only(world: World) -> None:
    pilot = world.pilots["a_running"]
    base = f"{API}/pilots/{pilot.key}"
    for who, zone in (("cpam_33", "33"), ("cpam_44", "44")):
        mine = {ref for ref, department in pilot.practitioners.items() if department == zone}
        assert {p["id"] for p in world.call(who, "GET", f"{base}/practitioners").json()} == mine
        anomalies = world.call(who, "GET", f"{base}/anomalies").json()
        assert {a["practitioner"] for a in anomalies} <= {*mine, None}
        assert any(a["practitioner"] is None for a in anomalies)
        answers = world.call(who, "GET", f"{base}/survey-answers").json()
        assert answers and {a["practitioner"] for a in answers} <= mine
        assert all(d["assessment"] is None for d in world.call(who, "GET", f"{base}/decisions").json())
    everyone = {p["id"] for p in world.call("cnam", "GET", f"{base}/practitioners").json()}
    assert everyone == set(pilot.practitioners) and {"33", "44"} == set(pilot.practitioners.values())


# ── nothing of another party in any answer ───────────────────────────────────────────────────────────────
def foreign_markers(world: World, who: str) -> set[str]:
    """What must never appear in an answer to ``who``: another vendor's pilots (keys, refs, doctors, name), the
    pilots it does not see (in the Cnam's audit log too: a draft's key is masked there), and for a CPAM any doctor
    outside its department."""
    markers = {p.key for name, p in world.pilots.items() if name not in VISIBLE[who]}
    if who in VENDORS:
        other = VENDOR_B if who == "vendor_a" else VENDOR_A
        for pilot in world.of_vendor(other):
            markers |= {pilot.ref, *pilot.practitioners}
        markers.add(other)
    if who in CPAMS:
        zone = who.removeprefix("cpam_")
        markers |= {ref for ref, department in world.practitioners().items() if department != zone}
    return markers


def readable(answer: Response) -> str:
    if answer.content[:2] == b"PK":  # a workbook: its sheets are compressed XML
        with zipfile.ZipFile(io.BytesIO(answer.content)) as book:
            return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())
    return answer.content.decode("utf-8", "replace") + "\n" + "\n".join(f"{k}: {v}" for k, v in
                                                                           answer.headers.items())


def assert_nothing_foreign(world: World, who: str, answer: Response) -> None:
    text = readable(answer)
    leaked = sorted(m for m in foreign_markers(world, who) if m in text)
    assert leaked == [], f"{who} : {answer.request.method} {answer.request.url} → {leaked}"


def test_the_world_has_what_the_markers_look_for(world: World) -> None:
    """The leak check could not pass for want of data: each role's own answers do hold its own markers."""
    a = world.pilots["a_running"]
    text = readable(world.call("cnam", "GET", f"{API}/pilots/{a.key}/assessment"))
    assert a.key in world.call("cnam", "GET", f"{API}/pilots").text
    assert all(ref in text for ref in a.practitioners)
    assert "44" in a.practitioners.values() and foreign_markers(world, "cpam_33") & set(a.practitioners)
    assert VENDOR_A in world.call("vendor_a", "GET", f"{API}/products").text


# ── tokens that do not (or no longer) work ────────────────────────────────────────────────────────────────
FORGED = "prs_" + "A" * 43  # the shape issue_token makes, never issued
BAD_TOKENS: dict[str, tuple[str | bytes | None, str]] = {
    "expired": ("expired", "AUTH_TOKEN_EXPIRED"),
    "revoked": ("revoked", "AUTH_TOKEN_REVOKED"),
    "forged": (FORGED, "AUTH_TOKEN_INVALID"),
    "too short": (FORGED[:-1], "AUTH_TOKEN_INVALID"),
    "too long": (FORGED + "A", "AUTH_TOKEN_INVALID"),
    "other prefix": ("tok_" + "A" * 43, "AUTH_TOKEN_INVALID"),
    "illegal character": ("prs_" + "A" * 42 + "=", "AUTH_TOKEN_INVALID"),
    "non-ASCII byte": (b"Bearer prs_" + b"A" * 42 + b"\xe9", "AUTH_TOKEN_INVALID"),
    "other scheme": (b"Basic " + FORGED.encode(), "AUTH_TOKEN_INVALID"),
    "empty bearer": (b"Bearer ", "AUTH_TOKEN_INVALID"),
    "missing": (None, "AUTH_REQUIRED"),
}


@pytest.mark.parametrize("route", sorted(set(TEMPLATES) - PUBLIC), ids="{0[0]} {0[1]}".format)
@pytest.mark.parametrize("kind", BAD_TOKENS)
def test_a_token_that_does_not_work_is_refused_alike_on_every_pilot(world: World, kind: str,
                                                                    route: tuple[str, str]) -> None:
    value, code = BAD_TOKENS[kind]
    token = world.dead_tokens.get(value, value) if isinstance(value, str) else value
    answers = []
    a = world.pilots["a_running"]
    for pilot, key in ((a, a.key), (world.pilots["b_draft"], world.pilots["b_draft"].key), (a, NONEXISTENT)):
        answer = send(world, None, route, pilot, key=key, token=token)
        assert (answer.status_code, answer.json()["code"]) == (401, code), answer.text
        answers.append(answer)
    for answer in answers[1:]:
        same_answer(answers[0], answer)


def test_the_health_probe_needs_no_token(world: World) -> None:
    assert world.client.get(f"{API}/health").json() == {"status": "ok"}


# ── the error routes ──────────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("who", ROLES)
def test_an_unknown_address_or_method_answers_alike_whoever_s_pilot_it_names(world: World, who: str) -> None:
    for method, suffix, code in (("GET", "/nowhere", "ROUTE_NOT_FOUND"), ("DELETE", "", "METHOD_NOT_ALLOWED")):
        answers = [world.call(who, method, f"{API}/pilots/{key}{suffix}")
                   for key in (own(world, who).key, world.pilots["b_draft"].key, world.pilots["a_draft"].key,
                               NONEXISTENT)]
        assert answers[0].json()["code"] == code, answers[0].text
        for answer in answers[1:]:
            same_answer(answers[0], answer)


def test_an_unknown_export_table_is_named_for_the_pilot_s_reader_only(world: World) -> None:
    a = world.pilots["a_running"]
    mine = world.call("vendor_a", "GET", f"{API}/pilots/{a.key}/exports/nope.csv")
    assert (mine.status_code, mine.json()["code"], mine.json().get("field")) == (404, "NOT_FOUND", "table")
    theirs = world.call("vendor_b", "GET", f"{API}/pilots/{a.key}/exports/nope.csv")
    same_answer(theirs, world.call("vendor_b", "GET", f"{API}/pilots/{NONEXISTENT}/exports/nope.csv"))
    assert theirs.json()["code"] == "PILOT_NOT_FOUND"


def test_each_pilot_numbers_its_own_phases_from_one(world: World) -> None:
    """The phases' key was their number alone: the registry's second pilot could not be declared (UNIQUE)."""
    for name in ("a_running", "b_running", "b_draft"):
        phases = world.call("cnam" if name != "b_draft" else "vendor_b", "GET",
                            f"{API}/pilots/{world.pilots[name].key}/phases").json()
        assert [p["number"] for p in phases] == [1], name
