"""THE crash test of the collector (issue 11): a real `preserie serve` on 127.0.0.1 (SQLite), several client
threads posting batches of records with unique event_ids, each unacknowledged batch retried with its
Idempotency-Key; the server killed with SIGKILL at random moments, 20 times in a row, and restarted each time.
The records stored (read from the segments, by event_id and content) are the records sent, exactly."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from collector_help import lines, running_pilot
from registry_walk import serving, simulated

from preserie.adapters.trace_segments import SegmentStore

KILLS, CLIENTS, PER_BATCH = 20, 3, 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        server = subprocess.Popen([sys.executable, "-m", "preserie", "serve", "--data", str(data), "--port",
                                   str(port)], stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/pilots", timeout=1).status_code == 401:
                return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.kill()
    raise AssertionError(f"le serveur n'a pas démarré : {log.read_text(errors='replace')[-2000:]}")


def _children(pid: int) -> set[int]:
    return {int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()}


def _ended(pids: set[int], seconds: float) -> set[int]:
    """Those of `pids` still running after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        alive = {pid for pid in pids if Path(f"/proc/{pid}").exists()
                 and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


class Client(threading.Thread):
    """A workstation: batch after batch while `running`, each one sent until it is acknowledged."""

    def __init__(self, number: int, url: str, token: str, template: dict[str, Any], running: threading.Event):
        super().__init__(daemon=True)
        self.number, self.url, self.token, self.template, self.running = number, url, token, template, running
        self.sent: list[dict[str, Any]] = []
        self.retries = 0
        self.failure: str | None = None

    def run(self) -> None:
        batch = 0
        with httpx.Client(timeout=10) as http:
            while self.running.is_set() and self.failure is None:
                records = [{**self.template, "event_id": f"crash-{self.number}-{batch}-{i}"} for i in range(PER_BATCH)]
                self._send(http, f"c{self.number}-b{batch}", lines(records))
                self.sent.extend(records)
                batch += 1

    def _send(self, http: httpx.Client, key: str, body: bytes) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key,
                   "Content-Type": "application/x-ndjson"}
        while True:
            try:
                answer = http.post(self.url, content=body, headers=headers)
            except httpx.TransportError:
                self.retries += 1
                time.sleep(0.02)
                continue
            if answer.status_code in (200, 201):
                return
            if answer.status_code in (429, 503):
                time.sleep(0.05)
                continue
            self.failure = f"{answer.status_code} {answer.text}"
            return


def test_batches_survive_twenty_sigkills_exactly_once(tmp_path: Path) -> None:
    started = time.monotonic()
    data, folder = tmp_path / "data", simulated(tmp_path / "pilot", records=1000)
    with serving(f"sqlite:///{data / 'registry.db'}", data) as world:  # the service's own database file
        world.account("vendor", "vendor", vendor="Simulé SAS")
        world.account("cnam", "cnam")
        key, tokens = running_pilot(world, folder)
    refs = list(tokens)[:CLIENTS]
    templates = {}
    for line in next((folder / "traces").iterdir()).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        templates.setdefault(record["practitioner"], record)
    port, log = _free_port(), tmp_path / "serve.log"
    running = threading.Event()
    running.set()
    url = f"http://127.0.0.1:{port}/api/v1/pilots/{key}/traces"
    clients = [Client(n, url, tokens[ref], templates[ref], running) for n, ref in enumerate(refs)]
    server = _start(data, port, log)
    for client in clients:
        client.start()
    rng = random.Random(11)
    orphans: set[int] = set()
    for _ in range(KILLS):
        time.sleep(rng.uniform(0.05, 0.6))
        orphans |= _children(server.pid)  # the collector's check processes, once a batch has come
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        server = _start(data, port, log)
    time.sleep(0.3)
    running.clear()
    for client in clients:
        client.join(timeout=30)
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=10)
    assert [c.failure for c in clients] == [None] * len(clients)
    assert orphans and _ended(orphans, 10) == set()  # a check process never outlives its server

    sent = Counter(json.dumps(r, sort_keys=True) for c in clients for r in c.sent)
    stored: Counter[str] = Counter()
    for segment in SegmentStore(data / "traces").files(key, 1):
        stored.update(json.dumps(json.loads(line), sort_keys=True)
                      for line in segment.path.read_text(encoding="utf-8").splitlines() if line.strip())
    assert sum(c.retries for c in clients) >= KILLS  # the kills did hit batches in flight
    assert len(sent) == sum(sent.values()) > 0  # unique event_ids
    assert stored == sent  # no record lost, none stored twice
    print(f"\n{sum(sent.values())} enregistrements, {sum(c.retries for c in clients)} reprises, "
          f"{len(list((data / 'collector-unacknowledged').rglob('*.jsonl')))} segments jamais acquittés mis de côté, "
          f"{time.monotonic() - started:.1f} s")
    assert time.monotonic() - started < 120
