"""registrations.csv, the extract of the national registry (SPEC §4), read by the engine."""

from __future__ import annotations

from pathlib import Path

import duckdb

from preserie.adapters.trace_files import (
    FileIssue,
    TraceFile,
    found_columns,
    physical_lines,
    read_csv_header,
    sniff_delimiter,
)
from preserie.adapters.trace_sql import LONGEST_LINE, literal, read_csv

COLUMNS = ("prescription_id", "practitioner", "registered_at", "status", "reject_code")
# The columns C2 is computed from; the engine skips converting the others.
READ = ("prescription_id", "status")
NAME = "registrations.csv"
SPLIT_LINE = 4 * 1024 * 1024


def _read(con: duckdb.DuckDBPyConnection, path: Path, header: list[str], delimiter: str) -> duckdb.Error | None:
    """The file into `registrations_raw`, or the engine's refusal. With lines of up to 4 MiB (8 MiB buffers) the
    engine spreads the file over both cores (350,000 rows: 0.04 s against 0.14 s on one); a file it refuses then,
    for a longer line or any other reason, is read again with the longest lines the traces may have, which
    decides."""
    select = ", ".join(f"nullif(trim(\"{c}\"), '') AS {c}" for c in READ)
    for longest in (SPLIT_LINE, LONGEST_LINE):
        try:
            con.execute(f"CREATE TABLE registrations_raw AS SELECT {select} "
                        f"FROM {read_csv(literal(str(path)), header, delimiter=delimiter, longest_line=longest)}")
            return None
        except duckdb.Error as error:
            refused = error
    return refused


def load_registrations(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str | None = None) -> list[FileIssue]:
    """Make `registrations` the valid rows of the file; each invalid row is reported with its line. The delimiter
    is `,` or `;` (default: the one the header line uses)."""
    as_file = TraceFile(path=path, name=NAME, format="csv", compressed=False)
    if path.stat().st_size == 0:
        return [FileIssue(NAME, "warning", "fichier vide : aucune ordonnance enregistrée")]
    delimiter = delimiter or sniff_delimiter(path, COLUMNS)
    header = read_csv_header(as_file, delimiter) or []
    missing = [c for c in ("prescription_id", "status") if c not in header]
    if missing:
        return [FileIssue(NAME, "error", f"colonnes obligatoires absentes de l'en-tête : {', '.join(missing)} "
                          f"(en-tête attendu : {','.join(COLUMNS)} ; séparateur « {delimiter} » ; "
                          f"colonnes trouvées : {found_columns(header)})")]
    error = _read(con, path, header, delimiter)
    if error is not None:
        return [FileIssue(NAME, "error", f"fichier illisible : {str(error).splitlines()[0]}")]
    con.execute("DROP TABLE registrations")
    con.execute("""
        CREATE VIEW registrations AS SELECT * FROM registrations_raw
        WHERE prescription_id IS NOT NULL AND status IN ('registered', 'rejected')""")
    bad = con.execute("""
        SELECT rowid + 1 AS ordinal, CASE WHEN prescription_id IS NULL THEN 'prescription_id' ELSE 'status' END
        FROM registrations_raw
        WHERE prescription_id IS NULL OR status IS NULL OR status NOT IN ('registered', 'rejected')
        ORDER BY ordinal""").fetchall()
    if not bad:
        return []
    lines = physical_lines(as_file, {ordinal for ordinal, _ in bad}, delimiter)
    return [
        FileIssue(NAME, "error",
                  ("identifiant manquant" if field == "prescription_id" else "registered ou rejected attendu")
                  + " ; ligne ignorée", line=lines.get(ordinal, ordinal + 1), field=field)
        for ordinal, field in bad
    ]
