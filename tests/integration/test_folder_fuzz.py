"""Fuzzing the folder reader: whatever bytes a pilot folder holds, `assess` and `check` end with exit status
0, 1 or 2 and a message, never a traceback; and every trace record read is still accounted for.

Each example damages one or two files of a valid folder (random bytes instead, bytes changed, inserted or cut,
a line replaced, YAML's and CSV's tricky tokens inserted) in every input format: pilot.yaml, the three side CSV
files, and a trace file of each format. The commands run in-process (typer's runner) to stay fast.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from preserie.adapters.trace_sql import TEXT_FIELDS
from preserie.cli import app

NOMINAL = Path(__file__).parents[1] / "cases" / "nominal"
COUNTS = ("rejected", "duplicates", "conflicts", "unknown_practitioners", "other_situation", "after_as_of",
          "out_of_scope_digital", "used")
TARGETS = ("pilot.yaml", "survey.csv", "anomalies.csv", "registrations.csv", "traces/2025-01.jsonl",
           "traces/2025-02.csv", "traces/2025-03.parquet", "traces/2025-04.jsonl.gz")
TRICKY = ["!!int x", "!!timestamp 2025-02-30", "!!binary ###", "!!python/object:os.system", "*nowhere", "&a",
          "2025-02-30", "2024-13-01", "~", "[", "]", "{", "}", ": ", "- ", "\t", "'", '"', "\x00", "\ufeff", "---",
          "%YAML 1.1", "? ", "|", ">", "#", ";", ",", "\r", "\n", "\"\n\"", "é", "\udcff", "1e309", "-0",
          "0x1F", "NaN", "true", "null", "99999999999999999999"]


def _records() -> list[dict[str, Any]]:
    lines = (NOMINAL / "traces" / "2025-01.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()][:40]


def _csv_bytes(records: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TEXT_FIELDS)
    for record in records:
        cells = [record.get(name) for name in TEXT_FIELDS]
        writer.writerow(["" if c is None else str(c).lower() if isinstance(c, bool) else c for c in cells])
    return out.getvalue().encode()


def _parquet_bytes(records: list[dict[str, Any]]) -> bytes:
    columns = {name: [None if r.get(name) is None else str(r[name]) for r in records] for name in TEXT_FIELDS}
    columns["digital"] = [r.get("digital") for r in records]
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def _valid_files() -> dict[str, bytes]:
    files = {name: (NOMINAL / name).read_bytes() for name in TARGETS[:5]}
    records = _records()
    files["traces/2025-02.csv"] = _csv_bytes(records)
    files["traces/2025-03.parquet"] = _parquet_bytes(records)
    files["traces/2025-04.jsonl.gz"] = gzip.compress(files["traces/2025-01.jsonl"], mtime=0)
    return files


VALID = _valid_files()

edits = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 8), st.binary(max_size=8)), min_size=1,
                 max_size=6)
damage = st.one_of(
    st.tuples(st.just("replace"), st.binary(max_size=600)),
    st.tuples(st.just("edit"), edits),
    st.tuples(st.just("truncate"), st.floats(0, 1)),
    st.tuples(st.just("line"), st.integers(0, 200), st.text(max_size=60)),
    st.tuples(st.just("tricky"), st.lists(st.tuples(st.integers(0, 1 << 20), st.sampled_from(TRICKY)),
                                          min_size=1, max_size=4)),
)


def _damaged(data: bytes, how: tuple[Any, ...]) -> bytes:
    kind = how[0]
    if kind == "replace":
        return bytes(how[1])
    if kind == "truncate":
        return data[:int(len(data) * how[1])]
    if kind == "line":
        lines = data.split(b"\n")
        lines[how[1] % len(lines)] = how[2].encode("utf-8", "surrogateescape")
        return b"\n".join(lines)
    changes = how[1] if kind == "edit" else [(at, 0, token.encode("utf-8", "surrogateescape"))
                                             for at, token in how[1]]
    for at, cut, inserted in changes:
        at %= len(data) + 1
        data = data[:at] + inserted + data[at + cut:]
    return data


def _write_folder(folder: Path, damages: list[tuple[str, tuple[Any, ...]]]) -> None:
    (folder / "traces").mkdir(parents=True)
    for name, content in VALID.items():
        (folder / name).write_bytes(content)
    for name, how in damages:
        (folder / name).write_bytes(_damaged((folder / name).read_bytes(), how))


def _run(*args: str) -> Any:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the failure this test looks for
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output
    return result


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(TARGETS), damage), min_size=1, max_size=2))
def test_any_damage_to_any_file_ends_in_exit_0_1_or_2_never_a_traceback(
        damages: list[tuple[str, tuple[Any, ...]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "pilot"
        _write_folder(folder, damages)
        assessed = _run("assess", str(folder), "--json", "--as-of", "2025-03-03")
        if assessed.exit_code != 2:
            quality = json.loads(assessed.stdout)["data_quality"]
            assert quality["events_read"] == sum(quality[name] for name in COUNTS)
        checked = _run("check", str(folder))
        assert (checked.exit_code == 2) == (assessed.exit_code == 2)  # the same declaration, the same verdict


def test_the_undamaged_folder_is_assessed_and_checked(tmp_path: Path) -> None:
    _write_folder(tmp_path / "pilot", [])
    assessed = _run("assess", str(tmp_path / "pilot"), "--json", "--as-of", "2025-03-03")
    quality = json.loads(assessed.stdout)["data_quality"]
    assert quality["rejected"] == 0 and quality["file_issues"] == [] and quality["duplicates"] == 155 + 40 + 40
    assert _run("check", str(tmp_path / "pilot")).exit_code == 0
