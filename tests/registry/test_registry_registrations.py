"""The national registry's extract (C2's other half): the Cnam or the GIE uploads it as often as it comes; each
upload is kept with who and when; the extract the bilan reads is every upload merged by prescription id, a later
row replacing an earlier one; an upload with a bad row records nothing."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_databases import database
from registry_walk import World, serving, simulated, walk

from preserie.services.assess import assess_folder


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("registrations")
    with database(request.param, folder) as url, serving(url, folder / "data") as served:
        for who, role, options in (("vendor", "vendor", {"vendor": "Simulé SAS"}), ("cnam", "cnam", {}),
                                   ("gie", "gie", {}), ("cpam33", "cpam", {"department": "33"})):
            served.account(who, role, **options)
        yield served


def _csv(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_uploads_are_merged_by_prescription_id_and_kept(world: World, tmp_path: Path) -> None:
    pilot = simulated(tmp_path / "pilot", records=3000)
    key = walk(world, pilot, "traced")  # the walk uploaded the folder's extract once
    rows = list(csv.DictReader(io.StringIO((pilot / "registrations.csv").read_text(encoding="utf-8"))))
    registered = [r for r in rows if r["status"] == "registered"]
    assert len(registered) >= 2
    changed = [{**registered[0], "status": "rejected", "reject_code": "ONS-R07"}]
    fresh = [{**registered[1], "prescription_id": "01NOUVELLE000000000"}]
    answer = world.call("gie", "POST", f"/pilots/{key}/registrations", content=_csv(changed + fresh, ";"))
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"rows": 2, "new": 1, "replaced": 1, "total": len(rows) + 1}

    seen = world.call("cpam33", "GET", f"/pilots/{key}/registrations").json()
    assert [u["rows"] for u in seen["uploads"]] == [2, len(rows)] and seen["prescriptions"] == len(rows) + 1
    assert seen["latest"] == seen["uploads"][0]["uploaded_at"]

    merged = tmp_path / "merged"
    shutil.copytree(pilot, merged)
    by_id = {r["prescription_id"]: r for r in rows}
    by_id.update({r["prescription_id"]: r for r in changed + fresh})
    (merged / "registrations.csv").write_bytes(_csv(list(by_id.values())))
    service = world.call("cnam", "GET", f"/pilots/{key}/assessment").json()
    assert service["criteria"] == assess_folder(merged).result["criteria"]  # C2 reads the merged extract


def test_an_upload_with_a_bad_row_records_nothing(world: World, tmp_path: Path) -> None:
    pilot = simulated(tmp_path / "pilot", records=1000)
    key = walk(world, pilot, "running")
    good = {"prescription_id": "01AAAAAAAAAAAAAAAA", "practitioner": "1", "registered_at": "", "status": "registered",
            "reject_code": ""}
    answer = world.call("cnam", "POST", f"/pilots/{key}/registrations",
                        content=_csv([good, {**good, "prescription_id": "01B", "status": "maybe"}]))
    assert answer.status_code == 422
    assert answer.json()["message"].endswith("registrations.csv, ligne 3, champ status : registered ou rejected "
                                             "attendu ; rien n'est enregistré")
    assert world.call("cnam", "GET", f"/pilots/{key}/registrations").json()["uploads"] == []
    assert world.call("vendor", "POST", f"/pilots/{key}/registrations", content=_csv([good])).status_code == 403
    no_status = world.call("cnam", "POST", f"/pilots/{key}/registrations", content=b"prescription_id\n01A\n")
    assert no_status.status_code == 422 and no_status.json()["field"] == "status"
