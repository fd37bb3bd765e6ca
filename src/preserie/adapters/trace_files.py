"""Trace files on disk: finding them, and the careful line-by-line reading of damaged ones.

The engine reads intact files in parallel (see `duckdb_trace_store`); a file it cannot parse as a
whole is read again here, line by line, so that every line is accounted for with its number.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from preserie.adapters.trace_sql import TEXT_FIELDS
from preserie.domain.inputs import FileIssue, TraceFile
from preserie.domain.trace_contract import Rejection

FORMATS: dict[str, str] = {".jsonl.gz": "jsonl", ".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
csv.field_size_limit(1 << 30)


def discover(folder: Path) -> tuple[list[TraceFile], list[FileIssue]]:
    """The trace files of a pilot folder in byte order of their names (SPEC §5), and the files skipped."""
    traces = folder / "traces"
    if not traces.is_dir():
        return [], []
    found: list[TraceFile] = []
    issues: list[FileIssue] = []
    for path in sorted(traces.rglob("*"), key=lambda p: p.relative_to(folder).as_posix().encode()):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        if path.name.startswith("."):
            continue
        suffix = next((s for s in FORMATS if path.name.endswith(s)), None)
        if suffix is None:
            issues.append(FileIssue(name, "warning", "fichier ignoré : extension attendue .jsonl, .jsonl.gz, "
                                    ".csv ou .parquet"))
            continue
        found.append(TraceFile(path, name, FORMATS[suffix], suffix.endswith(".gz")))
    return found, issues


def check_signature(trace_file: TraceFile) -> str | None:
    """Why a file is not what its extension says, or None when its first bytes fit."""
    with trace_file.path.open("rb") as handle:
        head = handle.read(4)
    if not head:
        return None
    if trace_file.compressed and not head.startswith(GZIP_MAGIC):
        return "n'est pas compressé en gzip malgré son extension .gz"
    if trace_file.format == "parquet" and head != PARQUET_MAGIC:
        return "n'est pas un fichier Parquet (signature PAR1 absente)"
    if not trace_file.compressed and trace_file.format != "parquet" and head.startswith((GZIP_MAGIC,
                                                                                          PARQUET_MAGIC)):
        return "est un fichier binaire (gzip ou Parquet) : vérifier son extension"
    return None


def open_text(trace_file: TraceFile) -> BinaryIO:
    if trace_file.compressed:
        return gzip.open(trace_file.path, "rb")  # type: ignore[return-value]
    return trace_file.path.open("rb")


def read_csv_header(trace_file: TraceFile) -> list[str] | None:
    with open_text(trace_file) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace",
                                                        newline="") as text:
        row = next(csv.reader(text), None)
    return None if row is None else [cell.strip() for cell in row]


def _json_text(name: str, value: Any) -> str | None:
    """A JSON value as the fast reader normalizes it (types kept where they matter)."""
    if value is None:
        return None
    if name == "digital":
        return ("true" if value else "false") if isinstance(value, bool) else "!" + type(value).__name__
    if name == "http_status":
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return "!" + type(value).__name__
    if name == "duration_ms":
        return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def careful_json_rows(trace_file: TraceFile, file_idx: int) -> Iterator[dict[str, Any]]:
    """Each non-blank line of a JSON Lines file, parsed on its own: a broken line is a rejected record."""
    ordinal = 0
    with open_text(trace_file) as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            ordinal += 1
            row: dict[str, Any] = {"file_idx": file_idx, "ordinal": ordinal, "line": number, "parse_error": None}
            try:
                value = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                value, row["parse_error"] = None, Rejection.UNREADABLE.value
            if value is not None and not isinstance(value, dict):
                value, row["parse_error"] = None, Rejection.NOT_OBJECT.value
            for name in TEXT_FIELDS:
                row[name] = _json_text(name, value.get(name)) if value else None
            yield row


def careful_csv_rows(trace_file: TraceFile, file_idx: int) -> Iterator[dict[str, Any]]:
    """Each data row of a CSV file parsed on its own: a row with the wrong number of cells is rejected."""
    with open_text(trace_file) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace",
                                                        newline="") as text:
        reader = csv.reader(text)
        header = [cell.strip() for cell in next(reader, [])]
        ordinal = 0
        start = reader.line_num + 1
        for cells in reader:
            line, start = start, reader.line_num + 1
            if not cells or (all(not c.strip() for c in cells) and len(cells) <= 1):
                continue
            ordinal += 1
            row: dict[str, Any] = {"file_idx": file_idx, "ordinal": ordinal, "line": line, "parse_error": None}
            if len(cells) != len(header):
                row["parse_error"] = Rejection.CSV_ROW.value
                cells = []
            values = dict(zip(header, cells, strict=False))
            for name in TEXT_FIELDS:
                cell = values.get(name)
                row[name] = cell if cell else None
            yield row


def physical_lines(trace_file: TraceFile, ordinals: set[int]) -> dict[int, int]:
    """Line numbers in the file of the given records (blank lines and CSV multi-line cells counted)."""
    found: dict[int, int] = {}
    if not ordinals:
        return found
    last = max(ordinals)
    if trace_file.format == "jsonl":
        ordinal = 0
        with open_text(trace_file) as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    ordinal += 1
                    if ordinal in ordinals:
                        found[ordinal] = number
                    if ordinal >= last:
                        break
    elif trace_file.format == "csv":
        for row in careful_csv_rows(trace_file, 0):
            if row["ordinal"] in ordinals:
                found[row["ordinal"]] = row["line"]
            if row["ordinal"] >= last:
                break
    return found


__all__ = ["FileIssue", "TraceFile", "careful_csv_rows", "careful_json_rows",
           "check_signature", "discover", "physical_lines", "read_csv_header"]
