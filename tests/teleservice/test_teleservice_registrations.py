"""registrations.csv from the sandbox's database: every accepted create once, nothing refused, through a real server;
the CLI export on SQLite, the same export on PostgreSQL; the registry's rejections a fault profile asks for."""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from teleservice_sandbox import Sandbox, created, database_url, draft, new_id, nir, serving
from typer.testing import CliRunner

from preserie.cli import app as cli
from preserie.teleservice.catalogue import REGISTRY_REJECT_CODES
from preserie.teleservice.faults import FaultInjector, FaultProfile
from preserie.teleservice.registrations import HEADER, write_registrations
from preserie.teleservice.settings import SECRET_ENV


def _rows(sandbox: Sandbox, **filters: object) -> list[dict[str, str]]:
    out = io.StringIO()
    count = write_registrations(sandbox.store, out, **filters)  # type: ignore[arg-type]
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert out.getvalue().splitlines()[0] == ",".join(HEADER) and len(rows) == count
    return rows


def test_every_accepted_create_is_registered_once_and_nothing_else(sandbox: Sandbox) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    doctor, other = new_id("D"), new_id("D")
    with sandbox.client(doctor) as client, sandbox.client(other) as colleague:
        first = created(client)
        retried = draft(patient=nir("2850533123456"))
        replayed = created(client, retried, **{"Idempotency-Key": "k-1"})
        assert created(client, retried, **{"Idempotency-Key": "k-1"}) == replayed
        assert client.post("/v1/prescriptions", json=draft(patient="184127512345600")).status_code == 422
        assert client.post("/v1/prescriptions", json=draft("imaging")).status_code == 422
        client.get(f"/v1/prescriptions/{first}")
        theirs = created(colleague)
    rows = _rows(sandbox, practitioners=(doctor, other), since=before)
    assert [(row["prescription_id"], row["practitioner"]) for row in rows] == [
        (first, doctor), (replayed, doctor), (theirs, other)]
    assert {(row["status"], row["reject_code"]) for row in rows} == {("registered", "")}
    for row in rows:
        at = datetime.fromisoformat(row["registered_at"])
        assert at.utcoffset() in (timedelta(hours=1), timedelta(hours=2))  # Europe/Paris, with its offset
        assert before <= at <= datetime.now(UTC)
    assert [row["prescription_id"] for row in _rows(sandbox, practitioners=(other,))] == [theirs]
    time.sleep(0.01)
    assert _rows(sandbox, practitioners=(doctor, other), since=datetime.now(UTC)) == []


