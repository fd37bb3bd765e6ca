"""A real sandbox server on 127.0.0.1 for the tests, and the requests they send (shared by tests/teleservice)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from preserie.teleservice.app import create_app
from preserie.teleservice.faults import FaultInjector
from preserie.teleservice.ids import new_prescription_id, with_check_character
from preserie.teleservice.rules import cip13
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import SqlPrescriptionStore
from preserie.teleservice.tokens import issue_token

SECRET = "test-secret-of-the-sandbox-0123456789"
PG_ENV = "PRESERIE_TEST_DATABASE_URL"
UNKNOWN_ID = with_check_character("Z" * 17)  # well formed, never made by new_prescription_id in practice


def database_url(kind: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('teleservice') / 'sandbox.db'}"
    url = os.environ.get(PG_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{PG_ENV} absent sous CI : les tests PostgreSQL du bac à sable ne doivent pas être sautés")
        pytest.skip(f"{PG_ENV} absent : variante PostgreSQL sautée")
    return url


def nir(body: str = "1841275123456") -> str:
    """A NIR with its right key (97 - number mod 97)."""
    return body + f"{97 - int(body) % 97:02d}"


def new_id(prefix: str = "P") -> str:
    """A fresh professional id: each test works with its own professionals, so tests never see each other's data."""
    return prefix + secrets.token_hex(6).upper()


# A prescriber as the prescription carries them: a RPPS, and the N° AM of the practice (all keys right).
RPPS, PRACTICE_AM, CENTRE_FINESS = "10003456786", "750123457", "750000127"
# A code of each category's system (rules.CODE_SYSTEMS), line n.
CODES: dict[str, Callable[[int], str]] = {
    "medicines": lambda n: cip13(f"34009300000{n % 10}"), "medical_devices": lambda n: f"{1000000 + n}",
    "biology": lambda n: f"{1000 + n}", "nursing": lambda n: f"AMI {n}", "physiotherapy": lambda n: f"AMK {n}",
    "speech_therapy": lambda n: f"AMO {n}", "orthoptics": lambda n: f"AMY {n}", "podiatry": lambda n: f"POD {n}",
}


def line(category: str, n: int, quantity: int) -> dict[str, Any]:
    """Line n of ``category``: its system's code, a posology (text and structured), 30 days."""
    return {"code": CODES[category](n) if category in CODES else None, "text": f"ligne {n}", "quantity": quantity,
            "duration_days": 30,
            "posology": {"text": "1 matin et soir", "dose": 1, "unit": "comprimé", "frequency": 2, "period": 1,
                         "period_unit": "d"}}


def draft(category: str = "medicines", *, visible: bool = True, patient: str | None = None,
          quantities: tuple[int, ...] = (2, 1), prescription_id: str | None = None) -> dict[str, Any]:
    """A create's body: its id made as the prescriber's software makes it (a fresh one unless given)."""
    return {
        "id": prescription_id or new_prescription_id(),
        "category": category,
        "patient_nir": patient or nir(),
        "prescriber": {"rpps": RPPS, "structure": {"kind": "am", "id": PRACTICE_AM}},
        "lines": [line(category, n, q) for n, q in enumerate(quantities, start=1)],
        "software": {"name": "LogiMed Cabinet", "version": "5.2.0"},
        "consents": {"dispensing_visible_to_prescriber": visible, "dmp_deposit": True},
    }


@contextmanager
def running(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread on a free loopback port; yield its base URL."""
    # IPPROTO_TCP named, so that asyncio sets TCP_NODELAY on its connections (else ~40 ms per call: Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # Signal handlers are only installed from the main thread: uvicorn skips them in this one.
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("le bac à sable n'a pas démarré")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@dataclass
class Sandbox:
    base_url: str
    store: SqlPrescriptionStore

    def client(self, professional_id: str | None = None, role: str = "prescriber", *, ttl: int = 600,
               secret: str = SECRET) -> httpx.Client:
        """A client authenticated as ``professional_id`` (a fresh one by default) with ``role``."""
        token = issue_token(secret, professional_id or new_id(), role, ttl=ttl)
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=20)

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=20)


@contextmanager
def serving(database: str, *, faults: FaultInjector | None = None, prefix: str | None = None) -> Iterator[Sandbox]:
    """A sandbox on ``database`` (a SQLAlchemy URL) served on loopback. Its tables carry a random prefix and are
    dropped afterwards, so that a shared database keeps nothing; ``prefix=""`` keeps a real sandbox's tables."""
    table_prefix = f"t{secrets.token_hex(4)}_" if prefix is None else prefix
    settings = Settings(secret=SECRET, database=database, table_prefix=table_prefix)
    store = SqlPrescriptionStore(settings.database_url, table_prefix=table_prefix)
    try:
        with running(create_app(settings, store=store, faults=faults)) as base_url:
            yield Sandbox(base_url, store)
    finally:
        if table_prefix:
            store.drop_tables()
        store.close()


def created(client: httpx.Client, body: dict[str, Any] | None = None, **headers: str) -> str:
    """Create a prescription, asserting success; return its id."""
    response = client.post("/v1/prescriptions", json=body or draft(), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def error_code(response: httpx.Response) -> tuple[int, str]:
    body = response.json()
    assert set(body) >= {"code", "message"} and body["message"], body
    return response.status_code, body["code"]


def raw_request(sandbox: Sandbox, method: str, path: str, *headers: bytes, body: bytes = b"",
                timeout: float = 20) -> tuple[int, dict[str, str], bytes]:
    """One request written byte for byte on a socket (httpx refuses a header byte outside ASCII, and a forged Host);
    its answer's status, headers (lower-case names) and body. A Host naming the server is added unless given."""
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    if not any(header.lower().startswith(b"host:") for header in headers):
        headers = (f"Host: {host}:{port}".encode(), *headers)
    head = b"\r\n".join([f"{method} {path} HTTP/1.1".encode(), *headers, b"Connection: close", b"", b""])
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + body)
        return read_answer(sock)


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of the next HTTP/1.1 answer on ``sock``, read up to its
    Content-Length (the connection may stay open)."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += _received(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines)}
    while len(body) < int(fields.get("content-length", 0)):
        body += _received(sock)
    return int(status_line.split()[1]), fields, body


def _received(sock: socket.socket) -> bytes:
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("connexion fermée avant la fin de la réponse")
    return data


SERVER = """import os, sys
from preserie.teleservice.app import serve
from preserie.teleservice.settings import Settings
serve(Settings(secret=os.environ["SANDBOX_SECRET"], database=sys.argv[1], table_prefix=sys.argv[2]),
      port=int(sys.argv[3]), workers=int(sys.argv[4]))
"""


@contextmanager
def server_process(database: str, output: Path, *, workers: int = 1) -> Iterator[Sandbox]:
    """The sandbox as it is deployed: ``app.serve`` in a process of its own, its whole stdout and stderr written to
    ``output``; its tables under a random prefix, dropped afterwards. Stopped with SIGINT, as Ctrl-C does."""
    prefix = f"p{secrets.token_hex(4)}_"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = SqlPrescriptionStore(database, table_prefix=prefix)
    with output.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", SERVER, database, prefix, str(port), str(workers)],
                                   stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "SANDBOX_SECRET": SECRET})
    try:
        _wait_for_health(f"http://127.0.0.1:{port}", process)
        yield Sandbox(f"http://127.0.0.1:{port}", store)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        store.drop_tables()
        store.close()


def _wait_for_health(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"le bac à sable s'est arrêté au démarrage (code {process.returncode})")
        try:
            if httpx.get(f"{base_url}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("le bac à sable n'a pas démarré")
