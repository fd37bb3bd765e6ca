"""The SQL of the trace accounting, in one place: the tables, the readers, step 1 and steps 2 to 8 (see
docs/decisions/0001-trace-engine.md). The facts computed from the records kept are in `facts_sql`.

The statements are plain SQL over the tables the trace store fills (`records`, `registrations`, and the
side tables of steps 2 to 5: `repeats`, `practitioner_steps`).
Only the readers (`read_json`, `read_csv`, `read_parquet`) and `regexp_full_match` are DuckDB's own;
the counting below them is standard SQL with window functions, so that it can move to a
distributed engine by swapping the readers.
"""

from __future__ import annotations

from preserie.domain.accounting import Step
from preserie.domain.trace_contract import (
    COMMON_FIELDS,
    EVENT_ID_MAX_LENGTH,
    FIELDS,
    TYPED_FIELDS,
    Outcome,
    RecordType,
)
from preserie.domain.trace_contract import Rejection as R

PRESCRIPTION, CALL, WORKSTATION = (f"'{t}'" for t in RecordType)  # as SQL literals
OK, ERROR = (f"'{o}'" for o in Outcome)

# The contract's fields (domain.trace_contract), in the order of the staging table.
TEXT_FIELDS: tuple[str, ...] = FIELDS
JSON_TYPED_FIELDS: tuple[str, ...] = TYPED_FIELDS

ISO_WITH_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"
ISO_WITHOUT_OFFSET = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$"

CREATE_TABLES = """
CREATE TABLE records (
    file_idx INTEGER, line BIGINT, reason VARCHAR,
    event_id VARCHAR, ts TIMESTAMPTZ, practitioner VARCHAR, situation VARCHAR, workstation VARCHAR,
    software_version VARCHAR, type VARCHAR, category VARCHAR, digital BOOLEAN, prescription_id VARCHAR,
    operation VARCHAR, outcome VARCHAR, http_status INTEGER, error_code VARCHAR, duration_ms DOUBLE,
    os VARCHAR, os_version VARCHAR, card_reader VARCHAR, card_kind VARCHAR, network VARCHAR,
    out_of_scope_digital BOOLEAN
);
CREATE TABLE evaluation (as_of TIMESTAMPTZ);
CREATE TABLE registrations (prescription_id VARCHAR, status VARCHAR);
"""


def literal(text: str) -> str:
    """Text as an SQL string literal (a path, a header name, an id from a file)."""
    return "'" + text.replace("'", "''") + "'"


LONGEST_LINE = 128 * 1024 * 1024  # the longest CSV line the engine reads


def read_csv(paths: str, header: list[str], options: str = "", delimiter: str = ",", *,
             longest_line: int = LONGEST_LINE) -> str:
    """The engine's reading of CSV files with this header, every cell as text, exactly as SPEC §4 writes CSV
    (comma, or the `;` a side file may have; double quotes; a row of the wrong width refused, not guessed). The
    engine's buffer must be as long as the longest line, and a file no longer than the buffer is read by one
    thread: a shorter `longest_line` spreads a file over both cores (buffers of twice its length: an odd size made
    the engine's parallel reader refuse files)."""
    columns = ", ".join(f"{literal(h)}: 'VARCHAR'" for h in header)  # names come from the file: literals
    buffer = "" if longest_line == LONGEST_LINE else f", buffer_size = {2 * longest_line}"
    return (f"read_csv({paths}, header = true, columns = {{{columns}}}, auto_detect = false, "
            f"delim = {literal(delimiter)}, quote = '\"', escape = '\"', strict_mode = true, "
            f"max_line_size = {longest_line}{buffer}{options})")


def _missing(name: str) -> str:
    """Null, empty or blank. Only a value that sorts before '!' can be blank, so only those are trimmed
    (trimming every value costs more than the rest of step 1 together)."""
    return f"({name} IS NULL OR ({name} < '!' AND trim({name}) = ''))"


def account_select(source: str, categories: list[str], operations: list[str], out_of_scope: list[str]) -> str:
    """What can be decided of a record on its own, as it is read: its step 1 reason, and whether it is a
    digital prescription out of scope (step 7). Steps 4 and 5 (`practitioner_steps`) need the declaration,
    steps 2, 3 and 6 every file or the evaluation moment (`CREATE_ACCOUNTED`)."""
    oos = ", ".join(f"'{c}'" for c in out_of_scope)
    return f"""
SELECT v.*,
    coalesce(v.type = {PRESCRIPTION} AND v.digital AND v.category IN ({oos}), false) AS out_of_scope_digital
FROM ({validate_select(source, categories, operations)}) v
"""