def test_export_registrations_command(tmp_path: Path) -> None:
    database = tmp_path / "sandbox.db"
    doctor = new_id("D")
    with serving(f"sqlite:///{database}", prefix="") as sandbox:  # the CLI reads a real sandbox's tables
        prescription_id = created(sandbox.client(doctor))
    output = tmp_path / "registrations.csv"
    runner = CliRunner()
    result = runner.invoke(cli, ["teleservice", "export-registrations", "--database", str(database),
                                 "--output", str(output), "--practitioner", doctor, "--since", "2020-01-01"],
                           env={SECRET_ENV: ""})
    assert result.exit_code == 0, result.output
    assert "1 enregistrement(s) exporté(s)" in result.output
    rows = list(csv.DictReader(output.open(encoding="utf-8")))
    assert [(row["prescription_id"], row["practitioner"], row["status"]) for row in rows] == [
        (prescription_id, doctor, "registered")]
    missing = runner.invoke(cli, ["teleservice", "export-registrations", "--database", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "introuvable" in missing.output
    bad_since = runner.invoke(cli, ["teleservice", "export-registrations", "--database", str(database),
                                    "--since", "hier"])
    assert bad_since.exit_code == 2 and "--since hier" in bad_since.output


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_the_registry_rejects_the_profiles_share_with_a_code(kind: str,
                                                             tmp_path_factory: pytest.TempPathFactory) -> None:
    """A profile's `registry_rejects`: the create still answers 201, and registrations.csv says rejected, with a
    code of the catalogue, exactly for the ids the profile's verdict rejects (about that share of them)."""
    faults = FaultInjector(FaultProfile(seed=7, registry_rejects=0.5))
    doctor = new_id("D")
    with serving(database_url(kind, tmp_path_factory), faults=faults) as sandbox:
        with sandbox.client(doctor) as client:
            ids = [created(client) for _ in range(60)]
        rows = {row["prescription_id"]: row for row in _rows(sandbox, practitioners=(doctor,))}
    assert sorted(rows) == sorted(ids)
    for prescription_id, row in rows.items():
        verdict = faults.registry_verdict(prescription_id)
        assert (row["status"], row["reject_code"]) == (("registered", "") if verdict is None else ("rejected", verdict))
    rejected = [row for row in rows.values() if row["status"] == "rejected"]
    assert 10 <= len(rejected) <= 50  # ids are random: binomial(60, 0.5) falls outside once in 30 million runs
    assert {row["reject_code"] for row in rejected} <= set(REGISTRY_REJECT_CODES)


def test_the_registry_verdict_depends_on_the_id_and_seed_only() -> None:
    ids = [f"{n:018d}" for n in range(20_000)]
    half = FaultInjector(FaultProfile(seed=1, registry_rejects=0.1))
    verdicts = [half.registry_verdict(pid) for pid in ids]
    assert verdicts == [FaultInjector(FaultProfile(seed=1, registry_rejects=0.1)).registry_verdict(pid) for pid in ids]
    assert 1_800 <= sum(v is not None for v in verdicts) <= 2_200  # about 10 % (fixed ids: always the same count)
    assert {v for v in verdicts if v} == set(REGISTRY_REJECT_CODES)
    other_seed = [FaultInjector(FaultProfile(seed=2, registry_rejects=0.1)).registry_verdict(pid) for pid in ids[:500]]
    assert other_seed != verdicts[:500]
    never = FaultInjector(FaultProfile(seed=1))
    assert all(never.registry_verdict(pid) is None for pid in ids[:1000])


def test_the_registry_reader_takes_the_extract_over_http_and_nothing_else(sandbox: Sandbox) -> None:
    """GET /v1/registrations: the same rows as the database export, for the `registry` role only; that role
    consults, dispenses and searches nothing."""
    before = datetime.now(UTC) - timedelta(seconds=1)
    doctor, other = new_id("D"), new_id("D")
    with sandbox.client(doctor) as client, sandbox.client(other) as colleague:
        mine, theirs = created(client), created(colleague)
    since = before.isoformat()
    with sandbox.client(new_id("R"), "registry") as reader:
        answer = reader.get("/v1/registrations", params={"practitioner": [doctor, other], "since": since})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert answer.text == "".join(f"{line}\n" for line in [",".join(HEADER)]) + "".join(
            f"{row['prescription_id']},{row['practitioner']},{row['registered_at']},{row['status']},"
            f"{row['reject_code']}\n" for row in _rows(sandbox, practitioners=(doctor, other), since=before))
        assert [r["prescription_id"] for r in csv.DictReader(io.StringIO(answer.text))] == [mine, theirs]
        only = reader.get("/v1/registrations", params={"practitioner": other, "since": since})
        assert [r["prescription_id"] for r in csv.DictReader(io.StringIO(only.text))] == [theirs]
        bad = reader.get("/v1/registrations", params={"practitioner": "a b"})
        assert bad.status_code == 422 and bad.json()["code"] == "INVALID_REQUEST"
        fhir = reader.get(f"/v1/prescriptions/{mine}/fhir")  # an OperationOutcome there, as peers answer
        assert fhir.status_code == 403 and "ROLE_NOT_ALLOWED" in fhir.text
        for refused in (reader.get(f"/v1/prescriptions/{mine}"), reader.get("/v1/prescriptions"),
                        reader.post(f"/v1/prescriptions/{mine}/dispensations",
                                    json={"lines": [{"line": 1, "quantity": 1}]})):
            assert refused.status_code == 403 and refused.json()["code"] == "ROLE_NOT_ALLOWED", refused.text
    for role in ("prescriber", "pharmacist"):
        with sandbox.client(doctor, role) as client:
            answer = client.get("/v1/registrations")
            assert answer.status_code == 403 and answer.json()["code"] == "ROLE_NOT_ALLOWED"
    assert sandbox.anonymous().get("/v1/registrations").status_code == 401
