"""The closed loop, as a user runs it: the sandbox serves with a fault profile, the simulated workstations call it
for real (`preserie simulate --teleservice`), registrations.csv comes from its journal, and the assessment judges
the folder. Every count the assessment shows is checked against what the sandbox journaled."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from preserie_cli import free_port, run, serving_registry

from preserie.teleservice.ids import is_prescription_id
from preserie.teleservice.store import SqlPrescriptionStore
from preserie.teleservice.tokens import issue_token

SECRET = "closed-loop-secret-0123456789"
# Faults every few seconds of a short run: errors, rate limits, timeouts longer than the workstations wait (2 s),
# and an outage of half a second every 8 s.
PROFILE = """
description: "boucle fermée des tests"
seed: 11
operations:
  "*": {errors: 0.04, rate_limited: 0.02, timeouts: 0.004, latency_ms: [0, 2]}
outages:
  - {start_s: 1, duration_s: 0.5, every_s: 8}
timeout_ms: 2500
retry_after_s: 1
"""


@dataclass
class Served:
    url: str
    database: Path
    process: subprocess.Popen[str]

    def stop(self) -> None:
        """Stop the server as a user would (SIGTERM): it writes its journal's last entries on the way out."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)

    def journal(self) -> list[dict[str, Any]]:
        self.stop()
        store = SqlPrescriptionStore(f"sqlite:///{self.database}")
        try:
            return [entry for entry in store.journal_entries() if entry["operation"] in ("create", "consult", "search")]
        finally:
            store.close()