def practitioner_steps(users: dict[str, str]) -> str:
    """Steps 4 and 5 of SPEC §5 once the declaration is known: the few valid records of other practitioners or
    situations, by rowid, beside the records (an UPDATE of them was measured at 0.02 s to 0.37 s for the same
    43,000 rows, by how the engine happened to store the table). `users` maps each user to their situation."""
    declared = "CASE practitioner " + " ".join(f"WHEN {literal(u)} THEN {literal(s)}" for u, s in users.items()) \
        + " END"
    if not users:
        declared = "NULL::VARCHAR"
    return f"""
CREATE TABLE practitioner_steps AS
SELECT rowid AS rid,
    CASE WHEN {declared} IS NULL THEN '{Step.UNKNOWN_PRACTITIONERS}' ELSE '{Step.OTHER_SITUATION}' END AS step
FROM records WHERE reason IS NULL AND {declared} IS DISTINCT FROM situation
"""


def _http_status_checks(*, call: bool) -> str:
    """The WHENs of the http_status rules, last of step 1 (a call's status must also agree with its outcome)."""
    checks = f"""
            WHEN http_status IS NULL THEN NULL
            WHEN NOT regexp_full_match(http_status, '^-?[0-9]{{1,9}}$') THEN '{R.HTTP_STATUS_NOT_INTEGER}'
            WHEN http_status::INTEGER NOT BETWEEN 100 AND 599 THEN '{R.HTTP_STATUS_OUT_OF_RANGE}'"""
    if call:
        checks += f"""
            WHEN outcome = {ERROR} AND http_status::INTEGER < 400 THEN '{R.ERROR_BELOW_400}'
            WHEN outcome = {OK} AND http_status::INTEGER >= 400 THEN '{R.OK_AT_400}'"""
    return checks


def validate_select(source: str, categories: list[str], operations: list[str]) -> str:
    """Step 1 of SPEC §5: the first broken rule of each normalized record, as a reason code.

    `source` yields the normalized text columns of TEXT_FIELDS plus file_idx, line, parse_error. Records keep
    the order of their file (insertion order is preserved), so a record's `rowid` orders it among all records.
    The rules are tested in SPEC order, each type's own ones only on the records of that type (one CASE per
    type: testing the type in every rule cost 20 % more), then the http_status ones.
    """
    cats = ", ".join(f"'{c}'" for c in categories)
    ops = ", ".join(f"'{o}'" for o in operations)
    missing = "\n".join(f"        WHEN {_missing(f)} THEN '{R.missing(f)}'" for f in COMMON_FIELDS)
    return f"""
SELECT file_idx, line,
    CASE
        WHEN parse_error IS NOT NULL THEN parse_error
{missing}
        WHEN length(event_id) > {EVENT_ID_MAX_LENGTH} THEN '{R.EVENT_ID_TOO_LONG}'
        WHEN NOT regexp_full_match(ts, '{ISO_WITH_OFFSET}') OR ts_value IS NULL
            THEN CASE WHEN regexp_full_match(ts, '{ISO_WITHOUT_OFFSET}') THEN '{R.TS_NO_OFFSET}'
                      ELSE '{R.TS_NOT_ISO}' END
        WHEN type = {PRESCRIPTION} THEN CASE
            WHEN {_missing("category")} THEN '{R.MISSING_CATEGORY}'
            WHEN category NOT IN ({cats}) THEN '{R.UNKNOWN_CATEGORY}'
            WHEN digital IS NULL THEN '{R.MISSING_DIGITAL}'
            WHEN digital NOT IN ('true', 'false') THEN '{R.DIGITAL_NOT_BOOLEAN}'
            WHEN digital = 'true' AND {_missing("prescription_id")}
                THEN '{R.MISSING_PRESCRIPTION_ID}'{_http_status_checks(call=False)}
        END
        WHEN type = {CALL} THEN CASE
            WHEN {_missing("operation")} THEN '{R.MISSING_OPERATION}'
            WHEN operation NOT IN ({ops}) THEN '{R.UNKNOWN_OPERATION}'
            WHEN {_missing("outcome")} THEN '{R.MISSING_OUTCOME}'
            WHEN outcome NOT IN ({OK}, {ERROR}) THEN '{R.UNKNOWN_OUTCOME}'{_http_status_checks(call=True)}
        END
        WHEN type <> {WORKSTATION} THEN '{R.UNKNOWN_TYPE}'
        ELSE CASE{_http_status_checks(call=False)}
        END
    END AS reason,
    event_id, ts_value AS ts, practitioner, situation, workstation, software_version,
    type, category, try_cast(digital AS BOOLEAN) AS digital, nullif(prescription_id, '') AS prescription_id,
    operation, outcome, try_cast(http_status AS INTEGER) AS http_status, error_code,
    try_cast(duration_ms AS DOUBLE) AS duration_ms, os, os_version, card_reader, card_kind, network
FROM (SELECT *, try_cast(ts AS TIMESTAMPTZ) AS ts_value FROM ({source}))
"""


