"""Trace files on disk: finding them, and the careful line-by-line reading of damaged ones.

The engine reads intact files in parallel (see `duckdb_trace_store`); a file it cannot parse as a
whole is read again here, line by line, so that every line is accounted for with its number.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from preserie.adapters.trace_sql import TEXT_FIELDS
from preserie.domain.inputs import FileIssue, TraceFile
from preserie.domain.trace_contract import COMMON_FIELDS, Rejection

FORMATS: dict[str, str] = {".jsonl.gz": "jsonl", ".jsonl": "jsonl", ".csv": "csv", ".parquet": "parquet"}
GZIP_MAGIC = b"\x1f\x8b"
PARQUET_MAGIC = b"PAR1"
csv.field_size_limit(1 << 30)


def unreadable(error: OSError) -> str:
    """Why a file or folder could not be read, in French (the system's own words otherwise)."""
    if isinstance(error, PermissionError):
        return "permission refusée (droits de lecture à vérifier)"
    if isinstance(error, IsADirectoryError):
        return "c'est un dossier, un fichier est attendu"
    return str(error.strerror or error)


def not_a_file(path: Path) -> str | None:
    """Why something at `path` that was expected to be a file is none (a folder, a named pipe, a broken link),
    or None when it is a regular file or nothing at all. Such a thing is never opened: reading a pipe waits
    for ever."""
    if path.is_symlink() and not path.exists():
        return "lien symbolique cassé : fichier introuvable"
    if not path.exists() or path.is_file():
        return None
    if path.is_dir():
        return "c'est un dossier, un fichier est attendu"
    return "ce n'est pas un fichier ordinaire (tube nommé, socket ou périphérique) : non lu"


def _walk(traces: Path, issues: list[FileIssue], folder: Path) -> list[Path]:
    """Every entry below `traces/` but its folders; an unreadable folder is an error, never an empty one
    (pathlib's rglob skips it silently). Linked folders are followed once."""
    def refused(error: OSError) -> None:
        where = Path(error.filename).relative_to(folder).as_posix() + "/"
        issues.append(FileIssue(where, "error", f"dossier illisible : {unreadable(error)} ; ses traces ne sont pas "
                                "lues", unreadable=True))

    seen: set[str] = set()
    entries: list[Path] = []
    for root, dirs, files in os.walk(traces, onerror=refused, followlinks=True):
        seen.add(os.path.realpath(root))
        dirs[:] = [d for d in dirs if os.path.realpath(os.path.join(root, d)) not in seen]
        entries.extend(Path(root, name) for name in files)
    return entries


def discover(folder: Path) -> tuple[list[TraceFile], list[FileIssue]]:
    """The trace files of a pilot folder in byte order of their names (SPEC §5), and the files skipped."""
    traces = folder / "traces"
    if not traces.is_dir():
        odd = not_a_file(traces) if traces.is_symlink() or traces.exists() else None
        if odd or traces.exists():
            return [], [FileIssue("traces/", "error", "ce n'est pas un dossier : aucune trace lue", unreadable=True)]
        return [], [FileIssue("traces/", "warning", "dossier absent : aucune trace de poste")]
    found: list[TraceFile] = []
    issues: list[FileIssue] = []
    for path in sorted(_walk(traces, issues, folder), key=lambda p: os.fsencode(p.relative_to(folder))):
        name = path.relative_to(folder).as_posix()
        if path.name.startswith("."):
            continue
        suffix = next((s for s in FORMATS if path.name.endswith(s)), None)
        problem = _cannot_be_read(path, name)
        if problem and suffix:
            issues.append(FileIssue(problem[0], "error", problem[1], unreadable=True))
        elif suffix is None:
            issues.append(FileIssue(problem[0] if problem else name, "warning", "fichier ignoré : extension "
                                    "attendue .jsonl, .jsonl.gz, .csv ou .parquet"))
        else:
            found.append(TraceFile(path, name, FORMATS[suffix], suffix.endswith(".gz")))
    return found, issues


def _cannot_be_read(path: Path, name: str) -> tuple[str, str] | None:
    """(name as shown, why) for an entry that cannot be read as a trace file, or None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that are not UTF-8 in the name: shown with replacement characters
        shown = os.fsencode(name).decode("utf-8", "replace")
        return shown, "nom de fichier illisible (caractères hors UTF-8) : le renommer"
    odd = not_a_file(path)
    if odd:
        return name, odd
    try:
        path.stat()
    except OSError as error:
        return name, f"fichier illisible : {unreadable(error)}"
    return None


def signature_issue(trace_file: TraceFile) -> FileIssue | None:
    """The error of a trace file that cannot be opened, or whose first bytes belie its extension; None when fine."""
    try:
        with trace_file.path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        return FileIssue(trace_file.name, "error", f"fichier illisible : {unreadable(error)}", unreadable=True)
    mismatch = check_signature(trace_file)
    return FileIssue(trace_file.name, "error", f"fichier illisible : {mismatch}") if mismatch else None


def check_signature(trace_file: TraceFile) -> str | None:
    """Why a file is not what its extension says, or None when its first bytes fit."""
    try:
        with trace_file.path.open("rb") as handle:
            head = handle.read(4)
    except OSError as error:
        return unreadable(error)
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


def empty_issue(trace_file: TraceFile) -> FileIssue | None:
    """The warning of an empty trace file (0 byte), or None."""
    if trace_file.path.stat().st_size == 0:
        return FileIssue(trace_file.name, "warning", "fichier vide (0 octet) : aucune trace")
    return None


def csv_header_issue(trace_file: TraceFile, header: list[str] | None) -> FileIssue | None:
    """What is wrong with a CSV trace file's header: none of the contract's columns (an error: the file is not
    read), or common fields missing (a warning: its records will be rejected); None when it is whole."""
    if not header or not set(TEXT_FIELDS).intersection(header):
        semicolons = header is not None and len(header) == 1 and ";" in header[0]
        return FileIssue(trace_file.name, "error", "fichier illisible : " + (
            "séparateur « ; » détecté, la virgule est attendue" if semicolons
            else "l'en-tête CSV ne contient aucune colonne attendue (event_id, ts, …)"))
    absent = [name for name in COMMON_FIELDS if name not in header]
    if absent:
        return FileIssue(trace_file.name, "warning", f"colonnes absentes de l'en-tête : {', '.join(absent)}")
    return None


def first_look(trace_file: TraceFile) -> FileIssue | None:
    """What can be told of a trace file without reading its records (`preserie check`): empty, unreadable, not
    what its extension says, or a CSV header without the contract's columns; None when nothing shows. The
    loader says the same, from the same functions, when it reads the file."""
    try:
        refused = empty_issue(trace_file) or signature_issue(trace_file)
        if refused or trace_file.format != "csv":
            return refused
        return csv_header_issue(trace_file, read_csv_header(trace_file))
    except OSError as error:
        return FileIssue(trace_file.name, "error", f"fichier illisible : {unreadable(error)}", unreadable=True)


def open_text(trace_file: TraceFile) -> BinaryIO:
    if trace_file.compressed:
        return gzip.open(trace_file.path, "rb")  # type: ignore[return-value]
    return trace_file.path.open("rb")


def read_csv_header(trace_file: TraceFile, delimiter: str = ",") -> list[str] | None:
    with open_text(trace_file) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace",
                                                        newline="") as text:
        row = next(csv.reader(text, delimiter=delimiter), None)
    return None if row is None else [cell.strip() for cell in row]


def found_columns(header: Sequence[str], limit: int = 12) -> str:
    """The columns a header holds, for a message (a few, and how many more)."""
    shown = ", ".join(f"« {name} »" for name in header[:limit]) or "aucune"
    return shown + (f" et {len(header) - limit} autres" if len(header) > limit else "")


def sniff_delimiter(path: Path, expected: Sequence[str]) -> str:
    """The delimiter of a side CSV file: `;` when its header line holds more of the `expected` columns split on
    `;` than on `,` (French Excel writes `;`, and so do our own exports), or as many but more cells; else `,`
    (SPEC §4)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return delimiter_of(handle.readline(1 << 16), expected)  # a header, not a whole file on one line


def delimiter_of(header: str, expected: Sequence[str]) -> str:
    """`sniff_delimiter`'s rule on a header line already read (an upload's first line).

    >>> delimiter_of("prescription_id;status", ("prescription_id", "status")), delimiter_of("a,b", ())
    (';', ',')
    """
    def found(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        return len(set(expected).intersection(cell.strip() for cell in cells)), len(cells)

    return ";" if found(";") > found(",") else ","


def _lines(handle: BinaryIO) -> Iterator[bytes]:
    """The lines of a file; a damaged gzip stream is an OSError like a truncated one (zlib raises its own)."""
    try:
        yield from handle
    except zlib.error as error:
        raise OSError(f"flux gzip endommagé ({error})") from error


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
        for number, raw in enumerate(_lines(handle), start=1):
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


def careful_csv_rows(trace_file: TraceFile, file_idx: int, delimiter: str = ",") -> Iterator[dict[str, Any]]:
    """Each data row of a CSV file parsed on its own: a row with the wrong number of cells is rejected."""
    with open_text(trace_file) as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace",
                                                        newline="") as text:
        reader = csv.reader(text, delimiter=delimiter)
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


def physical_lines(trace_file: TraceFile, ordinals: set[int], delimiter: str = ",") -> dict[int, int]:
    """Line numbers in the file of the given records (blank lines and CSV multi-line cells counted)."""
    found: dict[int, int] = {}
    if not ordinals:
        return found
    last = max(ordinals)
    if trace_file.format == "jsonl":
        ordinal = 0
        with open_text(trace_file) as handle:
            for number, raw in enumerate(_lines(handle), start=1):
                if raw.strip():
                    ordinal += 1
                    if ordinal in ordinals:
                        found[ordinal] = number
                    if ordinal >= last:
                        break
    elif trace_file.format == "csv":
        for row in careful_csv_rows(trace_file, 0, delimiter):
            if row["ordinal"] in ordinals:
                found[row["ordinal"]] = row["line"]
            if row["ordinal"] >= last:
                break
    return found


__all__ = [
    "FileIssue",
    "TraceFile",
    "careful_csv_rows",
    "careful_json_rows",
    "check_signature",
    "discover",
    "first_look",
    "found_columns",
    "not_a_file",
    "physical_lines",
    "read_csv_header",
    "signature_issue",
    "sniff_delimiter",
    "unreadable",
]