@pytest.fixture()
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """`preserie teleservice serve` in its own process, with the test's fault profile, on SQLite; the commands the
    test runs share its token secret (the simulated workstations sign their cards with it)."""
    monkeypatch.setenv("PRESERIE_TELESERVICE_SECRET", SECRET)
    (tmp_path / "faults.yaml").write_text(PROFILE, encoding="utf-8")
    database, port = tmp_path / "sandbox.db", free_port()
    server = subprocess.Popen([sys.executable, "-m", "preserie", "teleservice", "serve", "--port", str(port),
                               "--database", str(database), "--faults", str(tmp_path / "faults.yaml")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"le bac à sable n'a pas démarré : {server.stderr.read() if server.stderr else ''}")
            time.sleep(0.1)
        yield Served(url, database, server)
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(15)


def _calls(folder: Path) -> list[dict[str, Any]]:
    records = (json.loads(line) for path in sorted((folder / "traces").glob("*.jsonl"))
               for line in path.read_text(encoding="utf-8").splitlines())
    unique = {record["event_id"]: record for record in records}  # the re-sent copies once
    return [record for record in unique.values() if record["type"] == "call"]


def _simulate_then_assess(tmp_path: Path, sandbox: Served, scenario: str,
                          records: int) -> tuple[Path, int, dict[str, Any]]:
    """The folder simulated against the sandbox, and the exit status and JSON of its assessment."""
    folder = tmp_path / scenario
    result = run("simulate", str(folder), "--records", str(records), "--scenario", scenario, "--teleservice",
                 sandbox.url, "--teleservice-database", str(sandbox.database), "--timeout", "2")
    assert result.returncode == 0, result.stderr
    assessed = run("assess", str(folder), "--json")
    assert assessed.stdout, assessed.stderr
    return folder, assessed.returncode, json.loads(assessed.stdout)


def test_simulate_against_the_sandbox_with_faults_then_assess(sandbox: Served, tmp_path: Path) -> None:
    folder, status, result = _simulate_then_assess(tmp_path, sandbox, "nominal", 2500)
    assert status == 0 and result["decision"] == "deploy", result["reasons"]

    journal = sandbox.journal()
    calls = _calls(folder)
    # What the workstations wrote is what the sandbox answered, call for call.
    assert len(calls) == len(journal)
    written = Counter((c["operation"], c["http_status"], c["error_code"]) for c in calls)
    answered = Counter((e["operation"], None if e["status"] == 408 else e["status"],
                        None if e["status"] == 408 or e["status"] < 400 else e["error_code"]) for e in journal)
    assert written == answered
    injected = Counter(e["error_code"] for e in journal)
    assert injected["TS_UNAVAILABLE"] > 0 and injected["TS_TOO_MANY_REQUESTS"] > 0  # the faults really happened
    # registrations.csv is the journal's accepted creates, and C2 counts them.
    accepted = {e["prescription_id"] for e in journal if e["operation"] == "create" and e["status"] == 201}
    registered = (folder / "registrations.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert {row.split(",")[0] for row in registered} == accepted
    c2 = result["criteria"]["registration_rate"]
    assert c2["source"] == "registrations" and c2["orphans"] == 0
    assert 0 < c2["registered"] <= len(accepted) and c2["registered"] <= c2["created"]
    # The ids are the workstations' own (check character and all), printed before any call; a prescription whose
    # creates all failed is registered later, with its id, once the service is back, and what never was is the gap.
    printed = [r for r in _records(sorted((folder / "traces").glob("*.jsonl"))).values()
               if r["type"] == "prescription" and r.get("prescription_id")]
    assert all(is_prescription_id(r["prescription_id"]) for r in printed)
    never = {r["prescription_id"] for r in printed} - accepted
    assert never == {r["prescription_id"] for r in printed} - {
        c["prescription_id"] for c in calls if c["operation"] == "create" and c["outcome"] == "ok"}
    assert _registered_late(printed, calls), "aucune ordonnance enregistrée en différé"
    c3 = result["criteria"]["operations"]["operations"]
    assert c3["create"]["teleservice"] > 0 and c3["create"]["authentication"] > 0


def _registered_late(printed: list[dict[str, Any]], calls: list[dict[str, Any]]) -> set[str]:
    """The prescriptions whose registration was deferred: their accepted create came after the next prescription
    of their workstation was printed (degraded mode, then the service back)."""
    order = {r["event_id"]: int(r["event_id"].rsplit("-", 1)[1]) for r in [*printed, *calls]}
    printed_at = {r["prescription_id"]: (r["workstation"], order[r["event_id"]]) for r in printed}
    late = set()
    for call in calls:
        pid = call["prescription_id"]
        if call["operation"] != "create" or call["outcome"] != "ok" or pid not in printed_at:
            continue
        workstation, at = printed_at[pid]
        if any(w == workstation and at < then < order[call["event_id"]] for w, then in printed_at.values()):
            late.add(pid)
    return late


def test_a_broken_search_seen_by_the_real_service_fails_c3(sandbox: Served, tmp_path: Path) -> None:
    folder, status, result = _simulate_then_assess(tmp_path, sandbox, "broken-search", 2000)
    assert status == 1 and result["decision"] == "extend"
    c3 = result["criteria"]["operations"]["operations"]
    assert not c3["search"]["met"] and c3["search"]["software"] > 0
    codes = Counter(c["error_code"] for c in _calls(folder) if c["operation"] == "search" and c["http_status"] == 422)
    assert set(codes) == {"INVALID_DATE_RANGE"}


def _records(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """Every record of these JSON Lines files by event_id (the re-sent copies are the same record)."""
    return {record["event_id"]: record for path in paths
            for record in (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)}


def test_workstations_report_to_the_registry_while_calling_the_sandbox(sandbox: Served, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole loop: the sandbox and the registry running, simulated workstations calling the first and posting
    their traces to the second's collector, the Cnam taking the registry's extract from the sandbox, then the
    registry's bilan: every call the sandbox journaled is in the collected traces, and the bilan is the one of the
    folder the same workstations wrote."""
    monkeypatch.setenv("PRESERIE_TELESERVICE_URL", sandbox.url)  # the registry's rehearsal sandbox
    monkeypatch.setenv("PRESERIE_TELESERVICE_TOKEN", issue_token(SECRET, "CNAM-REGISTRE", "registry"))
    options = ("--records", "1500", "--practitioners", "5", "--weeks", "2", "--seed", "5")
    declared = tmp_path / "declared"  # the same seed offline: the pilot's declaration, its doctors' ids
    assert run("simulate", str(declared), *options).returncode == 0
    shutil.rmtree(declared / "traces")
    (declared / "registrations.csv").unlink()  # the sandbox's, uploaded below, is the real one
    data = tmp_path / "registry"
    imported = run("pilots", "import", str(declared), "--data", str(data))
    assert imported.returncode == 0, imported.stderr
    pilot = imported.stdout.strip()
    vendor = run("accounts", "create", "--role", "vendor", "--name", "Éditeur", "--vendor", "Simulé SAS", "--data",
                 str(data)).stdout.strip()
    cnam = run("accounts", "create", "--role", "cnam", "--name", "Cnam", "--data", str(data)).stdout.strip()
    with serving_registry(data, tmp_path / "serve.log") as url:
        live = tmp_path / "live"
        done = run("simulate", str(live), *options, "--teleservice", sandbox.url, "--teleservice-database",
                   str(sandbox.database), "--timeout", "2", "--collector", url, "--pilot", pilot,
                   env={"PRESERIE_TOKEN": vendor})
        assert done.returncode == 0, done.stderr
        with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {cnam}"}) as client:
            taken = client.post(f"/pilots/{pilot}/registrations/from-sandbox")
        assert taken.status_code == 201, taken.text
        exported = (live / "registrations.csv").read_text(encoding="utf-8").splitlines()
        assert taken.json()["total"] == len(exported) - 1  # what the sandbox's own export holds
        journal = sandbox.journal()
        segments = sorted((data / "traces" / f"pilot={pilot}" / "phase=1").glob("*.jsonl"))
        collected, written = _records(segments), _records(sorted((live / "traces").glob("*.jsonl")))
        assert collected == written  # exactly the workstations' records, each once
        calls = [r for r in collected.values() if r["type"] == "call"]
        assert len(calls) == len(journal) > 0  # every call the sandbox answered came back through the collector
        with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {cnam}"}) as client:
            bilan = client.get(f"/pilots/{pilot}/assessment").json()
        folder = json.loads(run("assess", str(live), "--json").stdout)
        assert {k: v for k, v in bilan["data_quality"].items() if k != "file_issues"} == \
            {k: v for k, v in folder["data_quality"].items() if k != "file_issues"}
        assert bilan["criteria"]["registration_rate"] == folder["criteria"]["registration_rate"]
        assert bilan["criteria"]["usage_rate"] == folder["criteria"]["usage_rate"]
