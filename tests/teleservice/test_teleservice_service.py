"""Tokens, the error catalogue, the journal, OpenAPI and start-up, through a real server where it matters."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.exc import OperationalError
from teleservice_sandbox import SECRET, Sandbox, created, draft, error_code, new_id, nir, raw_request, running
from typer.testing import CliRunner

from preserie.cli import app as cli
from preserie.teleservice.app import create_app
from preserie.teleservice.catalogue import ERRORS, TeleserviceError
from preserie.teleservice.ids import with_check_character
from preserie.teleservice.records import JournalEntry, PrescriptionRecord
from preserie.teleservice.settings import SECRET_ENV, Settings, SettingsError
from preserie.teleservice.store import SqlPrescriptionStore
from preserie.teleservice.tokens import issue_token, verify_token


def _get(sandbox: Sandbox, token: str | None = None, raw_header: str | None = None) -> httpx.Response:
    headers = {"Authorization": raw_header or f"Bearer {token}"} if (token or raw_header) else {}
    with sandbox.anonymous() as client:
        return client.get("/v1/prescriptions", headers=headers)


def test_a_call_without_a_token_is_refused(sandbox: Sandbox) -> None:
    assert error_code(_get(sandbox)) == (401, "AUTH_TOKEN_MISSING")


def test_an_expired_token_is_refused(sandbox: Sandbox) -> None:
    token = issue_token(SECRET, new_id(), "prescriber", ttl=60, now=time.time() - 120)
    assert error_code(_get(sandbox, token)) == (401, "AUTH_TOKEN_EXPIRED")


def test_forged_tampered_and_malformed_tokens_are_refused(sandbox: Sandbox) -> None:
    forged = issue_token("another-secret-0123456789", new_id(), "prescriber")
    version, payload, signature = issue_token(SECRET, "PHARMA", "pharmacist").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    upgraded = base64.urlsafe_b64encode(json.dumps({**claims, "role": "prescriber"}).encode()).decode().rstrip("=")
    for token in (forged, f"{version}.{upgraded}.{signature}", "not-a-token", "v1.e30.", "v1..x"):
        assert error_code(_get(sandbox, token)) == (401, "AUTH_TOKEN_INVALID"), token
    assert error_code(_get(sandbox, raw_header="Basic dXNlcjpwYXNz")) == (401, "AUTH_TOKEN_INVALID")


def test_a_token_names_its_caller_until_it_expires() -> None:
    token = issue_token(SECRET, "10003456789", "nurse", ttl=10, now=1000)
    assert (verify_token(SECRET, token, now=1009).id, verify_token(SECRET, token, now=1009).role) == (
        "10003456789", "nurse")
    with pytest.raises(TeleserviceError, match="expiré"):
        verify_token(SECRET, token, now=1010)
    with pytest.raises(ValueError, match="rôle inconnu"):
        issue_token(SECRET, "1", "surgeon")


def test_unknown_routes_and_methods_answer_from_the_catalogue(sandbox: Sandbox) -> None:
    with sandbox.client() as prescriber:
        assert error_code(prescriber.get("/v1/nothing")) == (404, "ROUTE_NOT_FOUND")
        assert error_code(prescriber.delete("/v1/prescriptions")) == (405, "METHOD_NOT_ALLOWED")


def test_the_journal_records_every_call_without_the_patient_nir(sandbox: Sandbox) -> None:
    prescriber_id = new_id()
    with sandbox.client(prescriber_id) as prescriber:
        prescription_id = created(prescriber)
        prescriber.post("/v1/prescriptions", json=draft("imaging"))
        prescriber.get(f"/v1/prescriptions/{prescription_id}")
        prescriber.get("/v1/prescriptions")
    entries = [e for e in sandbox.store.journal_entries() if e["caller_id"] == prescriber_id]
    assert [(e["operation"], e["status"], e["error_code"]) for e in entries] == [
        ("create", 201, None), ("create", 422, "CATEGORY_OUT_OF_SCOPE"), ("consult", 200, None), ("search", 200, None)]
    assert entries[0]["prescription_id"] == entries[2]["prescription_id"] == prescription_id
    assert {e["caller_role"] for e in entries} == {"prescriber"} and all(e["duration_ms"] >= 0 for e in entries)
    assert nir() not in repr(sandbox.store.journal_entries())


def test_openapi_is_published_says_simulation_and_versions_routes_under_v1(sandbox: Sandbox) -> None:
    with sandbox.anonymous() as client:
        spec = client.get("/openapi.json").json()
    assert "Simulation" in spec["info"]["description"] and "pas le service national" in spec["info"]["description"]
    assert spec["paths"] and all(path.startswith("/v1/") for path in spec["paths"])


def test_every_error_has_a_french_message_and_the_status_class_of_spec_c3() -> None:
    for code, kind in ERRORS.items():
        assert code.isupper() and kind.message, code
        assert kind.status in {400, 401, 403, 404, 405, 406, 408, 409, 410, 413, 422, 429, 500, 503, 504}, code
        assert (kind.status in (401, 403)) == code.startswith(("AUTH_", "ROLE_", "PROFESSION_")), code
        # the teleservice's own failures: 5xx, a rate limit (429) and a timeout (408, `network` in C3)
        assert (kind.status >= 500 or kind.status in (408, 429)) == code.startswith("TS_"), code


class _BrokenStore(SqlPrescriptionStore):
    """The real store, whose consult fails as a down database or a bug would."""

    def get(self, prescription_id: str) -> PrescriptionRecord | None:
        if prescription_id.startswith("DOWN"):
            raise OperationalError("SELECT 1", {}, ConnectionError("connexion refusée"))
        raise RuntimeError("bogue")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SqlPrescriptionStore]]:
    settings = Settings(secret=SECRET, database=str(tmp_path_factory.mktemp("broken") / "sandbox.db"))
    store = _BrokenStore(settings.database_url)
    with running(create_app(settings, store=store)) as base_url:
        yield base_url, store
    store.close()


def test_failures_of_the_sandbox_itself_are_5xx_from_the_catalogue(broken: tuple[str, SqlPrescriptionStore]) -> None:
    base_url, store = broken
    token = issue_token(SECRET, "P1", "pharmacist")
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        down, buggy = with_check_character("DOWN" + "0" * 13), with_check_character("B" * 17)
        assert error_code(client.get(f"/v1/prescriptions/{down}")) == (503, "TS_DATABASE_UNAVAILABLE")
        assert error_code(client.get(f"/v1/prescriptions/{buggy}")) == (500, "TS_INTERNAL_ERROR")
    assert [(e["status"], e["error_code"]) for e in store.journal_entries()] == [
        (503, "TS_DATABASE_UNAVAILABLE"), (500, "TS_INTERNAL_ERROR")]


def test_the_sandbox_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=SECRET_ENV):
        Settings.from_env(environ={})
    assert Settings.from_env(environ={SECRET_ENV: SECRET}, database="x.db").database_url == "sqlite:///x.db"
    result = CliRunner().invoke(cli, ["teleservice", "serve", "--database", str(tmp_path / "s.db")],
                                env={SECRET_ENV: ""})
    assert result.exit_code == 2 and SECRET_ENV in result.output


def test_the_token_command_prints_a_token_the_sandbox_accepts() -> None:
    result = CliRunner().invoke(cli, ["teleservice", "token", "--id", "10003456789", "--role", "pharmacist",
                                      "--ttl", "60"], env={SECRET_ENV: SECRET})
    assert result.exit_code == 0
    caller = verify_token(SECRET, result.output.strip())
    assert (caller.id, caller.role) == ("10003456789", "pharmacist")


def test_a_call_with_a_long_method_is_journaled_and_a_refused_entry_holds_back_no_other(sandbox: Sandbox) -> None:
    caller = new_id()
    with sandbox.client(caller) as client:
        assert client.request("MKCALENDAR", "/v1/prescriptions").status_code == 405
        created(client)
    store = sandbox.store
    store.journal(JournalEntry("search", "GET", 200, 1, caller_id=caller))
    queued = store.journal_writer._pending
    queued.append({**queued[-1], "status": None})  # a row the table refuses (status NOT NULL)
    store.journal(JournalEntry("consult", "GET", 200, 1, caller_id=caller))
    journal = store.journal_entries()
    assert ("MKCALEND", 405) in [(e["method"], e["status"]) for e in journal]  # the first 8 characters
    assert [(e["operation"], e["method"], e["status"]) for e in journal if e["caller_id"] == caller] == [
        ("create", "POST", 201), ("search", "GET", 200), ("consult", "GET", 200)]


@pytest.mark.parametrize("token", [b"v1.a.\xe9", b"v1.\xe9.x", "v1.é.x".encode(), b"v1.a.\xff\xfe"])
def test_a_token_with_a_byte_outside_ascii_is_refused_not_a_server_error(sandbox: Sandbox, token: bytes) -> None:
    """hmac.compare_digest and str.encode("ascii") raised on such a token: the sandbox answered 500."""
    status, _, body = raw_request(sandbox, "GET", "/v1/prescriptions", b"Authorization: Bearer " + token)
    assert (status, json.loads(body)["code"]) == (401, "AUTH_TOKEN_INVALID")
    with pytest.raises(TeleserviceError) as refused:
        verify_token(SECRET, token.decode("latin-1"))
    assert refused.value.code == "AUTH_TOKEN_INVALID"


@pytest.mark.parametrize(("method", "path", "allowed"), [
    ("DELETE", "/v1/prescriptions", {"GET", "POST"}),
    ("PUT", "/v1/prescriptions/01S2TBPZ2JCNZZYGHZ", {"GET"}),
    ("GET", "/v1/prescriptions/01S2TBPZ2JCNZZYGHZ/dispensations", {"POST"}),
    ("POST", "/v1/health", {"GET"}),
])
def test_a_method_not_allowed_says_which_are_in_allow(sandbox: Sandbox, method: str, path: str,
                                                      allowed: set[str]) -> None:
    """RFC 9110 §15.5.6: a 405 MUST carry Allow; it had none (and Starlette's names one route's methods only)."""
    with sandbox.client() as client:
        response = client.request(method, path)
    assert error_code(response) == (405, "METHOD_NOT_ALLOWED")
    assert {name.strip() for name in response.headers["allow"].split(",")} == allowed
    with sandbox.client() as client:  # and each method it names is one the path takes
        assert all(client.request(name, path).status_code != 405 for name in allowed)


@pytest.mark.parametrize("path", ["/v1/prescriptions/", "/v1/health/", "/v1/prescriptions/01S2TBPZ2JCNZZYGHZ/"])
def test_a_trailing_slash_is_not_found_never_redirected_to_the_host_the_client_named(sandbox: Sandbox,
                                                                                     path: str) -> None:
    """It answered 307 with a Location built from the request's Host header: an open redirect a forged Host
    steered anywhere (host header injection)."""
    status, headers, body = raw_request(sandbox, "GET", path, b"Host: evil.example", b"X-Forwarded-Host: evil.example")
    assert (status, json.loads(body)["code"]) == (404, "ROUTE_NOT_FOUND")
    assert "location" not in headers and b"evil.example" not in body
