"""The last bilan of each pilot is kept until its facts change: a page view does not run the engine again, a
change (a trace file, an anomaly, a registry extract) does, at the next request, and a burst of requests after a
change runs it once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from registry_databases import database
from registry_walk import World, serving, simulated, walk


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("cache")
    with database("sqlite", folder) as url, serving(url, folder / "data") as served:
        served.account("vendor", "vendor", vendor="Simulé SAS")
        served.account("cnam", "cnam")
        yield served


def test_the_bilan_is_computed_again_only_when_its_facts_change(world: World, tmp_path: Path) -> None:
    pilot = simulated(tmp_path / "pilot", records=20_000)
    key = walk(world, pilot, "traced")
    cache = world.registry.cache
    before = cache.computations
    began = time.perf_counter()
    first = world.call("cnam", "GET", f"/pilots/{key}/assessment").json()
    computed = time.perf_counter() - began
    began = time.perf_counter()
    again = [world.call(who, "GET", f"/pilots/{key}/assessment").json() for who in ("cnam", "vendor", "cnam")]
    kept = (time.perf_counter() - began) / 3
    assert again == [first] * 3 and cache.computations == before + 1
    print(f"computed {computed:.3f} s, kept {kept:.4f} s ({computed / kept:.0f}x)")  # no wall-clock assertion

    world.call("vendor", "POST", f"/pilots/{key}/anomalies", json={
        "id": "ANO-900", "opened_on": "2025-02-03", "severity": "blocking", "origin": "software",
        "operation": "search", "summary": "recherche en échec"}).raise_for_status()
    changed = world.call("cnam", "GET", f"/pilots/{key}/assessment").json()
    assert cache.computations == before + 2 and changed != first  # the open blocking anomaly counts

    first_file = sorted((pilot / "traces").iterdir())[0]
    world.call("vendor", "POST", f"/pilots/{key}/trace-files", params={"name": first_file.name},
               content=first_file.read_bytes()).raise_for_status()
    with ThreadPoolExecutor(4) as pool:  # a burst after a change: the engine runs once
        answers = list(pool.map(lambda _: world.call("cnam", "GET", f"/pilots/{key}/assessment").json(), range(4)))
    assert cache.computations == before + 3
    assert all(a == answers[0] for a in answers)
    assert answers[0]["data_quality"]["duplicates"] > changed["data_quality"]["duplicates"]  # the file came again
