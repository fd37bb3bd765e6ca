"""A collected pilot's bilan read from its phase summary (issue 11, decision 0006) is, after every kind of change,
the bilan of the pilot written out as a folder: a new batch or a registry extract makes a new summary; a
declaration edit, a survey import or an anomaly reads the same summary again, with the new declaration and side
files; a moment before the latest record reads the runs."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from registry_databases import database
from registry_walk import World, serving, simulated, walk

from preserie.domain.identifiers import luhn_key
from preserie.services.assess import assess_folder
from preserie.services.bilan import export_folder


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("summary")
    with database("sqlite", folder) as url, serving(url, folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("cnam", "cnam")
        yield served


def _summaries(world: World, key: str) -> dict[str, int]:
    """The phase's summaries, by name, with their modification times."""
    parsed = world.registry.segments.folder(key, 1) / "_parsed"
    return {p.name: p.stat().st_mtime_ns for p in parsed.glob("summary-*.duckdb")}


def _folder_bilan(world: World, key: str, tmp_path: Path, name: str, **query: Any) -> dict[str, Any]:
    exported = tmp_path / name
    export_folder(world.registry, world.registry.repo.pilot(key), exported)
    return assess_folder(exported, **query).result


def _bilan(world: World, key: str, **params: str) -> dict[str, Any]:
    answer = world.call("cnam", "GET", f"/pilots/{key}/assessment", params=params)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_every_change_gives_the_folders_bilan_and_only_a_new_batch_or_extract_a_new_summary(
        world: World, tmp_path: Path) -> None:
    pilot = simulated(tmp_path / "pilot", records=6000, seed=11)
    declared = yaml.safe_load((pilot / "pilot.yaml").read_text(encoding="utf-8"))
    newcomer = {k: v for k, v in next(p for p in declared["practitioners"] if p["situation"] == "liberal").items()
                if k not in ("installed_on", "trained_on")}
    newcomer["id"] = "33101234" + luhn_key("33101234")
    # traces of a practitioner the declaration does not know yet: theirs are unknown practitioners' records
    theirs = [json.loads(line) for line in next((pilot / "traces").glob("*.jsonl")).read_text().splitlines()[:300]
              if line and json.loads(line).get("practitioner") == declared["practitioners"][0]["id"]]
    (pilot / "traces" / "zz-newcomer.jsonl").write_text("".join(
        json.dumps({**record, "practitioner": newcomer["id"], "situation": "liberal",
                    "event_id": f"{record['event_id']}-n"}) + "\n" for record in theirs), encoding="utf-8")
    key = walk(world, pilot, "traced")
    first = _bilan(world, key)
    assert first == _folder_bilan(world, key, tmp_path, "first")
    assert 0 < first["data_quality"]["unknown_practitioners"] <= len(theirs)
    made = _summaries(world, key)
    assert len(made) == 1

    # a declaration edit: that practitioner declared, equipped
    world.call("vendor", "POST", f"/pilots/{key}/practitioners", json=newcomer).raise_for_status()
    edited = _bilan(world, key)
    assert edited == _folder_bilan(world, key, tmp_path, "edited") and edited != first
    assert edited["data_quality"]["unknown_practitioners"] == 0
    assert _summaries(world, key) == made  # the same summary, read with the new declaration

    # a survey import (its date moves the default moment past the latest record)
    rows = list(csv.reader(io.StringIO((pilot / "survey.csv").read_text(encoding="utf-8"))))
    later = rows[1][:]
    later[rows[0].index("submitted_on")] = "2025-06-30"
    body = io.StringIO()
    csv.writer(body).writerows([rows[0], later])
    world.call("vendor", "POST", f"/pilots/{key}/survey-answers", content=body.getvalue().encode(),
               headers={"content-type": "text/csv"}).raise_for_status()
    surveyed = _bilan(world, key)
    assert surveyed == _folder_bilan(world, key, tmp_path, "surveyed") and surveyed != edited
    assert _summaries(world, key) == made

    # a moment before the latest record: the runs are read, the summary stays
    early = _bilan(world, key, as_of="2025-01-20")
    from preserie.domain.as_of import parse_as_of

    assert early == _folder_bilan(world, key, tmp_path, "early", as_of=parse_as_of("2025-01-20"))
    assert _summaries(world, key) == made

    # a registry extract: some verdicts change, an id the traces do not have appears
    lines = list(csv.reader(io.StringIO((pilot / "registrations.csv").read_text(encoding="utf-8"))))
    header, status = lines[0], lines[0].index("status")
    changed = [[*row[:status], "rejected" if row[status] == "registered" else "registered", *row[status + 1:]]
               for row in lines[1:40]]
    orphan = [*lines[1]]
    orphan[header.index("prescription_id")] = "ZZZZORPHAN00000001"
    body = io.StringIO()
    csv.writer(body).writerows([header, *changed, orphan])
    world.call("cnam", "POST", f"/pilots/{key}/registrations", content=body.getvalue().encode()).raise_for_status()
    extracted = _bilan(world, key)
    assert extracted == _folder_bilan(world, key, tmp_path, "extracted") and extracted != surveyed
    after_extract = _summaries(world, key)
    assert len(set(after_extract) - set(made)) == 1  # a new extract: a new summary

    # a new batch of traces
    first_file = sorted((pilot / "traces").iterdir())[0]
    world.call("vendor", "POST", f"/pilots/{key}/trace-files", params={"name": first_file.name},
               content=first_file.read_bytes()).raise_for_status()
    batched = _bilan(world, key)
    assert batched == _folder_bilan(world, key, tmp_path, "batched") and batched != extracted
    assert batched["data_quality"]["duplicates"] > extracted["data_quality"]["duplicates"]
    assert len(set(_summaries(world, key)) - set(after_extract)) == 1  # a new batch: a new summary
