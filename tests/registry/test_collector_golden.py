"""The folder reader and the collector reject the same records for the same reasons (issue 11): each golden case's
JSON Lines traces, posted through HTTP in batches (each record by its practitioner's workstation; a record without
a usable practitioner by any), stored as segments, give the same `data_quality` counts as the case's folder."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collector_help import post
from registry_walk import World, serving, simulated, walk
from sqlalchemy import update

from preserie.adapters.db import tables as t
from preserie.services.assess import assess_folder

CASES = Path(__file__).parent.parent / "cases"
REF = re.compile(r"[0-9A-Za-z]{1,32}")
BATCH = 7  # small batches: records of one file spread over several segments
# CSV and Parquet files are a folder's formats, not the collector's (JSON Lines): these cases cannot be posted
NOT_JSONL = {c.name for c in CASES.glob("*/") if any(not f.name.endswith((".jsonl", ".jsonl.gz"))
                                                     for f in (c / "traces").glob("*"))}
JSONL_CASES = sorted(c.name for c in CASES.glob("*/") if (c / "traces").is_dir() and c.name not in NOT_JSONL)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("golden")
    with serving(f"sqlite:///{folder / 'registry.db'}", folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("cnam", "cnam")
        yield served


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulated(tmp_path_factory.mktemp("pilot") / "pilot", records=1000)


def _lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.name.endswith(".gz") else data).split(b"\n")


def _practitioner(line: bytes) -> str | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    found = value.get("practitioner") if isinstance(value, dict) else None
    return found if isinstance(found, str) and REF.fullmatch(found) else None


def _workstations(world: World, key: str, refs: set[str]) -> dict[str, str]:
    """A workstation token for each ref: practitioners added to the registry's pilot for the test (the case's
    pilot.yaml is what the assessment reads), installed, enrolled."""
    pilot = world.registry.repo.pilot(key)
    known = {p.ref for p in world.registry.repo.practitioners(pilot.id)}
    rows = [{"ref": ref, "situation": "liberal", "cpam": "33", "equipped": True, "agreement_on": dt.date(2024, 12, 2),
             "compatible": True} for ref in sorted(refs - known)]
    with world.registry.repo.writing() as conn:
        world.registry.repo.add_practitioners(conn, pilot.id, 1, rows)
        conn.execute(update(t.practitioners).where(t.practitioners.c.pilot_id == pilot.id)
                     .values(installed_on=dt.date(2025, 1, 6)))
    tokens = {}
    for ref in sorted(refs):
        made = world.call("vendor", "POST", f"/pilots/{key}/practitioners/{ref}/workstations")
        assert made.status_code == 201, made.text
        tokens[ref] = made.json()["token"]
    return tokens


def _counts(result: dict[str, Any]) -> dict[str, Any]:
    quality = dict(result["data_quality"])
    return {k: v for k, v in quality.items() if k not in ("rejections", "conflict_details", "file_issues")} | {
        "conflicts_found": len(quality["conflict_details"])}


@pytest.mark.parametrize("case", JSONL_CASES)
def test_a_golden_cases_traces_posted_give_the_folders_data_quality(world: World, template: Path, case: str,
                                                                    tmp_path: Path) -> None:
    folder = CASES / case
    key = walk(world, template, "running")
    files = sorted((folder / "traces").iterdir(), key=lambda p: p.name.encode())
    routed: list[tuple[str | None, bytes]] = [(_practitioner(line), line) for f in files for line in _lines(f)]
    tokens = _workstations(world, key, {ref for ref, _ in routed if ref} | {"0000FALLBACK"})
    batches: list[tuple[str, list[bytes]]] = []
    for ref, line in routed:
        target = tokens[ref or "0000FALLBACK"]
        if not batches or batches[-1][0] != target or len(batches[-1][1]) >= BATCH:
            batches.append((target, []))
        batches[-1][1].append(line)
    for token, chunk in batches:
        answer = post(world, key, token, b"\n".join(chunk) + b"\n", gz=True)
        assert answer.status_code in (201, 422), answer.text  # 422: a chunk of blank lines only
    collected = tmp_path / case
    shutil.copytree(folder, collected, ignore=shutil.ignore_patterns("traces", "expected.json"))
    world.registry.segments.export(key, 1, collected / "traces")
    assert _counts(assess_folder(collected).result) == _counts(assess_folder(folder).result)
