"""A registry world for the access tests: two vendors with pilots in several statuses, the Cnam, the GIE, two
CPAMs whose departments each hold practitioners of one of vendor A's pilots, and tokens that no longer work.

Everything is built through the API (as a vendor, the Cnam… would), from simulated pilot folders; the database is
SQLite, or PostgreSQL in a schema of its own (`registry_databases.database`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from httpx import Response
from registry_databases import database

from preserie.api.app import create_app
from preserie.bootstrap import build_registry
from preserie.config import ServiceSettings
from preserie.services.accounts import create_account, revoke

API = "/api/v1"
VENDOR_A, VENDOR_B = "Simulé SAS", "Autre Éditeur SA"
ZONE_B = "69"  # vendor B's doctors: a department no CPAM account of the world speaks for
BACKENDS = ["sqlite", "postgresql"]
NONEXISTENT = "0123456789abcdef"  # plausible (16 hex digits) and never issued: secrets.token_hex(8) is random


def simulate(out: Path, seed: int, scenario: str = "nominal") -> Path:
    subprocess.run([sys.executable, "-m", "preserie", "simulate", str(out), "--seed", str(seed), "--records",
                    "2000", "--scenario", scenario], check=True, capture_output=True)
    return out


@dataclass
class Pilot:
    name: str
    key: str
    ref: str
    vendor: str
    status: str
    practitioners: dict[str, str]  # id → the department of its CPAM
    declaration: dict[str, Any] = field(repr=False, default_factory=dict)  # as it was declared


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]  # role name (vendor_a, cnam, cpam_33…) → a valid token
    dead_tokens: dict[str, str]  # expired, revoked → a token that was valid once
    pilots: dict[str, Pilot] = field(default_factory=dict)
    settings: ServiceSettings | None = None
    registrations: dict[str, bytes] = field(default_factory=dict)  # pilot name → the extract it was given
    memo: dict[str, Any] = field(default_factory=dict)  # what the tests compute once (a pilot's bilan decision)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, who: str, method: str, url: str, **options: Any) -> Response:
        headers = {**self.headers(who), **options.pop("headers", {})}
        return self.client.request(method, url, headers=headers, **options)

    def of_vendor(self, vendor: str) -> list[Pilot]:
        return [p for p in self.pilots.values() if p.vendor == vendor]

    def practitioners(self) -> dict[str, str]:
        """Every practitioner of the world, with its department."""
        return {ref: zone for p in self.pilots.values() for ref, zone in p.practitioners.items()}


def _ok(response: Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.method, response.request.url, response.text[:500])
    return None if status == 204 else response.json()


def declaration(folder: Path, *, ref: str, vendor: str, zone: str | None = None,
                only_zone: str | None = None) -> dict[str, Any]:
    """pilot.yaml's content as the API takes it (JSON): a vendor's, moved to a zone or cut down to one."""
    content: dict[str, Any] = json.loads(json.dumps(yaml.safe_load((folder / "pilot.yaml").read_text("utf-8")),
                                                    default=str))
    content.pop("launch_meeting", None)
    content.update(id=ref, vendor=vendor)
    if zone is not None:
        content["cpams"] = [zone]
        content["software"]["name"] = "Autre Logiciel"
        for p in content["practitioners"]:
            p["cpam"] = zone
    if only_zone is not None:
        content["practitioners"] = [p for p in content["practitioners"] if p["cpam"] == only_zone]
        content["cpams"] = [only_zone]
    return content


class Builder:
    """The steps of a présérie through the API, each checked."""

    def __init__(self, world: World) -> None:
        self.world = world

    def declare(self, name: str, who: str, content: dict[str, Any]) -> Pilot:
        body = _ok(self.world.call(who, "POST", f"{API}/pilots", json=content), 201)
        pilot = Pilot(name, body["id"], content["id"], content["vendor"], body["status"],
                      {p["id"]: p["cpam"] for p in content["practitioners"]}, content)
        self.world.pilots[name] = pilot
        return pilot

    def move(self, pilot: Pilot, who: str, step: str, body: dict[str, Any] | None = None) -> None:
        answer = _ok(self.world.call(who, "POST", f"{API}/pilots/{pilot.key}/{step}", json=body))
        pilot.status = answer["status"]

    def submit(self, pilot: Pilot, who: str) -> None:
        for ref in pilot.practitioners:
            _ok(self.world.call(who, "PATCH", f"{API}/pilots/{pilot.key}/practitioners/{ref}", json={
                "agreement_on": "2024-12-01", "compatible": True, "compatibility_checked_on": "2024-12-02"}))
        self.move(pilot, who, "submit")

    def accept(self, pilot: Pilot, who: str) -> None:
        self.submit(pilot, who)
        self.move(pilot, "cnam", "accept", {})

    def run(self, pilot: Pilot, who: str, folder: Path) -> None:
        """Accepted, launched, fed with the folder's traces, registrations, survey answers and anomalies."""
        self.accept(pilot, who)
        self.move(pilot, "cnam", "launch-meeting", {"held_on": "2025-01-06",
                                                    "participants": [{"party": "cnam", "name": "Cnam"}]})
        base = f"{API}/pilots/{pilot.key}"
        for trace in sorted((folder / "traces").iterdir()):
            _ok(self.world.call(who, "POST", f"{base}/trace-files", params={"name": trace.name},
                                content=trace.read_bytes()), 201)
        self.world.registrations[pilot.name] = (folder / "registrations.csv").read_bytes()
        _ok(self.world.call("cnam", "POST", f"{base}/registrations", content=self.world.registrations[pilot.name]),
            201)
        _ok(self.world.call(who, "POST", f"{base}/survey-answers", content=(folder / "survey.csv").read_bytes(),
                            headers={"content-type": "text/csv"}), 201)
        for row in _anomalies(folder):
            _ok(self.world.call(who, "POST", f"{base}/anomalies", json=row), 201)
            if row["id"] == "ANO-001":
                _ok(self.world.call(who, "POST", f"{base}/anomalies/{row['id']}/acknowledge"))
                _ok(self.world.call(who, "POST", f"{base}/anomalies/{row['id']}/close", json={}))