FileList = list[tuple[int, str]]  # (file_idx, path as an SQL literal), in reading order


NOT_HIVE = ", hive_partitioning = false"


def _files(files: FileList) -> tuple[str, str, str]:
    """The reader's path argument, the file_idx of each record, and the reader option that makes it possible.

    Several files are read in one pass: the engine keeps the list's order, each file's records together and in
    file order (checked against file-by-file reading), and names each record's file."""
    # A service keeps traces under pilot=…/phase=… folders (trace_segments): those are not columns of the records.
    if len(files) == 1:
        (file_idx, path), = files
        return path, str(file_idx), NOT_HIVE
    paths = "[" + ", ".join(path for _, path in files) + "]"
    return (paths, f"[{', '.join(str(i) for i, _ in files)}][list_position({paths}, filename)]",
            f", filename = true{NOT_HIVE}")


def json_fast_source(files: FileList, max_object_size: int) -> str:
    """Normalized text columns of JSON Lines files (gzipped or not) read by the engine's own parallel reader."""
    paths, file_of, option = _files(files)
    columns = ", ".join(
        f"{name}: '{'JSON' if name in JSON_TYPED_FIELDS else 'VARCHAR'}'" for name in TEXT_FIELDS
    )
    # A JSON-typed column holds the value's JSON text: `true` stays `true` while the string "true" keeps its
    # quotes, and 404.0 keeps its decimal point, so the text checks of step 1 tell the types apart.
    select = [f"{name}::VARCHAR AS {name}" if name in JSON_TYPED_FIELDS else name for name in TEXT_FIELDS]
    return f"""
SELECT {file_of} AS file_idx, NULL::BIGINT AS line, NULL::VARCHAR AS parse_error,
       {", ".join(select)}
FROM read_json({paths}, format = 'newline_delimited', columns = {{{columns}}},
               maximum_object_size = {max_object_size}{option})
"""


def csv_fast_source(files: FileList, header: list[str]) -> str:
    """Normalized text columns of CSV files sharing one header: every cell text, an empty cell null (SPEC §5)."""
    paths, file_of, option = _files(files)
    present = set(header)  # only the contract's own names are selected
    select = ", ".join(
        (f"nullif(\"{name}\", '') AS {name}" if name in present else f"NULL::VARCHAR AS {name}")
        for name in TEXT_FIELDS
    )
    return f"""
SELECT {file_of} AS file_idx, NULL::BIGINT AS line, NULL::VARCHAR AS parse_error,
       {select}
FROM {read_csv(paths, header, option)}
"""


def parquet_source(files: FileList, column_types: dict[str, str]) -> str:
    """Normalized text columns of Parquet files sharing one schema, by the type of each column present."""
    paths, file_of, option = _files(files)
    select = []
    for name in TEXT_FIELDS:
        kind = column_types.get(name)
        quoted = f'"{name}"'
        if kind is None:
            expr = "NULL::VARCHAR"
        elif kind == "BOOLEAN":
            expr = f"CASE WHEN {quoted} THEN 'true' WHEN NOT {quoted} THEN 'false' END"
        elif kind.startswith("TIMESTAMP WITH TIME ZONE"):
            expr = f"strftime(timezone('UTC', {quoted}), '%Y-%m-%dT%H:%M:%S.%f') || 'Z'"
        elif kind.startswith("TIMESTAMP"):
            expr = f"strftime({quoted}, '%Y-%m-%dT%H:%M:%S.%f')"
        elif (name == "http_status" and kind in ("FLOAT", "DOUBLE")) or kind.startswith("DECIMAL"):
            expr = f"CASE WHEN {quoted} IS NOT NULL THEN '!' || {quoted}::VARCHAR END"
        else:
            expr = f"nullif({quoted}::VARCHAR, '')"
        select.append(f"{expr} AS {name}")
    return f"""
SELECT {file_of} AS file_idx, NULL::BIGINT AS line, NULL::VARCHAR AS parse_error,
       {", ".join(select)}
FROM read_parquet({paths}{option})
"""


