"""The collector's contract (`POST /pilots/{pilot}/traces`) and its workstations: tokens, each answer, replays,
the engine's own validation, and the pilot's closing. SQLite and PostgreSQL (in CI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collector_help import lines, post, running_pilot
from registry_databases import database
from registry_walk import World, serving, simulated

from preserie.services.bilan import export_folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("collector")
    with database(request.param, folder) as url, serving(url, folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("other", "vendor", vendor="Autre SA")
        served.account("cnam", "cnam")
        served.account("cpam33", "cpam", department="33")
        yield served


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory.mktemp("pilot") / "pilot", records=1000)


@pytest.fixture(scope="module")
def pilot(world: World, folder: Path) -> tuple[str, dict[str, str]]:
    return running_pilot(world, folder)


def _records(folder: Path, practitioner: str, count: int = 5) -> list[dict[str, Any]]:
    found = []
    for path in sorted((folder / "traces").iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["practitioner"] == practitioner:
                found.append(record)
    return found[:count]


def _fresh(records: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    return [{**r, "event_id": f"{tag}-{i}"} for i, r in enumerate(records)]


def test_a_workstation_token_is_shown_once_and_listed_without_it(world: World, pilot: tuple[str, dict[str, str]]
                                                                 ) -> None:
    key, tokens = pilot
    assert tokens and all(t.startswith("prw_") and len(t) == 47 for t in tokens.values())
    listed = world.call("vendor", "GET", f"/pilots/{key}/workstations").json()
    assert {w["practitioner"] for w in listed} == set(tokens)
    assert all("token" not in w and w["revoked"] is False for w in listed)
    zone = world.call("cpam33", "GET", f"/pilots/{key}/workstations").json()
    practitioners = {p["id"]: p["cpam"] for p in world.call("cnam", "GET", f"/pilots/{key}/practitioners").json()}
    assert {w["practitioner"] for w in zone} == {r for r in tokens if practitioners[r] == "33"}


def test_enrolment_is_the_vendors_after_the_installation(world: World, folder: Path,
                                                         pilot: tuple[str, dict[str, str]]) -> None:
    key, _ = pilot
    some = next(iter(pilot[1]))
    assert world.call("cnam", "POST", f"/pilots/{key}/practitioners/{some}/workstations").status_code == 403
    assert world.call("other", "POST", f"/pilots/{key}/practitioners/{some}/workstations").status_code == 404
    declared = {p["id"] for p in world.call("cnam", "GET", f"/pilots/{key}/practitioners").json()
                if not p["installed_on"]}
    if declared:
        refused = world.call("vendor", "POST", f"/pilots/{key}/practitioners/{declared.pop()}/workstations")
        assert refused.status_code == 409 and "installation" in refused.json()["message"]


def test_tokens_do_not_cross_between_people_and_workstations(world: World, pilot: tuple[str, dict[str, str]]
                                                             ) -> None:
    key, tokens = pilot
    workstation = next(iter(tokens.values()))
    as_person = world.client.get(f"/api/v1/pilots/{key}", headers={"Authorization": f"Bearer {workstation}"})
    assert as_person.status_code == 401 and as_person.json()["code"] == "PERSON_TOKEN_REQUIRED"
    as_workstation = post(world, key, world.tokens["vendor"], b"{}\n")
    assert as_workstation.status_code == 401 and as_workstation.json()["code"] == "WORKSTATION_TOKEN_REQUIRED"
    unknown = post(world, key, "prw_" + "A" * 43, b"{}\n")
    assert unknown.status_code == 401 and unknown.json()["code"] == "AUTH_TOKEN_INVALID"


def test_a_batch_is_stored_once_and_a_retry_gets_the_same_answer(world: World, folder: Path,
                                                                  pilot: tuple[str, dict[str, str]]) -> None:
    key, tokens = pilot
    ref, token = next(iter(tokens.items()))
    body = lines(_fresh(_records(folder, ref), "once"))
    first = post(world, key, token, body, idem="batch-1", gz=True)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert (answer["records"], answer["accepted"], answer["duplicated"], answer["rejected"]) == (5, 5, 0, 0)
    assert answer["segment"].startswith("traces/") and "collector." in answer["segment"]
    again = post(world, key, token, body, idem="batch-1")  # the same records, not compressed this time
    assert again.status_code == 200 and again.json() == {**answer, "replayed": True}
    reused = post(world, key, token, body + body, idem="batch-1")
    assert reused.status_code == 409 and reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    resent = post(world, key, token, body, idem="batch-2")  # a new key: its records are already stored
    assert resent.status_code == 201 and (resent.json()["accepted"], resent.json()["duplicated"]) == (0, 5)
    pilot_id = world.registry.repo.pilot(key).id
    stored = [s for s in world.registry.segments.files(key, 1) if s.name in (answer["segment"],
                                                                              resent.json()["segment"])]
    assert [s.path.read_bytes() for s in stored] == [body, body]  # as received, decompressed
    listed = world.call("vendor", "GET", f"/pilots/{key}/workstations").json()
    assert next(w for w in listed if w["practitioner"] == ref)["last_batch_at"] is not None
    assert pilot_id


def test_rejections_are_the_engines_with_their_lines_and_another_practitioners_records_are_not_kept(
        world: World, folder: Path, pilot: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    key, tokens = pilot
    (ref, token), (other, _) = list(tokens.items())[:2]
    good = _fresh(_records(folder, ref, 3), "rej")
    foreign = _fresh(_records(folder, other, 1), "rej-other")[0]
    body = (lines(good[:1]) + b"not json\n" + lines([foreign]) + b"\n"
            + lines([{**good[1], "ts": "hier"}, good[2]]))
    answer = post(world, key, token, body).json()
    assert (answer["records"], answer["accepted"], answer["rejected"]) == (5, 2, 3)
    assert [(r["line"], r["reason"]) for r in answer["rejections"]] == [
        (2, "unreadable"), (3, "wrong_practitioner"), (5, "ts_not_iso")]
    assert all(r["message"] for r in answer["rejections"])
    exported = tmp_path / "exported"
    export_folder(world.registry, world.registry.repo.pilot(key), exported)
    segment = exported / answer["segment"]
    assert foreign["event_id"] not in segment.read_text(encoding="utf-8")
    assert segment.read_bytes().count(b"\n") == body.count(b"\n")  # every other line keeps its number


@pytest.mark.parametrize(("headers", "body", "status", "code"), [
    ({"Idempotency-Key": b""}, b"{}\n", 400, "INVALID_IDEMPOTENCY_KEY"),
    ({}, b"{}\n", 400, "INVALID_IDEMPOTENCY_KEY"),
    ({"Idempotency-Key": "é".encode("latin-1") * 3}, b"{}\n", 400, "INVALID_IDEMPOTENCY_KEY"),
    ({"Idempotency-Key": b"k" * 129}, b"{}\n", 400, "INVALID_IDEMPOTENCY_KEY"),
    ({"Content-Encoding": b"gzip"}, b"{}\n", 400, "MALFORMED_REQUEST"),
    ({"Content-Encoding": b"br"}, b"{}\n", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ({}, b'{"a": "' + b"x" * (1024 * 1024) + b'"}\n', 413, "REQUEST_TOO_LARGE"),
    ({}, b"{}\n" * (6 * 1024 * 1024), 413, "REQUEST_TOO_LARGE"),
    ({"Content-Type": b"text/csv"}, b"{}\n", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ({}, b"", 422, "INVALID_REQUEST"),
])
def test_a_bad_request_gets_its_code(world: World, pilot: tuple[str, dict[str, str]], headers: dict[str, bytes],
                                     body: bytes, status: int, code: str) -> None:
    key, tokens = pilot
    sent = {"Authorization": f"Bearer {next(iter(tokens.values()))}".encode(), **headers}
    if "Idempotency-Key" not in headers and code != "INVALID_IDEMPOTENCY_KEY":
        sent["Idempotency-Key"] = b"bad-request"
    answer = world.client.post(f"/api/v1/pilots/{key}/traces", content=body, headers=sent)
    assert answer.status_code == status and answer.json()["code"] == code, answer.text


def test_a_gzip_bomb_answers_413(world: World, pilot: tuple[str, dict[str, str]]) -> None:
    import gzip

    key, tokens = pilot
    bomb = gzip.compress(b"\n" * (17 * 1024 * 1024))
    answer = world.client.post(f"/api/v1/pilots/{key}/traces", content=bomb, headers={
        "Authorization": f"Bearer {next(iter(tokens.values()))}", "Idempotency-Key": "bomb",
        "Content-Encoding": "gzip"})
    assert answer.status_code == 413 and answer.json()["code"] == "REQUEST_TOO_LARGE"


def test_a_token_of_another_pilot_finds_no_pilot_and_a_revoked_one_is_refused(
        world: World, folder: Path, pilot: tuple[str, dict[str, str]]) -> None:
    key, _ = pilot
    second, others = running_pilot(world, folder)
    token = next(iter(others.values()))
    assert post(world, key, token, b"{}\n").json()["code"] == "PILOT_NOT_FOUND"
    workstation = world.call("vendor", "GET", f"/pilots/{second}/workstations").json()[0]
    assert world.call("cpam33", "DELETE", f"/pilots/{second}/workstations/{workstation['id']}").status_code in (
        403, 404)
    assert world.call("cnam", "DELETE", f"/pilots/{second}/workstations/{workstation['id']}").status_code == 204
    revoked = post(world, second, others[workstation["practitioner"]], b"{}\n")
    assert revoked.status_code == 401 and revoked.json()["code"] == "AUTH_TOKEN_REVOKED"


def test_a_workstation_sending_too_fast_is_told_when_to_come_back(world: World, folder: Path,
                                                                   pilot: tuple[str, dict[str, str]]) -> None:
    from preserie.services.collector import Pace

    key, tokens = pilot
    app = world.client.app
    saved, app.state.pace = app.state.pace, Pace(rate=0.5, burst=1)  # type: ignore[attr-defined]
    try:
        token = next(iter(tokens.values()))
        post(world, key, token, b"{}\n")
        refused = post(world, key, token, b"{}\n")
        assert refused.status_code == 429 and refused.json()["code"] == "TOO_MANY_REQUESTS"
        assert refused.headers["Retry-After"] == "2"
    finally:
        app.state.pace = saved  # type: ignore[attr-defined]


def test_the_collector_closes_with_the_presérie_validated(world: World, folder: Path) -> None:
    key, tokens = running_pilot(world, folder)
    token = next(iter(tokens.values()))
    assessment = world.call("cnam", "GET", f"/pilots/{key}/assessment").json()
    world.call("cnam", "POST", f"/pilots/{key}/decisions",
               json={"decision": "deploy", "justification": None if assessment["decision"] == "deploy"
                     else "décision de test"}).raise_for_status()
    gone = post(world, key, token, b"{}\n")
    assert gone.status_code == 410 and gone.json()["code"] == "TRACES_CLOSED"
    assert "la présérie est validée" in gone.json()["message"]


def test_a_workstation_silent_for_two_working_days_is_reported(world: World, folder: Path,
                                                               pilot: tuple[str, dict[str, str]]) -> None:
    import datetime as dt

    key, tokens = pilot
    practitioner, token = next(iter(tokens.items()))
    post(world, key, token, lines(_fresh(_records(folder, practitioner, 2), "watch"))).raise_for_status()
    real_now = world.registry.now
    sent = real_now()
    try:
        world.registry.now = lambda: sent + dt.timedelta(days=7)  # a week later: five working days at least
        report = world.call("cnam", "GET", f"/pilots/{key}/watch").json()
    finally:
        world.registry.now = real_now
    assert report["after_working_days"] == 2 and report["workstations"] >= len(tokens)
    silent = {s["practitioner"]: s for s in report["silent"]}
    assert silent[practitioner]["working_days"] >= 4 and silent[practitioner]["last_batch_at"] is not None
    fresh = world.call("cnam", "GET", f"/pilots/{key}/watch").json()
    assert practitioner not in {s["practitioner"] for s in fresh["silent"]}  # it sent a batch just now
