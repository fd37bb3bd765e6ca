"""A registry served in-process for tests (the app of `preserie serve`, through Starlette's TestClient), its
accounts, and a simulated pilot walked up to a given step of the présérie through the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from preserie.api.app import create_app
from preserie.bootstrap import build_registry
from preserie.config import ServiceSettings
from preserie.services.accounts import create_account
from preserie.services.registry import Registry
from preserie.simulate.folder import write_pilot

API = "/api/v1"


@dataclass
class World:
    client: TestClient
    registry: Registry
    settings: ServiceSettings
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def call(self, who: str, method: str, path: str, **options: Any) -> Any:
        return self.client.request(method, API + path, headers={**self.as_(who), **options.pop("headers", {})},
                                   **options)

    def account(self, who: str, role: str, **options: Any) -> str:
        made = create_account(self.registry.repo, self.settings.secret(), role=role, name=who, **options)
        self.tokens[who] = made.token
        return made.token


@contextmanager
def serving(url: str, data: Path, **options: Any) -> Iterator[World]:
    """`options`: more ServiceSettings (a sandbox's URL and token…)."""
    settings = ServiceSettings(data=data, database=url, **options)
    registry = build_registry(settings)
    with TestClient(create_app(settings, registry=registry)) as client:
        yield World(client, registry, settings)
    registry.repo.engine.dispose()


def simulated(folder: Path, *, seed: int = 7, records: int = 4000) -> Path:
    write_pilot(folder, seed=seed, records=records)
    return folder


def declaration(folder: Path) -> dict[str, Any]:
    """pilot.yaml as a vendor declares it before the présérie starts: no meeting, no installation yet."""
    content = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    content.pop("launch_meeting", None)
    for p in content["practitioners"]:
        p.pop("installed_on", None)
        p.pop("trained_on", None)
    return content


def yaml_body(content: dict[str, Any]) -> bytes:
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False).encode()


STEPS = ("draft", "submitted", "accepted", "running", "traced", "deploy_approved", "deployed")


def walk(world: World, folder: Path, until: str, vendor: str = "vendor", cnam: str = "cnam", *,
         dated: bool = False) -> str:
    """Take a new pilot of ``folder`` through the présérie's steps up to ``until`` (a STEPS name); its id.
    ``dated``: the vendor acknowledges each anomaly the day after it was opened (the registry's clock moved there
    for it), as a reactive vendor would, instead of at the moment of the walk."""
    original = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    made = world.call(vendor, "POST", "/pilots", content=yaml_body(declaration(folder)),
                      headers={"content-type": "application/yaml"})
    assert made.status_code == 201, made.text
    key: str = made.json()["id"]
    reached = STEPS.index(until)
    if reached < 1:
        return key
    for p in original["practitioners"]:
        world.call(vendor, "PATCH", f"/pilots/{key}/practitioners/{p['id']}",
                   json={"agreement_on": "2024-12-02", "compatibility_checked_on": "2024-12-03",
                         "compatible": True}).raise_for_status()
    world.call(vendor, "POST", f"/pilots/{key}/submit").raise_for_status()
    if reached >= 2:
        world.call(cnam, "POST", f"/pilots/{key}/accept", json={}).raise_for_status()
    if reached >= 3:
        world.call(cnam, "POST", f"/pilots/{key}/launch-meeting",
                   json={"held_on": str(original["launch_meeting"]),
                         "participants": [{"party": "vendor", "name": "Éditeur"},
                                          {"party": "cnam", "name": "Cnam"}]}).raise_for_status()
    if reached >= 4:
        feed(world, folder, key, original, vendor=vendor, cnam=cnam, dated=dated)
    if reached >= 5:
        assessment = world.call(cnam, "GET", f"/pilots/{key}/assessment").json()
        world.call(cnam, "POST", f"/pilots/{key}/decisions",
                   json={"decision": "deploy", "justification": None if assessment["decision"] == "deploy"
                         else "décision de test"}).raise_for_status()
    if reached >= 6:
        world.call(vendor, "POST", f"/pilots/{key}/deployment").raise_for_status()
    return key


def feed(world: World, folder: Path, key: str, original: dict[str, Any], *, vendor: str, cnam: str,
         dated: bool = False) -> None:
    """Installations and trainings, traces, the registry extract, the anomalies and the survey answers."""
    for p in original["practitioners"]:
        if p.get("installed_on"):
            world.call(vendor, "POST", f"/pilots/{key}/practitioners/{p['id']}/installation",
                       json={"on": str(p["installed_on"])}).raise_for_status()
        if p.get("trained_on"):
            world.call(vendor, "POST", f"/pilots/{key}/practitioners/{p['id']}/training",
                       json={"on": str(p["trained_on"])}).raise_for_status()
    for path in sorted((folder / "traces").iterdir()):
        world.call(vendor, "POST", f"/pilots/{key}/trace-files", params={"name": path.name},
                   content=path.read_bytes()).raise_for_status()
    world.call(cnam, "POST", f"/pilots/{key}/registrations",
               content=(folder / "registrations.csv").read_bytes()).raise_for_status()
    for row in csv.DictReader(io.StringIO((folder / "anomalies.csv").read_text(encoding="utf-8"))):
        body = {k: (v or None) for k, v in row.items() if k != "closed_on"}
        body["summary"] = row["summary"]
        world.call(vendor, "POST", f"/pilots/{key}/anomalies", json=body).raise_for_status()
        acknowledge = f"/pilots/{key}/anomalies/{row['id']}/acknowledge"
        if dated and (row["closed_on"] or row["severity"] != "minor"):  # an open minor one is left waiting
            with _acknowledging_day(world, row["opened_on"], row["closed_on"]):
                world.call(vendor, "POST", acknowledge).raise_for_status()
        elif row["closed_on"]:
            world.call(vendor, "POST", acknowledge).raise_for_status()
        if row["closed_on"]:
            world.call(vendor, "POST", f"/pilots/{key}/anomalies/{row['id']}/close",
                       json={"closed_on": row["closed_on"]}).raise_for_status()
    world.call(vendor, "POST", f"/pilots/{key}/survey-answers", content=(folder / "survey.csv").read_bytes(),
               headers={"content-type": "text/csv"}).raise_for_status()


@contextmanager
def _acknowledging_day(world: World, opened_on: str, closed_on: str) -> Iterator[None]:
    """The registry's clock on the day after the opening (the same day, for one closed that day)."""
    real = world.registry.now
    day = dt.date.fromisoformat(opened_on) + dt.timedelta(days=0 if closed_on == opened_on else 1)
    moment = dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC)
    world.registry.now = lambda: moment
    try:
        yield
    finally:
        world.registry.now = real