# Steps 2 and 3: among the valid records, an event_id seen before. Only ids that occur more than once are
# ranked, so the window work is proportional to the repeats, not to the whole store. The repeats are found in
# two rounds: the records whose id's 64-bit hash repeats (integers sort faster than strings; sorting the hashes
# and comparing neighbours took 0.12 s where grouping them took 0.17 s for 1M records), then, among those few,
# the ids that really repeat; their records are then fetched by rowid (a join of `records` on event_id would
# scan every column of every record).
CREATE_REPEATS = f"""
CREATE TABLE repeats AS
WITH hashes AS (
    SELECT hash(event_id) AS h FROM records WHERE reason IS NULL
), repeated_hashes AS (
    SELECT DISTINCT h FROM (SELECT h, lag(h) OVER (ORDER BY h) AS previous FROM hashes) WHERE h = previous
), candidates AS (
    SELECT rowid AS rid, event_id FROM records
    WHERE reason IS NULL AND hash(event_id) IN (SELECT h FROM repeated_hashes)
), multi AS (
    SELECT event_id FROM candidates GROUP BY event_id HAVING count(*) > 1
), ranked AS (
    SELECT r.rowid AS rid, r.event_id,
        row_number() OVER (PARTITION BY r.event_id ORDER BY r.rowid) AS rank_in_id,
        row_number() OVER (PARTITION BY r.event_id, {", ".join("r." + f for f in TEXT_FIELDS[1:])}
                           ORDER BY r.rowid) AS rank_in_content
    FROM candidates c JOIN records r ON r.rowid = c.rid
    WHERE c.event_id IN (SELECT event_id FROM multi)
)
SELECT rid, event_id,
       CASE WHEN rank_in_content > 1 THEN '{Step.DUPLICATES}' ELSE '{Step.CONFLICTS}' END AS step
FROM ranked WHERE rank_in_id > 1
"""

# The latest ts among the records that pass steps 1 to 3 (SPEC §5, as_of by default).
LATEST_TS = """
SELECT max(r.ts) FROM records r ANTI JOIN repeats p ON p.rid = r.rowid WHERE r.reason IS NULL
"""

# Steps 4 to 8 for the records that passed steps 1 to 3, against the evaluation moment the store wrote.
CREATE_ACCOUNTED = f"""
CREATE VIEW accounted AS
SELECT r.rowid AS rid, r.* EXCLUDE (out_of_scope_digital),
    CASE
        WHEN r.reason IS NOT NULL THEN '{Step.REJECTED}'
        WHEN p.step IS NOT NULL THEN p.step
        WHEN s.step IS NOT NULL THEN s.step
        WHEN r.ts > (SELECT as_of FROM evaluation) THEN '{Step.AFTER_AS_OF}'
        WHEN r.out_of_scope_digital THEN '{Step.OUT_OF_SCOPE_DIGITAL}'
        ELSE '{Step.USED}'
    END AS step
FROM records r
LEFT JOIN repeats p ON p.rid = r.rowid
LEFT JOIN practitioner_steps s ON s.rid = r.rowid
"""

COUNT_STEPS = "SELECT step, count(*) FROM accounted GROUP BY step"


# The records that pass steps 1 to 3, each flagged with whether it also passes steps 4 to 7 (step 8); all in one
# group (`facts_sql`).
KEPT = """
CREATE VIEW kept AS
SELECT r.rowid AS rid, 0 AS grp, r.ts, r.practitioner, r.situation, r.workstation, r.software_version, r.type,
       r.category, r.digital, r.prescription_id, r.operation, r.outcome, r.http_status, r.os, r.os_version,
       r.card_reader, r.card_kind, r.network,
       s.rid IS NULL AND r.ts <= (SELECT as_of FROM evaluation) AND NOT r.out_of_scope_digital AS is_used
FROM records r ANTI JOIN repeats p ON p.rid = r.rowid
LEFT JOIN practitioner_steps s ON s.rid = r.rowid
WHERE r.reason IS NULL
"""

