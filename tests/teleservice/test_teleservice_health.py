"""The health probe: no token, one ``SELECT 1`` on the sandbox's database, kept out of the journal; and the sandbox
served by several worker processes (``serve --workers``), as benchmarks/teleservice_load.py runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from teleservice_sandbox import SECRET, Sandbox, created, draft

from preserie.teleservice.settings import SECRET_ENV
from preserie.teleservice.store import SqlPrescriptionStore


def test_the_health_probe_answers_ok_without_a_token_and_stays_out_of_the_journal(sandbox: Sandbox) -> None:
    before = len(sandbox.store.journal_entries())
    with sandbox.anonymous() as client:
        response = client.get("/v1/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "mode": "stateful"})
    assert len(sandbox.store.journal_entries()) == before


def test_the_health_probe_is_published_in_openapi(sandbox: Sandbox) -> None:
    with sandbox.anonymous() as client:
        paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/v1/health"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_health(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"le bac à sable à 2 processus n'a pas démarré (code {server.poll()})")


def test_two_workers_answer_without_delay_and_flush_their_journal_when_stopped(tmp_path: Path) -> None:
    database, port = tmp_path / "sandbox.db", _free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "preserie", "teleservice", "serve", "--workers", "2", "--port", str(port),
         "--database", str(database)], env={**os.environ, SECRET_ENV: SECRET},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_health(base_url, server)
        with Sandbox(base_url, SqlPrescriptionStore(f"sqlite:///{database}")).client() as client:
            ids = [created(client, draft()) for _ in range(5)]
            latencies = []
            for _ in range(10):
                began = time.perf_counter()
                assert client.get("/v1/health").status_code == 200
                latencies.append(time.perf_counter() - began)
        # Nagle's algorithm left on (uvicorn's own worker socket) holds every answer ~40 ms: never below.
        assert min(latencies) < 0.02, latencies
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(30) == 0
    store = SqlPrescriptionStore(f"sqlite:///{database}")
    journal = [(e["operation"], e["status"], e["prescription_id"]) for e in store.journal_entries()]
    store.close()
    assert sorted(journal) == sorted(("create", 201, prescription_id) for prescription_id in ids)
