"""`preserie simulate --teleservice URL --collector URL --pilot ID`, as a user runs it: the workstations call the
sandbox (served in this process) and post their traces to a fake collector that fails on a script; every record
of OUT/traces reaches the collector exactly once, from its own workstation's token."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fake_collector import VENDOR_TOKEN, FakeState, serving

from preserie.teleservice.app import create_app
from preserie.teleservice.settings import Settings

SECRET = "collector-side-secret-0123456789"


@pytest.fixture()
def sandbox(tmp_path: Path) -> Iterator[str]:
    """The teleservice sandbox, no fault, on SQLite, served by uvicorn in a thread on a free loopback port."""
    app = create_app(Settings(SECRET, database=str(tmp_path / "sandbox.db")))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def simulate(out: Path, *args: str, token: str | None = VENDOR_TOKEN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRESERIE_TELESERVICE_SECRET": SECRET, "COLUMNS": "200"}
    env.pop("PRESERIE_TOKEN", None)
    if token is not None:
        env["PRESERIE_TOKEN"] = token
    return subprocess.run([sys.executable, "-m", "preserie", "simulate", str(out), *args], capture_output=True,
                          text=True, timeout=120, env=env)


def test_every_trace_of_the_folder_reaches_the_collector_once_from_its_workstation(sandbox: str,
                                                                                   tmp_path: Path) -> None:
    state = FakeState(script=["503", "429:0", "lost", "ok", "503:0"])
    with serving(state) as collector:
        done = simulate(tmp_path / "pilot", "--records", "1000", "--practitioners", "3", "--weeks", "1",
                        "--teleservice", sandbox, "--collector", collector, "--pilot", "PILOT1",
                        "--batch-records", "100", "--patience", "5")
    assert done.returncode == 0, done.stderr
    written = {}
    for path in sorted((tmp_path / "pilot" / "traces").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            written[record["event_id"]] = record
    assert set(state.stored) == set(written) and set(state.times_stored.values()) == {1}
    assert all(state.stored[e] == written[e] for e in written)  # the same records, field for field
    assert (tmp_path / "pilot" / "pilot.yaml").exists() and "tous les lots sont acquittés" in done.stdout
    workstations = {r["workstation"]: r["practitioner"] for r in written.values()}
    assert sorted(state.tokens.values()) == sorted(workstations.values())  # one enrolment per workstation
    assert f"{len(workstations)} poste(s) inscrit(s)" in done.stdout
    assert not list((tmp_path / "pilot" / "spool").rglob("*.ndjson.gz"))
    assert 200 in state.answers  # the lost answer was replayed, not stored again


def test_a_collector_without_its_pilot_or_the_vendors_token_exits_2_in_french(tmp_path: Path) -> None:
    done = simulate(tmp_path / "a", "--collector", "http://127.0.0.1:9", token=None)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--collector ne va qu'avec --teleservice" in done.stderr and "--pilot ID attendu" in done.stderr
    assert "PRESERIE_TOKEN" in done.stderr and not (tmp_path / "a").exists()


def test_a_refused_enrolment_exits_2_in_french(sandbox: str, tmp_path: Path) -> None:
    with serving(FakeState()) as collector:
        done = simulate(tmp_path / "b", "--records", "1000", "--teleservice", sandbox, "--collector", collector,
                        "--pilot", "PILOT1", token="not-the-vendor")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "inscription d'un poste du médecin" in done.stderr and "HTTP 401" in done.stderr
