"""Fault profiles: their data, the injector's decisions on a fake clock, and injected faults through a real server
(journaled, with Retry-After, storing nothing), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from teleservice_sandbox import SECRET, Sandbox, created, database_url, draft, error_code, serving
from typer.testing import CliRunner

from preserie.cli import app as cli
from preserie.teleservice.faults import (
    FaultInjector,
    FaultProfile,
    FaultProfileError,
    OutageWindow,
    load_profile,
    profile_names,
)
from preserie.teleservice.settings import SECRET_ENV, Settings, SettingsError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_every_named_profile_loads_and_says_what_it_rehearses() -> None:
    assert {"pilot", "flaky", "rate-limited", "outage", "slow-database"} <= set(profile_names())
    for name in profile_names():
        assert load_profile(name).description, name


@pytest.mark.parametrize(("text", "where"), [
    ("operations: {delete: {errors: 0.1}}", "opération inconnue : delete"),
    ("operations: {'*': {latency_ms: [50, 10]}}", "latency_ms"),
    ("operations: {create: {errors: 0.6, rate_limited: 0.5}}", "dépasse 1"),
    ("operations: {create: {errors: 1.5}}", "operations.create.errors"),
    ("outages: [{start_s: 0, duration_s: 60, every_s: 30}]", "every_s"),
    ("database_latency_ms: slow", "database_latency_ms"),
    ("seed: 1\nunknown_field: 2", "unknown_field"),
    ("operations: [oops", "YAML illisible"),
])
def test_a_bad_profile_file_is_refused_with_the_field(tmp_path: Path, text: str, where: str) -> None:
    path = tmp_path / "profile.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FaultProfileError, match=str(path)) as raised:
        load_profile(str(path))
    assert where in str(raised.value)


def test_an_unknown_profile_name_lists_the_known_ones() -> None:
    with pytest.raises(FaultProfileError, match="pilot"):
        load_profile("no-such-profile")
    with pytest.raises(SettingsError, match="no-such-profile"):
        Settings(secret=SECRET, faults="no-such-profile")


def test_the_profile_is_read_once_when_the_sandbox_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Settings refuse a bad profile and keep the one they read: the app does not read the file again."""
    from preserie.teleservice import settings as settings_module
    from preserie.teleservice.app import create_app

    reads: list[str] = []
    monkeypatch.setattr(settings_module, "load_profile", lambda name: reads.append(name) or load_profile(name))
    settings = Settings(secret=SECRET, database=str(tmp_path / "sandbox.db"), faults="flaky")
    app = create_app(settings)
    assert reads == ["flaky"]
    assert app.state.faults is not None and app.state.faults.profile == settings.fault_profile()


def test_outage_windows_repeat_and_say_how_long_is_left() -> None:
    once = OutageWindow(start_s=10, duration_s=5)
    assert [once.remaining(t) for t in (9.9, 10, 14, 15, 100)] == [None, 5, 1, None, None]
    periodic = OutageWindow(start_s=10, duration_s=5, every_s=60)
    assert [periodic.remaining(t) for t in (70, 74.5, 75, 130)] == [5, 0.5, None, 5]


def test_during_an_outage_every_operation_is_refused_with_retry_after_then_service_resumes() -> None:
    clock = FakeClock()
    profile = FaultProfile(outages=[OutageWindow(start_s=10, duration_s=30),
                                    OutageWindow(start_s=100, duration_s=10, mode="timeout")], timeout_ms=2000)
    injector = FaultInjector(profile, clock=clock)
    assert injector.decide("create").code is None
    clock.now += 12.5
    fault = injector.decide("search")
    assert (fault.code, fault.retry_after, fault.delay_s) == ("TS_UNAVAILABLE", 28, 0.0)
    clock.now += 28
    assert injector.decide("consult").code is None
    clock.now += 60
    assert (injector.decide("create").code, injector.decide("create").delay_s) == ("TS_GATEWAY_TIMEOUT", 2.0)


