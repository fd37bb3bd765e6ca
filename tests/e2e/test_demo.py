"""`preserie demo`: one command, no argument, a simulated nominal pilot and its assessment."""

from __future__ import annotations

import json
from pathlib import Path

from preserie_cli import run


def test_demo_simulates_a_nominal_pilot_that_deploys_and_can_be_run_again(tmp_path: Path) -> None:
    first = run("demo", "--records", "20000", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "DÉPLOIEMENT" in first.stdout
    folder = tmp_path / "preserie-demo"
    assessed = run("assess", str(folder), "--json", cwd=tmp_path)
    result = json.loads(assessed.stdout)
    assert assessed.returncode == 0 and result["decision"] == "deploy"
    assert result["data_quality"]["events_read"] == 20000
    again = run("demo", "--records", "20000", cwd=tmp_path)
    assert again.returncode == 0
    assert json.loads(run("assess", str(folder), "--json", cwd=tmp_path).stdout) == result


def test_demo_never_overwrites_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "preserie-demo").mkdir()
    (tmp_path / "preserie-demo" / "precious.txt").write_text("keep me")
    done = run("demo", cwd=tmp_path)
    assert done.returncode == 2
    assert (tmp_path / "preserie-demo" / "precious.txt").read_text() == "keep me"
