"""The teleservice's contract, as a suite a vendor runs against any base URL (docs/teleservice.md, « Contract suite »).

What it needs: Python 3.11 with ``preserie`` (for the id rule and the examples' ids), ``pytest``, ``httpx`` and
``fhir.resources`` (the independent FHIR validator) — ``pip install -e '.[dev]'`` in a checkout of preserie gives
them all. Then:

    PRESERIE_CONTRACT_URL=https://sandbox.example.org \\
    PRESERIE_TELESERVICE_SECRET=… \\
        pytest tests/teleservice/contract -p no:cacheprovider

- ``PRESERIE_CONTRACT_URL`` (or ``--contract-url``): the base URL under test, ``/v1/…`` below it.
- Tokens: with ``PRESERIE_TELESERVICE_SECRET`` (the server's token secret) the suite signs its own, as
  ``preserie teleservice token`` does; or ``PRESERIE_CONTRACT_TOKEN_COMMAND`` (or ``--contract-token-command``), a
  command printing a bearer token, ``{id}`` and ``{role}`` in it replaced (``preserie teleservice token --id {id}
  --role {role}``).
- The mode is read from ``GET /v1/health`` (``"mode": "stateless"`` or stateful). Against a stateless server the
  reads go to the documented examples (stateless.EXAMPLES) and the tests marked ``stateful`` are skipped, each with
  its reason; against a stateful one the suite makes each prescription it reads through the API itself.

Without a URL, in this repository, the suite starts a real ``preserie teleservice serve`` per mode: stateful on
SQLite, stateful on PostgreSQL (in a database of its own on the server of ``PRESERIE_TEST_DATABASE_URL``, dropped
afterwards; skipped without it, but failed under ``CI=true``), and ``--stateless``.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from contract.kit import Prescriptions, Target
from preserie.teleservice.tokens import issue_token

URL_ENV, SECRET_ENV, TOKEN_COMMAND_ENV = "PRESERIE_CONTRACT_URL", "PRESERIE_TELESERVICE_SECRET", \
    "PRESERIE_CONTRACT_TOKEN_COMMAND"
PG_ENV = "PRESERIE_TEST_DATABASE_URL"
LOCAL_MODES = ("sqlite", "postgresql", "stateless")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "the teleservice's contract suite (tests/teleservice/contract)")
    group.addoption("--contract-url", help=f"base URL under test (or {URL_ENV}); default: servers started here")
    group.addoption("--contract-token-command", help=f"command printing a token, {{id}} and {{role}} replaced (or "
                                                     f"{TOKEN_COMMAND_ENV}); default: signed with {SECRET_ENV}")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stateful(reason): needs state kept between calls; skipped against a "
                                       "stateless server, with the reason")


def _option(config: pytest.Config, name: str, env: str) -> str | None:
    # The options exist when pytest is started on this folder; from the repository's root they may not.
    value = config.getoption(name, default=None)
    return str(value) if value else os.environ.get(env) or None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        url = _option(metafunc.config, "--contract-url", URL_ENV)
        metafunc.parametrize("target", ["url"] if url else list(LOCAL_MODES), indirect=True, scope="session")


def _command_minter(template: str) -> Callable[[str, str], str]:
    def mint(professional_id: str, role: str) -> str:
        argv = [part.replace("{id}", professional_id).replace("{role}", role) for part in shlex.split(template)]
        return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30).stdout.strip()
    return mint


def _secret_minter(secret: str) -> Callable[[str, str], str]:
    return lambda professional_id, role: issue_token(secret, professional_id, role, ttl=3600)


def _mode_of(base_url: str) -> str:
    health = httpx.get(f"{base_url}/v1/health", timeout=20)
    assert health.status_code == 200, f"GET {base_url}/v1/health : {health.status_code} {health.text[:200]}"
    return "stateless" if health.json().get("mode") == "stateless" else "stateful"


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    if request.param == "url":
        url = str(_option(request.config, "--contract-url", URL_ENV)).rstrip("/")
        command = _option(request.config, "--contract-token-command", TOKEN_COMMAND_ENV)
        if command is None and not os.environ.get(SECRET_ENV):
            pytest.fail(f"jetons : définir {SECRET_ENV} (le secret du serveur) ou {TOKEN_COMMAND_ENV}")
        mint = _command_minter(command) if command else _secret_minter(os.environ[SECRET_ENV])
        yield Target(url, _mode_of(url), mint)
        return
    secret = secrets.token_urlsafe(32)
    log = tmp_path_factory.mktemp("contract") / f"serve-{request.param}.log"
    with _database(request.param, tmp_path_factory) as database, _serve(database, secret, log) as url:
        target = Target(url, _mode_of(url), _secret_minter(secret))
        assert target.stateless == (request.param == "stateless")
        yield target


@contextmanager
def _database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """The ``--database`` of a local mode: None for stateless, a new SQLite file, or a new PostgreSQL database on
    the test server (the real sandbox creates unprefixed tables: a database of its own keeps the shared one clean)."""
    if kind == "stateless":
        yield None
    elif kind == "sqlite":
        yield str(tmp_path_factory.mktemp("contract") / "sandbox.db")
    else:
        server = os.environ.get(PG_ENV)
        if not server:
            if os.environ.get("CI"):
                pytest.fail(f"{PG_ENV} absent sous CI : la variante PostgreSQL du contrat ne doit pas être sautée")
            pytest.skip(f"{PG_ENV} absent : variante PostgreSQL du contrat sautée")
        import sqlalchemy

        name = f"contract_{secrets.token_hex(4)}"
        admin = sqlalchemy.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        try:
            yield sqlalchemy.make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@contextmanager
def _serve(database: str | None, secret: str, log: Path) -> Iterator[str]:
    """``preserie teleservice serve`` in a process of its own, as a developer starts it; stopped as Ctrl-C does."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [sys.executable, "-m", "preserie", "teleservice", "serve", "--port", str(port),
            *(["--database", database] if database else ["--stateless"])]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, SECRET_ENV: secret})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"le bac à sable n'a pas démarré : {log.read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)  # not yet listening, or its database not yet up (503): never a busy loop
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def _skip_stateful_against_stateless(request: pytest.FixtureRequest) -> None:
    marker = request.node.get_closest_marker("stateful")
    if marker is not None and "target" in request.fixturenames and request.getfixturevalue("target").stateless:
        pytest.skip(f"serveur sans état : {marker.kwargs.get('reason') or marker.args[0]}")


@pytest.fixture
def prescriptions(target: Target) -> Prescriptions:
    return Prescriptions(target)


@pytest.fixture
def prescriber(target: Target) -> Iterator[httpx.Client]:
    """A fresh prescriber (stateful) — or, on a stateless server, anyone who creates: nothing is kept."""
    with target.client() as client:
        yield client


@pytest.fixture
def pharmacist(target: Target) -> Iterator[httpx.Client]:
    with target.client("pharmacist") as client:
        yield client