def test_rates_per_operation_follow_the_profile_and_its_seed() -> None:
    profile = FaultProfile(seed=5, operations={
        "*": {"errors": 0.1, "latency_ms": (10, 30)},
        "search": {"rate_limited": 0.3, "timeouts": 0.05}})
    injector = FaultInjector(profile, clock=FakeClock())
    draws = 4000
    create = Counter(injector.decide("create").code for _ in range(draws))
    search = [injector.decide("search") for _ in range(draws)]
    assert abs((create["TS_UNAVAILABLE"] + create["TS_INTERNAL_ERROR"]) / draws - 0.1) < 0.02
    assert create["TS_TOO_MANY_REQUESTS"] == 0  # a named operation replaces "*" entirely, and the reverse
    counts = Counter(fault.code for fault in search)
    assert abs(counts["TS_TOO_MANY_REQUESTS"] / draws - 0.3) < 0.03 and counts["TS_UNAVAILABLE"] == 0
    assert abs(counts["TS_TIMEOUT"] / draws - 0.05) < 0.015
    assert all(fault.retry_after == profile.retry_after_s for fault in search if fault.code == "TS_TOO_MANY_REQUESTS")
    assert all(fault.delay_s == 0 for fault in search if fault.code is None)  # no latency asked for search
    first, second = FaultInjector(profile, clock=FakeClock()), FaultInjector(profile, clock=FakeClock())
    assert [first.decide("create") for _ in range(200)] == [second.decide("create") for _ in range(200)]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return database_url(request.param, tmp_path_factory)


@pytest.fixture()
def serve(database: str) -> Iterator[Callable[[FaultProfile], Sandbox]]:
    """Serve a sandbox with the faults of a profile; each is stopped, and its tables dropped, after the test."""
    with ExitStack() as stack:
        yield lambda profile: stack.enter_context(serving(database, faults=FaultInjector(profile)))


@pytest.fixture()
def down(serve: Callable[[FaultProfile], Sandbox]) -> Sandbox:
    return serve(FaultProfile(outages=[OutageWindow(start_s=0, duration_s=3600)]))


def test_an_injected_timeout_waits_then_answers_408_and_an_outage_without_answer_504(
        serve: Callable[[FaultProfile], Sandbox]) -> None:
    timing_out = serve(FaultProfile(operations={"search": {"timeouts": 1.0}}, timeout_ms=50))
    hanging = serve(FaultProfile(outages=[OutageWindow(start_s=0, duration_s=3600, mode="timeout")], timeout_ms=50))
    with timing_out.client() as client:
        began = time.perf_counter()
        assert error_code(client.get("/v1/prescriptions")) == (408, "TS_TIMEOUT")
        assert time.perf_counter() - began >= 0.05
        assert client.post("/v1/prescriptions", json=draft()).status_code == 201  # only search times out
    with hanging.client() as client:
        assert error_code(client.post("/v1/prescriptions", json=draft())) == (504, "TS_GATEWAY_TIMEOUT")
    assert [(e["operation"], e["error_code"]) for e in hanging.store.journal_entries()] == [
        ("create", "TS_GATEWAY_TIMEOUT")]


def test_an_injected_rate_limit_answers_429_with_retry_after_and_is_journaled(
        serve: Callable[[FaultProfile], Sandbox]) -> None:
    rate_limited_search = serve(FaultProfile(operations={"search": {"rate_limited": 1.0}}, retry_after_s=7))
    with rate_limited_search.client("PRESCRIBER1") as client:
        prescription_id = created(client)
        response = client.get("/v1/prescriptions")
        assert error_code(response) == (429, "TS_TOO_MANY_REQUESTS")
        assert response.headers["Retry-After"] == "7"
        assert client.get(f"/v1/prescriptions/{prescription_id}").status_code == 200
    journal = [(e["operation"], e["status"], e["error_code"], e["caller_id"])
               for e in rate_limited_search.store.journal_entries()]
    assert journal == [("create", 201, None, "PRESCRIBER1"), ("search", 429, "TS_TOO_MANY_REQUESTS", None),
                       ("consult", 200, None, "PRESCRIBER1")]


