"""The collector's group commit (services/collector_intake.py, decision 0004): the batches submitted together are
checked in one pass of the engine, flushed together and recorded in one transaction, and each gets the answer it
would have got alone; a token revoked meanwhile is refused in the transaction; the rows of the duplicates index
carried over by migration 0006 still find their events; a group whose check process died is refused 503. SQLite and
PostgreSQL (in CI)."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collector_help import lines, post, running_pilot
from registry_databases import database
from registry_walk import World, serving, simulated
from sqlalchemy import select, update

from preserie.adapters.collector_batch import check_batches
from preserie.adapters.db import tables as t
from preserie.adapters.db.collector_repository import LEGACY_TS, SqlCollector, legacy_content
from preserie.adapters.trace_files import TraceFile
from preserie.services import collector_intake
from preserie.services.collector import workstation_of
from preserie.services.collector_intake import Intake, _reference
from preserie.services.errors import RegistryError


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("groups")
    with database(request.param, folder) as url, serving(url, folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("cnam", "cnam")
        yield served


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory.mktemp("pilot") / "pilot", records=1000)


def _records(folder: Path, practitioner: str, tag: str, count: int = 5) -> list[dict[str, Any]]:
    found = [r for path in sorted((folder / "traces").iterdir())
             for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
             if r["practitioner"] == practitioner]
    return [{**r, "event_id": f"{tag}-{i}"} for i, r in enumerate(found[:count])]


def _outcome(future: Any) -> tuple[int, dict[str, Any]]:
    try:
        answer = future.result(timeout=120)
    except RegistryError as error:
        return error.status, error.as_dict()
    return answer.status, answer.body


def test_batches_submitted_together_are_each_answered_as_if_alone(world: World, folder: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    key, tokens = running_pilot(world, folder)
    (ref, token), (other, other_token) = list(tokens.items())[:2]
    mine, theirs = (workstation_of(world.registry, world.settings.secret(), tk) for tk in (token, other_token))
    first = lines(_records(folder, ref, "g1"))
    mixed = lines(_records(folder, other, "g5", 2) + _records(folder, ref, "g5-foreign", 1))
    batches = [(mine, "k1", first), (mine, "k1", first), (mine, "k3", first), (mine, "k4", gzip.compress(first)),
               (theirs, "k5", mixed), (mine, "k1", first + first)]
    passes: list[int] = []
    everyone_waits, real_check = threading.Event(), check_batches

    def spied(found: Any, reference: Any, legacy: Any = ()) -> Any:
        everyone_waits.wait(30)  # the first pass holds until every batch is submitted: the others make one group
        passes.append(len(found))
        return real_check(found, reference, legacy)

    monkeypatch.setattr(collector_intake, "check_batches", spied)
    intake = Intake(world.registry)
    try:
        futures = [intake.submit(w, k, key, body) for w, k, body in batches]
        everyone_waits.set()
        outcomes = [_outcome(f) for f in futures]
    finally:
        intake.close()
    assert max(passes) >= 3  # several batches read in one pass of the engine
    (s1, a1), (s2, a2), (s3, a3), (s4, a4), (s5, a5), (s6, a6) = outcomes
    assert s1 == 201 and (a1["records"], a1["accepted"], a1["duplicated"], a1["rejected"]) == (5, 5, 0, 0)
    assert (s2, a2) == (200, {**a1, "replayed": True})  # the same key again: waited for the next group
    assert s3 == 201 and (a3["accepted"], a3["duplicated"]) == (0, 5)  # the same records under another key
    assert s4 == 400 and a4["code"] == "MALFORMED_REQUEST"
    assert s5 == 201 and [(r["line"], r["reason"]) for r in a5["rejections"]] == [(3, "wrong_practitioner")]
    assert s6 == 409 and a6["code"] == "IDEMPOTENCY_KEY_REUSED"
    stored = {s.name: s.path.read_bytes() for s in world.registry.segments.files(key, 1)}
    assert set(stored) == {a1["segment"], a3["segment"], a5["segment"]}  # refused batches keep no segment
    assert stored[a1["segment"]] == stored[a3["segment"]] == first
    assert stored[a5["segment"]].count(b"\n") == mixed.count(b"\n") and b"g5-foreign" not in stored[a5["segment"]]
    folder_of = world.registry.segments.folder(key, 1)
    assert not [p.name for p in folder_of.iterdir() if p.name.startswith(".tmp-")]
    pilot_id = world.registry.repo.pilot(key).id
    with world.registry.repo.engine.connect() as conn:
        keys = list(conn.execute(select(t.collector_keys.c.ts).where(t.collector_keys.c.pilot_id == pilot_id)))
    assert len(keys) == 7 and all(second > 1_600_000_000 for (second,) in keys)  # ts first (decision 0004)


def test_a_token_revoked_meanwhile_is_refused_in_the_batchs_transaction(world: World, folder: Path) -> None:
    key, tokens = running_pilot(world, folder)
    ref, token = next(iter(tokens.items()))
    assert post(world, key, token, lines(_records(folder, ref, "rv1"))).status_code == 201  # the token is cached
    workstation = workstation_of(world.registry, world.settings.secret(), token)
    with world.registry.repo.writing() as conn:  # revoked behind this process's back: its cache still knows it
        conn.execute(update(t.workstation_tokens).where(t.workstation_tokens.c.workstation_id == workstation.id)
                     .values(revoked_at=world.registry.now()))
    before = len(world.registry.segments.files(key, 1))
    refused = post(world, key, token, lines(_records(folder, ref, "rv2")))
    assert refused.status_code == 401 and refused.json()["code"] == "AUTH_TOKEN_REVOKED"
    assert len(world.registry.segments.files(key, 1)) == before


def test_events_indexed_before_migration_0006_are_still_found(world: World, folder: Path, tmp_path: Path) -> None:
    """A database whose index was carried over by migration 0006: its contents digested the old way (negative), a
    key without its second (LEGACY_TS) or with it. A batch sent again after the change is still counted duplicated,
    and an event of the same id with another content is not."""
    key, tokens = running_pilot(world, folder)
    ref, token = next(iter(tokens.items()))
    records = _records(folder, ref, "legacy")
    body = lines(records)
    (tmp_path / "batch.jsonl").write_bytes(body)
    (checked,) = check_batches([(TraceFile(tmp_path / "batch.jsonl", "traces/batch.jsonl", "jsonl", False), ref)],
                               _reference(), legacy=[0])
    assert len(checked.legacy_contents) == checked.events == 5
    pairs = zip(checked.key_triples(), checked.legacy_contents, strict=True)
    carried = [n for at, ((second, event, _), old) in enumerate(pairs)
               for n in (LEGACY_TS if at % 2 else second, event, legacy_content(old))]  # with and without a second
    pilot_id = world.registry.repo.pilot(key).id
    with world.registry.repo.writing() as conn:
        SqlCollector.add_keys(conn, pilot_id, carried)
        conn.execute(t.collector_legacy_pilots.insert().values(pilot_id=pilot_id))
    answer = post(world, key, token, body).json()
    assert (answer["accepted"], answer["duplicated"]) == (0, 5)
    again = post(world, key, token, lines(_records(folder, ref, "legacy", 7))).json()
    assert (again["accepted"], again["duplicated"]) == (2, 5)
    changed = post(world, key, token, lines([{**r, "network": "satellite"} for r in records])).json()
    assert (changed["accepted"], changed["duplicated"]) == (5, 0)  # conflicts, not duplicates


def test_a_group_whose_check_process_died_is_refused_503_and_its_retry_stored_once(
        world: World, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two check threads, each with its own check process (here a stand-in): a group whose check process died is
    refused 503 SERVICE_UNAVAILABLE and leaves no segment (the client retries it); the others are stored, and a
    later group's batch of the same records is counted duplicated, whichever thread checked it."""
    key, tokens = running_pilot(world, folder)
    ref, token = next(iter(tokens.items()))
    workstation = workstation_of(world.registry, world.settings.secret(), token)
    lost = threading.Event()

    class StandIn:
        def __call__(self, found: Any, reference: Any, legacy: Any = ()) -> Any:
            if not lost.is_set():
                lost.set()
                raise collector_intake.CheckUnavailable("processus de vérification arrêté")
            return check_batches(found, reference, legacy)

        def close(self) -> None:
            pass

    monkeypatch.setattr(collector_intake, "CheckProcess", StandIn)
    before = len(world.registry.segments.files(key, 1))
    intake = Intake(world.registry, checks=2, check_process=True)
    try:
        body = lines(_records(folder, ref, "two-checks"))
        first = _outcome(intake.submit(workstation, "tc1", key, body))
        again = _outcome(intake.submit(workstation, "tc1", key, body))
        copies = [_outcome(intake.submit(workstation, f"tc{n}", key, body)) for n in (2, 3)]
    finally:
        intake.close()
    assert first[0] == 503 and first[1]["code"] == "SERVICE_UNAVAILABLE"
    assert again[0] == 201 and (again[1]["accepted"], again[1]["duplicated"]) == (5, 0)  # the retry, stored once
    assert [(s, a["accepted"], a["duplicated"]) for s, a in copies] == [(201, 0, 5), (201, 0, 5)]
    assert len(world.registry.segments.files(key, 1)) == before + 3
