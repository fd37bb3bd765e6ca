"""Helpers of the collector's tests: a running pilot whose installed practitioners have enrolled workstations,
and batches posted as a workstation would."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import yaml
from registry_walk import API, World, walk


def running_pilot(world: World, folder: Path) -> tuple[str, dict[str, str]]:
    """A pilot of ``folder`` walked to "running", every equipped practitioner installed and given a workstation
    token: its id and the tokens by practitioner."""
    key = walk(world, folder, "running")
    original = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    tokens = {}
    for p in original["practitioners"]:
        if p.get("installed_on") and p.get("equipped"):
            world.call("vendor", "POST", f"/pilots/{key}/practitioners/{p['id']}/installation",
                       json={"on": str(p["installed_on"])}).raise_for_status()
            made = world.call("vendor", "POST", f"/pilots/{key}/practitioners/{p['id']}/workstations")
            assert made.status_code == 201, made.text
            tokens[p["id"]] = made.json()["token"]
    return key, tokens


def post(world: World, key: str, token: str, body: bytes, *, idem: str | None = None, gz: bool = False,
         headers: dict[str, str] | None = None) -> Any:
    sent = {"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson",
            "Idempotency-Key": idem or uuid.uuid4().hex, **(headers or {})}
    if gz:
        body, sent["Content-Encoding"] = gzip.compress(body), "gzip"
    return world.client.post(f"{API}/pilots/{key}/traces", content=body, headers=sent)


def lines(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)
