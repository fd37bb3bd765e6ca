"""Files and folders the system refuses to read (PermissionError): each named, the rest of the folder kept.

The tests run as root, where chmod 000 stops nothing; so the refusal is forced where Python asks the system
(io.open, os.scandir) for the paths made unreadable, besides the chmod that stops any other user."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from preserie.services.assess import assess_folder

CASES = Path(__file__).parents[1] / "cases"
AS_OF = dt.datetime(2025, 3, 3, 23, 59, tzinfo=dt.UTC)


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """Make a path unreadable: chmod 000, and (for root) a PermissionError where Python opens or lists it."""
    denied: set[str] = set()
    real_open, real_scandir = io.open, os.scandir

    def refuse(path: Any) -> None:
        if isinstance(path, str | os.PathLike) and os.path.realpath(path) in denied:
            raise PermissionError(13, "Permission denied", os.fspath(path))

    def guarded_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        refuse(file)
        return real_open(file, *args, **kwargs)

    def guarded_scandir(path: Any = ".") -> Any:
        refuse(path)
        return real_scandir(path)

    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(os, "scandir", guarded_scandir)

    def make_unreadable(path: Path) -> None:
        denied.add(os.path.realpath(path))
        path.chmod(0)

    yield make_unreadable
    for path in denied:
        os.chmod(path, 0o700)


@pytest.fixture
def pilot(tmp_path: Path) -> Path:
    return Path(shutil.copytree(CASES / "nominal", tmp_path / "pilot",
                                ignore=shutil.ignore_patterns("case.yaml", "expected*")))


def test_unreadable_side_files_and_trace_file_are_each_named_and_the_rest_kept(
        pilot: Path, deny: Callable[[Path], None]) -> None:
    (pilot / "traces" / "2025-02.jsonl").write_text((pilot / "traces" / "2025-01.jsonl").read_text())
    for name in ("survey.csv", "anomalies.csv", "registrations.csv", "traces/2025-01.jsonl"):
        deny(pilot / name)
    run = assess_folder(pilot, as_of=AS_OF)
    refused = {i.file: i.message for i in run.issues if i.level == "error"}
    assert refused == dict.fromkeys(("survey.csv", "anomalies.csv", "registrations.csv", "traces/2025-01.jsonl"),
                                    "fichier illisible : permission refusée (droits de lecture à vérifier)")
    assert run.result["data_quality"]["used"] == 155  # the copy of the unreadable file is read
    checks = {c["check"]: c for c in run.result["dossier"]}
    assert checks["traces_readable"]["status"] == "fail"
    assert "traces/2025-01.jsonl" in checks["traces_readable"]["detail"]
    assert checks["input_rows"]["status"] == "fail"
    assert "survey.csv (illisible)" in checks["input_rows"]["detail"]
    assert run.decision == "extend"


def test_an_unreadable_traces_folder_fails_traces_readable_instead_of_reading_nothing(
        pilot: Path, deny: Callable[[Path], None]) -> None:
    deny(pilot / "traces")
    run = assess_folder(pilot, as_of=AS_OF)
    assert run.result["data_quality"]["events_read"] == 0
    issue = next(i for i in run.issues if i.file == "traces/")
    assert issue.level == "error" and "permission refusée" in issue.message
    checks = {c["check"]: c for c in run.result["dossier"]}
    assert checks["traces_readable"]["status"] == "fail" and "traces/" in checks["traces_readable"]["detail"]


def test_an_unreadable_sub_folder_of_traces_is_named_and_the_other_files_read(
        pilot: Path, deny: Callable[[Path], None]) -> None:
    (pilot / "traces" / "cabinet-b").mkdir()
    (pilot / "traces" / "cabinet-b" / "2025-02.jsonl").write_text("{}\n")
    deny(pilot / "traces" / "cabinet-b")
    run = assess_folder(pilot, as_of=AS_OF)
    assert run.result["data_quality"]["used"] == 155
    assert [(i.file, i.level) for i in run.issues if i.file.startswith("traces/")] == [("traces/cabinet-b/", "error")]


@pytest.mark.parametrize("name", ["survey.csv", "anomalies.csv", "registrations.csv", "traces/2025-01.jsonl",
                                  "traces"])
def test_the_command_line_says_what_is_unreadable_and_exits_2_after_writing_the_rest(
        name: str, pilot: Path, deny: Callable[[Path], None]) -> None:
    import json

    from typer.testing import CliRunner

    from preserie.cli import app

    deny(pilot / name)
    done = CliRunner().invoke(app, ["assess", str(pilot), "--json", "--as-of", "2025-03-03"])
    assert done.exit_code == 2, done.output
    assert json.loads(done.stdout)["pilot"] == "logimed-2025-01"  # nothing else lost: the bilan is still there
    shown = name + ("/" if name == "traces" else "")
    assert f"erreur : illisible(s) : {shown}" in done.stderr
    assert "Traceback" not in done.output
