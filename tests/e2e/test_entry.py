"""The entry point's direct path for `preserie assess DOSSIER` (preserie.entry) answers exactly as the typer
command does, and never loads typer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from preserie_cli import CASES, copy_case

from preserie.entry import direct_assess

TYPER = "import sys; from preserie.cli import app; sys.argv[0] = 'preserie'; app(prog_name='preserie')"


def _both(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    env = {**os.environ, "COLUMNS": "200"}
    direct = subprocess.run([sys.executable, "-m", "preserie", *args], capture_output=True, text=True, env=env,
                            cwd=cwd, timeout=300)
    typer = subprocess.run([sys.executable, "-c", TYPER, *args], capture_output=True, text=True, env=env, cwd=cwd,
                           timeout=300)
    return direct, typer


def _broken_yaml(tmp: Path) -> Path:
    folder = copy_case("nominal", tmp / "broken")
    text = (folder / "pilot.yaml").read_text()
    (folder / "pilot.yaml").write_text(text.replace("installed_on: ", "installed_on: 2025-02-30 #", 1))
    return folder


@pytest.mark.parametrize("args", [
    ("assess", "{nominal}", "--json"),
    ("assess", "{nominal}"),
    ("assess", "{nominal}", "--details", "--as-of=2025-03-01"),
    ("assess", "--as-of", "2025-03-01", "{rejected}", "--json", "--strict"),
    ("assess", "{rejected}", "--strict", "--strict"),
    ("assess", "{nominal}", "--as-of", "mardi"),
    ("assess", "{nominal}", "--test-identities", "--json"),
    ("assess", "{missing}", "--json"),
    ("assess", "{broken}", "--json"),
    ("assess", "{nominal}", "--as-of"),
    ("assess", "{nominal}", "--jsn"),
    ("assess", "{nominal}", "{rejected}"),
], ids=lambda args: " ".join(args))
def test_direct_path_answers_as_typer_does(tmp_path: Path, args: tuple[str, ...]) -> None:
    folders = {"nominal": str(CASES / "nominal"), "rejected": str(CASES / "rejected_records"),
               "missing": str(tmp_path / "absent"), "broken": str(_broken_yaml(tmp_path))}
    argv = [arg.format(**folders) for arg in args]
    direct, typer = _both(*argv, cwd=tmp_path)
    assert (direct.returncode, direct.stdout, direct.stderr) == (typer.returncode, typer.stdout, typer.stderr)
    assert "Traceback" not in direct.stderr


def test_direct_path_never_loads_typer(tmp_path: Path) -> None:
    probe = ("import sys; sys.argv = ['preserie', 'assess', sys.argv[1], '--json']\n"
             "from preserie.entry import main\n"
             "try:\n    main()\nexcept SystemExit as end:\n    code = end.code\n"
             "sys.stderr.write(f'exit={code} typer={\"typer\" in sys.modules} click={\"click\" in sys.modules}')")
    done = subprocess.run([sys.executable, "-c", probe, str(CASES / "nominal")], capture_output=True, text=True,
                          timeout=300)
    assert done.stderr.endswith("exit=0 typer=False click=False"), done.stderr[-500:]
    assert '"decision": "deploy"' in done.stdout


@pytest.mark.parametrize("args", [[], ["assess"], ["assess", "--help"], ["report", "x"], ["assess", "--", "x"],
                                  ["assess", "x", "--server", "http://h"], ["assess", "x", "--pilot", "p"],
                                  ["assess", "x", "-h"], ["assess", ""]])
def test_everything_else_is_typers(args: list[str]) -> None:
    assert direct_assess(args) is None


def test_last_as_of_wins_as_in_click() -> None:
    found = direct_assess(["assess", "--as-of", "2025-01-01", "f", "--as-of=2025-02-01"])
    assert found is not None and found["as_of"] == "2025-02-01" and found["folder"] == Path("f")
