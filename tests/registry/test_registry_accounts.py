"""Accounts and tokens: a token is printed once and kept only as its HMAC under the data directory's secret
(generated there on first start, readable by its owner only); it expires and is revoked; the audit log says who
read or changed what, and only the Cnam reads it. Products: which of a vendor's products a validated présérie
covers (same module, same audience, not a third-party engine's integrator)."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_databases import database
from registry_walk import World, serving, simulated, walk

from preserie.services.accounts import authenticate, create_account, revoke
from preserie.services.errors import RegistryError


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("accounts")
    with database(request.param, folder) as url, serving(url, folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("cnam", "cnam")
        served.account("gie", "gie")
        yield served


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "preserie", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PRESERIE_DATA": "", "PRESERIE_DATABASE": ""})


def test_accounts_create_prints_the_token_once_and_keeps_only_its_hash(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = _cli("accounts", "create", "--role", "cnam", "--name", "Coordination Cnam", "--data", str(data))
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert token.startswith("prs_") and "jeton valable jusqu'au" in made.stderr
    secret = data / "secret.key"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert token.encode() not in (data / "registry.db").read_bytes()  # only its HMAC is kept
    listed = _cli("accounts", "list", "--data", str(data))
    assert "Cnam\tCoordination Cnam" in listed.stdout
    assert _cli("accounts", "revoke", "1", "--data", str(data)).stdout.strip() == (
        "compte n° 1 révoqué : 1 jeton(s), son mot de passe et ses sessions web")
    refused = _cli("accounts", "create", "--role", "vendor", "--name", "X", "--data", str(data))
    assert refused.returncode == 2 and "--vendor est requis" in refused.stderr and "Traceback" not in refused.stderr
    unknown = _cli("accounts", "revoke", "99", "--data", str(data))
    assert unknown.returncode == 2 and "aucun compte n° 99" in unknown.stderr


def test_a_token_expires_and_is_revoked(world: World) -> None:
    repo, secret = world.registry.repo, world.settings.secret()
    made = create_account(repo, secret, role="gie", name="GIE", days=1)
    assert authenticate(repo, secret, made.token).name == "GIE"
    with pytest.raises(RegistryError) as expired:
        authenticate(repo, secret, made.token, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
    assert expired.value.code == "AUTH_TOKEN_EXPIRED"
    revoke(repo, made.account_id)
    answer = world.client.get("/api/v1/pilots", headers={"Authorization": f"Bearer {made.token}"})
    assert answer.status_code == 401 and answer.json()["code"] == "AUTH_TOKEN_REVOKED"
    for forged in ("prs_" + "A" * 43, "prs_court", "v1.a.b", "prs_" + "é" * 43):
        answer = world.client.get("/api/v1/pilots", headers={"Authorization": f"Bearer {forged}".encode()})
        assert answer.status_code == 401 and answer.json()["code"] == "AUTH_TOKEN_INVALID"
    assert world.client.get("/api/v1/pilots").json()["code"] == "AUTH_REQUIRED"


def test_the_audit_log_says_who_read_what_and_only_the_cnam_reads_it(world: World, tmp_path: Path) -> None:
    key = walk(world, simulated(tmp_path / "p", records=500), "submitted")
    world.call("gie", "GET", f"/pilots/{key}").raise_for_status()
    entries = world.call("cnam", "GET", "/audit", params={"limit": 1000}).json()
    assert {"role": "gie", "method": "GET", "route": "/api/v1/pilots/{pilot}", "pilot": key, "status": 200} in [
        {k: e[k] for k in ("role", "method", "route", "pilot", "status")} for e in entries]
    assert any(e["route"] == "/api/v1/pilots/{pilot}/submit" and e["role"] == "vendor" for e in entries)
    for who in ("gie", "vendor"):
        assert world.call(who, "GET", "/audit").status_code == 403


def test_which_products_may_deploy_is_a_query(world: World, tmp_path: Path) -> None:
    module = world.call("vendor", "POST", "/modules", json={"name": "Moteur ON v5"}).json()["id"]
    for name, audience, third_party in (("Cabinet", "liberal", False), ("Centre", "health_center", False),
                                        ("Intégré", "liberal", True)):
        world.call("vendor", "POST", "/products", json={"name": name, "module_id": module, "audience": audience,
                                                        "third_party_engine": third_party}).raise_for_status()
    assert world.call("vendor", "GET", "/products", params={"deployable": True}).json() == []
    key = walk(world, simulated(tmp_path / "p", records=500), "draft")
    other = world.account("other", "vendor", vendor="Autre SAS")
    assert other and world.call("other", "PUT", f"/pilots/{key}/module", json={"module_id": module}).status_code == 404
    world.call("vendor", "PUT", f"/pilots/{key}/module", json={"module_id": module}).raise_for_status()
    # a draft validates nothing
    assert world.call("vendor", "GET", "/products", params={"deployable": True}).json() == []
    with world.registry.repo.writing() as conn:  # the rest of the présérie, as test_registry_lifecycle walks it
        world.registry.repo.set_pilot(conn, world.registry.repo.pilot(key).id, status="deploy_approved")
    deployable = world.call("vendor", "GET", "/products", params={"deployable": True}).json()
    assert [p["name"] for p in deployable] == ["Cabinet"]  # same audience, own engine
    assert world.call("gie", "GET", "/products").status_code == 200
