"""In a rehearsal the Cnam takes the registry's extract from the sandbox (`POST …/registrations/from-sandbox`):
the sandbox's `GET /v1/registrations` for the pilot's practitioners, merged as an upload is, kept with who, when
and how it came; a sandbox away or refusing records nothing and says why (502); a service without a sandbox says
how to give it one (409)."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from registry_walk import World, serving, simulated, walk

sys.path.insert(0, str(Path(__file__).parents[1] / "teleservice"))
from teleservice_sandbox import SECRET, Sandbox, created, new_id
from teleservice_sandbox import serving as sandbox_serving

from preserie.teleservice.tokens import issue_token


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    with sandbox_serving(f"sqlite:///{tmp_path_factory.mktemp('sandbox') / 'sandbox.db'}") as served:
        yield served


@contextmanager
def _world(tmp: Path, url: str | None, token: str | None) -> Iterator[World]:
    with serving(f"sqlite:///{tmp / 'registry.db'}", tmp / "data", sandbox_url=url, sandbox_token=token) as world:
        for who, role, options in (("vendor", "vendor", {"vendor": "Simulé SAS"}), ("cnam", "cnam", {})):
            world.account(who, role, **options)
        yield world


def test_the_cnam_takes_the_extract_of_the_pilots_doctors_from_the_sandbox(sandbox: Sandbox,
                                                                         tmp_path: Path) -> None:
    folder = simulated(tmp_path / "pilot", records=600)
    reader = issue_token(SECRET, "CNAM-REGISTRE", "registry")
    with _world(tmp_path, sandbox.base_url, reader) as world:
        key = walk(world, folder, "running")
        doctors = [p.ref for p in world.registry.repo.practitioners(world.registry.repo.pilot(key).id)]
        with sandbox.client(doctors[0]) as first, sandbox.client(doctors[1]) as second, \
                sandbox.client(new_id("D")) as stranger:
            theirs = [created(first), created(second), created(first)]
            created(stranger)  # not a doctor of this pilot: not in its extract
        answer = world.call("cnam", "POST", f"/pilots/{key}/registrations/from-sandbox")
        assert answer.status_code == 201, answer.text
        assert answer.json() == {"rows": 3, "new": 3, "replaced": 0, "total": 3}
        stored = (world.registry.registrations_file(world.registry.repo.pilot(key), 1)).read_text(encoding="utf-8")
        assert sorted(r["prescription_id"] for r in csv.DictReader(io.StringIO(stored))) == sorted(theirs)
        again = world.call("cnam", "POST", f"/pilots/{key}/registrations/from-sandbox").json()
        assert again == {"rows": 3, "new": 0, "replaced": 3, "total": 3}  # merged by prescription id
        fresh = world.call("cnam", "GET", f"/pilots/{key}/registrations").json()
        assert [u["number"] for u in fresh["uploads"]] == [2, 1] and fresh["prescriptions"] == 3
        history = world.call("cnam", "GET", f"/pilots/{key}/history").json()
        assert any("pris au bac à sable" in (line.get("detail") or "") for line in history), history
        refused = world.call("vendor", "POST", f"/pilots/{key}/registrations/from-sandbox")
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN_ROLE"


@pytest.mark.parametrize("case", ["away", "wrong_role", "unconfigured"])
def test_a_sandbox_away_refusing_or_missing_records_nothing(sandbox: Sandbox, tmp_path: Path, case: str) -> None:
    folder = simulated(tmp_path / "pilot", records=300)
    url, token = {"away": ("http://127.0.0.1:9", issue_token(SECRET, "R", "registry")),
                  "wrong_role": (sandbox.base_url, issue_token(SECRET, "D", "prescriber")),
                  "unconfigured": (None, None)}[case]
    with _world(tmp_path, url, token) as world:
        key = walk(world, folder, "running")
        answer = world.call("cnam", "POST", f"/pilots/{key}/registrations/from-sandbox")
        expected = {"away": (502, "SANDBOX_UNAVAILABLE", "injoignable"),
                    "wrong_role": (502, "SANDBOX_UNAVAILABLE", "ROLE_NOT_ALLOWED"),
                    "unconfigured": (409, "SANDBOX_NOT_CONFIGURED", "PRESERIE_TELESERVICE_URL")}[case]
        body = answer.json()
        assert (answer.status_code, body["code"]) == expected[:2] and expected[2] in body["message"], body
        assert world.call("cnam", "GET", f"/pilots/{key}/registrations").json()["uploads"] == []
        assert token is None or token not in answer.text


@pytest.mark.parametrize(("url", "token", "said"), [
    ("http://127.0.0.1:8000", None, "vont ensemble"), (None, "v1.a.b", "vont ensemble"),
    ("127.0.0.1:8000", "v1.a.b", "http:// ou https://")])
def test_a_sandbox_is_configured_whole_or_not_at_all(tmp_path: Path, url: str | None, token: str | None,
                                                     said: str) -> None:
    from preserie.config import ServiceSettings, SettingsError

    with pytest.raises(SettingsError, match=said):
        ServiceSettings(data=tmp_path, sandbox_url=url, sandbox_token=token).prepare()
    environ = {"PRESERIE_TELESERVICE_URL": url or "", "PRESERIE_TELESERVICE_TOKEN": token or ""}
    chosen = ServiceSettings.from_env(data=tmp_path, environ=environ)
    assert (chosen.sandbox_url, chosen.sandbox_token) == (url, token) and (token or "§") not in repr(chosen)