def test_during_an_outage_a_create_stores_nothing_and_the_health_check_still_answers(down: Sandbox) -> None:
    with down.client("PRESCRIBER2") as client:
        response = client.post("/v1/prescriptions", json=draft())
        assert error_code(response) == (503, "TS_UNAVAILABLE")
        assert 3500 <= int(response.headers["Retry-After"]) <= 3600
        assert client.get("/v1/health").status_code == 200
        assert client.get("/openapi.json").status_code == 200
    journal = [(e["operation"], e["status"]) for e in down.store.journal_entries()]
    assert journal == [("create", 503), ("unknown", 200)]  # /openapi.json is no operation
    with down.store.engine.connect() as conn:
        assert conn.execute(down.store.t["prescriptions"].select()).first() is None


def test_a_slow_database_slows_every_statement(serve: Callable[[FaultProfile], Sandbox]) -> None:
    slow_database = serve(FaultProfile(database_latency_ms=40))
    with slow_database.client() as client:
        prescription_id = created(client)
        began = time.perf_counter()
        assert client.get(f"/v1/prescriptions/{prescription_id}").status_code == 200
        assert time.perf_counter() - began >= 0.04  # consult runs at least one SELECT, each waits 40 ms


def _where_statements_run(sandbox: Sandbox) -> list[str]:
    """For each SQL statement the sandbox's store runs from now on: "loop" on the event loop's thread, "thread"
    on a worker thread (routes.on_store)."""
    where: list[str] = []

    @event.listens_for(sandbox.store.engine, "before_cursor_execute")
    def _seen(*_args: Any) -> None:
        if threading.current_thread().name == "journal-writer":  # the journal's batches have their own thread
            return
        try:
            asyncio.get_running_loop()
            where.append("loop")
        except RuntimeError:
            where.append("thread")

    return where


def test_operations_run_on_the_event_loop_and_in_threads_when_the_database_is_slowed(
        sandbox: Sandbox, serve: Callable[[FaultProfile], Sandbox]) -> None:
    slow_database = serve(FaultProfile(database_latency_ms=1))
    for served, expected in ((sandbox, "loop"), (slow_database, "thread")):
        with served.client() as client:
            prescription_id = created(client)
            where = _where_statements_run(served)
            assert client.get(f"/v1/prescriptions/{prescription_id}").status_code == 200
            assert client.get("/v1/prescriptions").status_code == 200
            assert client.post("/v1/prescriptions", json=draft()).status_code == 201
        assert where and set(where) == {expected}, where


def test_serve_refuses_an_unusable_fault_profile(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("operations: {create: {errors: 2}}", encoding="utf-8")
    result = CliRunner().invoke(cli, ["teleservice", "serve", "--faults", str(bad)], env={SECRET_ENV: SECRET})
    assert result.exit_code == 2
    assert "operations.create.errors" in result.output


def test_every_operation_declares_the_answers_a_fault_profile_can_give(down: Sandbox) -> None:
    with down.anonymous() as client:
        paths = client.get("/openapi.json").json()["paths"]
    # the probe, and the registry's extract (the Cnam's reading, not a call of the pilot's software): no profile
    unfaulted = ("/v1/health", "/v1/registrations")
    operations = [(path, method, spec) for path, methods in paths.items() if path not in unfaulted
                  for method, spec in methods.items()]
    assert len(operations) >= 7
    for path, method, spec in operations:
        assert {"408", "429", "500", "503", "504"} <= set(spec["responses"]), (method, path)


def test_the_profiles_operations_are_the_names_of_the_routes() -> None:
    from fastapi.routing import APIRoute

    from preserie.teleservice.faults import OPERATIONS
    from preserie.teleservice.fhir_http import router as fhir_router
    from preserie.teleservice.routes import router

    # a renamed route would otherwise escape its faults without a word: the dependency matches on the name
    assert {route.name for route in (*router.routes, *fhir_router.routes) if isinstance(route, APIRoute)} == set(
        OPERATIONS)
