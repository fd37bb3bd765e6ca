"""Step 1 (SPEC §5) gives each record the first rule it breaks, in SPEC order. `validate_select` tests each type's
rules only on the records of that type; here it must agree, record for record, with the rules written one WHEN
per rule in SPEC order (the form it had before), on records made of the values at the rules' edges."""

from __future__ import annotations

import itertools
import random

import duckdb
import pyarrow as pa

from preserie.adapters import trace_sql as sql

CATEGORIES, OPERATIONS = ["medicines", "biology", "imaging"], ["create", "consult", "search"]
EDGES: dict[str, list[str | None]] = {
    "parse_error": [None, None, None, None, "not_json"],
    "event_id": [None, "", " ", "e1", "e2", "x" * 129],
    "ts": [None, "", "2025-01-13T08:00:00+01:00", "2025-01-13T08:00:00Z", "2025-01-13T08:00", "2025-01-13 08:00",
           "2025-13-45T99:00:00Z", "yesterday"],
    "practitioner": [None, "\t", "331012344"], "situation": [None, "", "liberal"],
    "workstation": [None, " ", "P1"], "software_version": [None, "", "5.2.0"],
    "type": [None, "", " ", "prescription", "call", "workstation", "other"],
    "category": [None, "", " ", "medicines", "imaging", "dentistry"],
    "digital": [None, "true", "false", '"true"', "1"],
    "prescription_id": [None, "", " ", "RX1"],
    "operation": [None, "", "create", "delete"],
    "outcome": [None, " ", "ok", "error", "maybe"],
    "http_status": [None, "200", "399", "400", "404", "503", "99", "600", "404.0", '"500"', "-5", "1234567890", "abc"],
}
# The rules one WHEN each, in SPEC order, as validate_select wrote them before they were grouped by type.
REFERENCE = f"""
SELECT n, CASE
    WHEN parse_error IS NOT NULL THEN parse_error
    {" ".join(f"WHEN {sql._missing(f)} THEN 'missing_{f}'" for f in sql.COMMON_FIELDS)}
    WHEN length(event_id) > 128 THEN 'event_id_too_long'
    WHEN NOT regexp_full_match(ts, '{sql.ISO_WITH_OFFSET}') OR try_cast(ts AS TIMESTAMPTZ) IS NULL
        THEN CASE WHEN regexp_full_match(ts, '{sql.ISO_WITHOUT_OFFSET}') THEN 'ts_no_offset' ELSE 'ts_not_iso' END
    WHEN type NOT IN ('prescription', 'call', 'workstation') THEN 'unknown_type'
    WHEN type = 'prescription' AND {sql._missing("category")} THEN 'missing_category'
    WHEN type = 'prescription' AND category NOT IN ('medicines', 'biology', 'imaging') THEN 'unknown_category'
    WHEN type = 'prescription' AND digital IS NULL THEN 'missing_digital'
    WHEN type = 'prescription' AND digital NOT IN ('true', 'false') THEN 'digital_not_boolean'
    WHEN type = 'prescription' AND digital = 'true' AND {sql._missing("prescription_id")}
        THEN 'missing_prescription_id'
    WHEN type = 'call' AND {sql._missing("operation")} THEN 'missing_operation'
    WHEN type = 'call' AND operation NOT IN ('create', 'consult', 'search') THEN 'unknown_operation'
    WHEN type = 'call' AND {sql._missing("outcome")} THEN 'missing_outcome'
    WHEN type = 'call' AND outcome NOT IN ('ok', 'error') THEN 'unknown_outcome'
    WHEN http_status IS NOT NULL AND NOT regexp_full_match(http_status, '^-?[0-9]{{1,9}}$')
        THEN 'http_status_not_integer'
    WHEN http_status IS NOT NULL AND http_status::INTEGER NOT BETWEEN 100 AND 599 THEN 'http_status_out_of_range'
    WHEN type = 'call' AND outcome = 'error' AND http_status::INTEGER < 400 THEN 'error_below_400'
    WHEN type = 'call' AND outcome = 'ok' AND http_status::INTEGER >= 400 THEN 'ok_at_400'
END FROM staged ORDER BY n
"""


VALID = {"parse_error": None, "event_id": "e1", "ts": "2025-01-13T08:00:00Z", "practitioner": "331012344",
         "situation": "liberal", "workstation": "P1", "software_version": "5.2.0"}


def _reasons(rows: list[dict[str, str | None]]) -> list[tuple[int, str | None]]:
    """Each row's reason by validate_select, after checking it is the reference's."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    fields = ["parse_error", *sql.TEXT_FIELDS]
    staged = pa.table({"n": list(range(len(rows))), "file_idx": [0] * len(rows), "line": list(range(len(rows))),
                       **{f: pa.array([row.get(f) for row in rows], pa.string()) for f in fields}})
    con.register("staged", staged)
    select = sql.validate_select("SELECT * FROM staged", CATEGORIES, OPERATIONS)
    found: list[tuple[int, str | None]] = con.execute(f"SELECT line, reason FROM ({select}) ORDER BY line").fetchall()
    assert found == con.execute(REFERENCE).fetchall()
    return found


def test_random_records_at_the_edges_get_the_reason_of_the_rules_in_order() -> None:
    rnd = random.Random(4)
    # mostly valid common fields, so that the records reach the later rules too
    rows = [{field: VALID[field] if field in VALID and rnd.random() < 0.8 else rnd.choice(values)
             for field, values in EDGES.items()} for _ in range(30_000)]
    reached = {reason for _, reason in _reasons(rows)}
    assert len(reached) == 26  # every rule and no rule broken


def test_each_type_with_every_value_of_its_own_fields() -> None:
    own = {"prescription": ("category", "digital", "prescription_id", "http_status"),
           "call": ("operation", "outcome", "http_status", "prescription_id"),
           "workstation": ("http_status", "category", "outcome"), "other": ("http_status",)}
    rows = [VALID | {"type": kind} | dict(zip(fields, values, strict=True))
            for kind, fields in own.items()
            for values in itertools.product(*(EDGES[f] for f in fields))]
    assert len({reason for _, reason in _reasons(rows)}) == 15  # the 14 rules of the types, and none broken
