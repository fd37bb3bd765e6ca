"""The trace contract is written once, in the domain: the engine's SQL and the messages are made from it."""

from __future__ import annotations

import re
from pathlib import Path

from preserie.adapters import trace_sql as sql
from preserie.adapters.trace_files import careful_csv_rows
from preserie.domain.accounting import STEP_NAMES, Step
from preserie.domain.trace_contract import COMMON_FIELDS, FIELDS, REJECTION_REASONS, Rejection

PARSE_ERRORS = {Rejection.UNREADABLE, Rejection.NOT_OBJECT, Rejection.CSV_ROW}  # set by the readers, not by SQL


def _step1_sql() -> str:
    return sql.validate_select("SELECT 1", ["medicines"], ["create", "consult", "search"])


def test_every_rejection_reason_has_its_field_and_french_message() -> None:
    assert set(REJECTION_REASONS) == set(Rejection)
    for reason, (field, message) in REJECTION_REASONS.items():
        assert field == "" or field in FIELDS, reason
        assert message and message[0].islower(), reason


def test_step_one_produces_exactly_the_contracts_reasons() -> None:
    produced = set(re.findall(r"(?:THEN|ELSE) '([a-z_0-9]+)'", _step1_sql()))
    assert produced == {r.value for r in Rejection} - {r.value for r in PARSE_ERRORS}


def test_the_engine_stores_the_contracts_fields_in_order() -> None:
    columns = re.search(r"CREATE TABLE records \((.*?)\);", sql.CREATE_TABLES, re.S)
    assert columns is not None
    names = [c.split()[0] for c in columns.group(1).split(",")]
    assert [n for n in names if n in FIELDS] == list(FIELDS)
    assert sql.TEXT_FIELDS == FIELDS and set(COMMON_FIELDS) <= set(FIELDS)


def test_the_accounting_sql_names_only_the_eight_steps() -> None:
    statements = sql.CREATE_ACCOUNTED + sql.CREATE_REPEATS + sql.practitioner_steps({"331012344": "liberal"})
    named = set(re.findall(r"'([a-z_]+)'", statements)) - {"liberal"}
    assert named <= set(STEP_NAMES) and {s.value for s in Step} == set(STEP_NAMES)


def test_a_csv_row_of_the_wrong_width_is_rejected_with_the_contracts_code(tmp_path: Path) -> None:
    from preserie.domain.inputs import TraceFile

    path = tmp_path / "t.csv"
    path.write_text("event_id,ts\ne1\n")
    (row,) = careful_csv_rows(TraceFile(path, "traces/t.csv", "csv", False), 0)
    assert row["parse_error"] == Rejection.CSV_ROW
