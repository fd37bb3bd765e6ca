"""registrations.csv is read by the engine on both cores (buffers shorter than the file), yet a row keeps its line
in the messages, and a line longer than those buffers is still read (SPEC §4: the file is the registry's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from preserie.adapters import registrations
from preserie.adapters.registrations import SPLIT_LINE, load_registrations

HEADER = "prescription_id,practitioner,registered_at,status,reject_code\n"


def _row(n: int, status: str = "registered", code: str = "") -> str:
    return f"RX{n:016d},331012344,2025-01-13T08:00:00+01:00,{status},{code}\n"


def _load(path: Path) -> tuple[list[tuple[int | None, str | None, str]], int]:
    con = duckdb.connect()
    con.execute("CREATE TABLE registrations (prescription_id VARCHAR, status VARCHAR)")
    issues = load_registrations(con, path)
    row = con.execute("SELECT count(*) FROM registrations").fetchone()
    return [(i.line, i.field, i.level) for i in issues], row[0] if row else 0


def test_bad_rows_of_a_file_longer_than_the_buffers_keep_their_lines(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    real = registrations.read_csv

    def read_csv(*args: Any, longest_line: int, **options: Any) -> str:
        reads.append(longest_line)
        return real(*args, longest_line=longest_line, **options)

    monkeypatch.setattr(registrations, "read_csv", read_csv)
    rows = 6 * SPLIT_LINE // len(_row(0)) + 1000  # more than three buffers
    bad = {10: "lost", rows // 2: "", rows - 5: "maybe"}
    path = tmp_path / "registrations.csv"
    path.write_text(HEADER + "".join(_row(n, bad.get(n, "registered")) for n in range(rows)))
    issues, kept = _load(path)
    # the header is line 1, row n is line n + 2
    assert issues == [(n + 2, "status", "error") for n in sorted(bad)]
    assert kept == rows - len(bad)
    assert reads == [SPLIT_LINE]  # read once, by the engine's parallel reader


def test_a_line_longer_than_the_buffers_is_read(tmp_path: Path) -> None:
    path = tmp_path / "registrations.csv"
    path.write_text(HEADER + _row(1) + _row(2, "rejected", "x" * (SPLIT_LINE + 10)) + _row(3, "lost"))
    issues, kept = _load(path)
    assert (issues, kept) == ([(4, "status", "error")], 2)


def test_a_file_the_engine_refuses_is_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "registrations.csv"
    path.write_text(HEADER + _row(1) + "RX2,331012344\n")  # a row of the wrong width
    con = duckdb.connect()
    con.execute("CREATE TABLE registrations (prescription_id VARCHAR, status VARCHAR)")
    issues = load_registrations(con, path)
    assert [(i.level, i.message.split(" : ")[0]) for i in issues] == [("error", "fichier illisible")]