def _anomalies(folder: Path) -> list[dict[str, Any]]:
    import csv

    with (folder / "anomalies.csv").open(encoding="utf-8") as rows:
        return [{"id": r["id"], "opened_on": r["opened_on"], "operation": r["operation"] or None,
                 "severity": r["severity"], "origin": r["origin"], "practitioner": r["practitioner"] or None,
                 "summary": r["summary"]} for r in csv.DictReader(rows)]


def accounts(settings: ServiceSettings, registry: Any) -> tuple[dict[str, str], dict[str, str]]:
    secret = settings.secret()
    made = {
        "vendor_a": create_account(registry.repo, secret, role="vendor", name="éditeur A", vendor=VENDOR_A),
        "vendor_b": create_account(registry.repo, secret, role="vendor", name="éditeur B", vendor=VENDOR_B),
        "cnam": create_account(registry.repo, secret, role="cnam", name="Cnam"),
        "gie": create_account(registry.repo, secret, role="gie", name="GIE SESAM-Vitale"),
        "cpam_33": create_account(registry.repo, secret, role="cpam", name="CPAM Gironde", department="33"),
        "cpam_44": create_account(registry.repo, secret, role="cpam", name="CPAM Loire-Atlantique",
                                  department="44"),
    }
    expired = create_account(registry.repo, secret, role="cnam", name="Cnam (ancien)", days=1,
                             now=dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    revoked = create_account(registry.repo, secret, role="vendor", name="éditeur A (révoqué)", vendor=VENDOR_A)
    revoke(registry.repo, revoked.account_id)
    return {who: account.token for who, account in made.items()}, {"expired": expired.token,
                                                                    "revoked": revoked.token}


@contextlib.contextmanager
def built_world(data: Path, database: str | None, folders: dict[str, Path]) -> Iterator[World]:
    """The world: vendor A's pilots in draft, submitted, accepted (zone 33 only) and running (33 and 44, with
    traces); vendor B's in draft and running (zone 69, with traces)."""
    settings = ServiceSettings(data=data, database=database)
    registry = build_registry(settings)
    tokens, dead = accounts(settings, registry)
    try:
        with TestClient(create_app(settings, registry=registry)) as client:
            world = World(client, tokens, dead, settings=settings)
            build = Builder(world)
            a, b = folders["a"], folders["b"]
            build.declare("a_draft", "vendor_a", declaration(a, ref="a-draft", vendor=VENDOR_A))
            build.submit(build.declare("a_submitted", "vendor_a", declaration(a, ref="a-sent", vendor=VENDOR_A)),
                         "vendor_a")
            build.accept(build.declare("a_accepted_33", "vendor_a",
                                       declaration(a, ref="a-accepted", vendor=VENDOR_A, only_zone="33")), "vendor_a")
            build.run(build.declare("a_running", "vendor_a", declaration(a, ref="a-running", vendor=VENDOR_A)),
                      "vendor_a", a)
            build.declare("b_draft", "vendor_b", declaration(b, ref="b-draft", vendor=VENDOR_B, zone=ZONE_B))
            build.run(build.declare("b_running", "vendor_b",
                                    declaration(b, ref="b-running", vendor=VENDOR_B, zone=ZONE_B)), "vendor_b", b)
            for who, vendor in (("vendor_a", VENDOR_A), ("vendor_b", VENDOR_B)):
                module = _ok(world.call(who, "POST", f"{API}/modules", json={"name": f"module {vendor}"}), 201)
                _ok(world.call(who, "POST", f"{API}/products", json={
                    "name": f"logiciel {vendor}", "module_id": module["id"], "audience": "liberal"}), 201)
            assert not set(world.pilots["a_running"].practitioners) & set(world.pilots["b_running"].practitioners)
            yield world
    finally:
        registry.repo.engine.dispose()



@contextlib.contextmanager
def world_on(kind: str, tmp: Path, folders: dict[str, Path]) -> Iterator[World]:
    """A world on SQLite or PostgreSQL (its own schema, dropped afterwards: `registry_databases`)."""
    with database(kind, tmp) as url, built_world(tmp / "data", url, folders) as world:
        yield world