# Step 8: the records the assessment is computed from.
USED = "CREATE VIEW used AS SELECT * EXCLUDE (is_used) FROM kept WHERE is_used"

FILE_STARTS = "SELECT file_idx, min(rowid) FROM records GROUP BY file_idx"

REJECTIONS = """
SELECT r.file_idx, r.rowid, r.line, r.reason FROM records r
WHERE r.reason IS NOT NULL ORDER BY r.rowid
"""

CONFLICTS = f"""
WITH first AS (
    SELECT event_id, arg_min(file_idx, rowid) AS file_idx, min(rowid) AS rid, arg_min(line, rowid) AS line
    FROM records WHERE reason IS NULL AND event_id IN (SELECT event_id FROM repeats WHERE step = '{Step.CONFLICTS}')
    GROUP BY event_id
)
SELECT p.event_id, r.file_idx, p.rid, r.line, f.file_idx, f.rid, f.line
FROM repeats p JOIN records r ON r.rowid = p.rid
JOIN first f ON f.event_id = p.event_id
WHERE p.step = '{Step.CONFLICTS}' ORDER BY p.rid
"""

# The collector's batches (adapters/collector_batch.py), several read in one pass, one file each, each with its
# workstation's practitioner: `owners` maps file_idx to it. Three queries whose results stay small or numeric:
# nothing of an ordinary record becomes a Python object (fetching eight columns of each took a third of the
# collector's check). BATCH_FILES: each file's first rowid and records. batch_refused: in reading order, the records
# step 1 rejects and the valid ones of another practitioner (few). batch_keys: in reading order, the key of every
# other record with an event_id in the collector's duplicates index (decision 0004): the second of its ts, then 63
# bits of md5(event_id) and 63 of the md5 of its other fields as normalised (what step 2 compares:
# CREATE_REPEATS), as integers, so that the index compares numbers, not text. 63 bits of a digest: its first 16 hex
# digits shifted right once (the engine reads those faster than md5_number_upper's bytes).
BATCH_FILES = "SELECT file_idx, min(rowid), count(*) FROM records GROUP BY file_idx ORDER BY file_idx"

# A record's content as the index digests it: its fields but the event_id, as a JSON array of texts (the ts in
# microseconds since 1970): one text for one content, and 40 % of the cost of the object below, whose timestamp the
# engine formats. LEGACY_CONTENT is what the index digested before migration 0006: it is still computed for a pilot
# whose index holds rows of then (decision 0004).
CONTENT = "to_json([" + ", ".join("epoch_us(ts)::VARCHAR" if f == "ts" else f"{f}::VARCHAR" for f in TEXT_FIELDS[1:]) \
    + "])"
LEGACY_CONTENT = f"to_json(struct_pack({', '.join(TEXT_FIELDS[1:])}))"


def _owner(owners: dict[int, str]) -> str:
    return "CASE file_idx " + " ".join(f"WHEN {n} THEN {literal(p)}" for n, p in owners.items()) + " END"


def digest63(expression: str) -> str:
    """63 bits of the md5 of a text: its first 16 hex digits, shifted right once (a BIGINT)."""
    return f"((('0x' || left(md5({expression}), 16))::UBIGINT >> 1)::BIGINT)"


def batch_refused(owners: dict[int, str]) -> str:
    return f"""
SELECT file_idx, rowid, line, reason, practitioner FROM records
WHERE reason IS NOT NULL OR practitioner IS DISTINCT FROM {_owner(owners)} ORDER BY rowid
"""


def batch_keys(owners: dict[int, str], legacy: frozenset[int] = frozenset()) -> str:
    """`legacy`: the files whose records' LEGACY_CONTENT digest is wanted too (column `legacy`)."""
    wanted = ", ".join(str(int(n)) for n in sorted(legacy))
    old = f"CASE WHEN file_idx IN ({wanted}) THEN {digest63(LEGACY_CONTENT)} END" if legacy else "NULL::BIGINT"
    return f"""
SELECT file_idx, epoch_us(ts) // 1000000 AS ts, {digest63("event_id")} AS event, {digest63(CONTENT)} AS content,
       {old} AS legacy
FROM records WHERE reason IS NULL AND practitioner = {_owner(owners)} AND event_id IS NOT NULL ORDER BY rowid
"""
