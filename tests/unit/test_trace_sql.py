"""The SQL built from a trace file's own header cannot be turned against the store."""

from __future__ import annotations

from pathlib import Path

import duckdb

from preserie.adapters import trace_sql as sql


def test_a_csv_header_cannot_inject_sql(tmp_path: Path) -> None:
    evil = "x': 'VARCHAR'})); DROP TABLE records; --"
    path = tmp_path / "traces.csv"
    path.write_text(f'event_id,"{evil}"\ne1,2\n')
    con = duckdb.connect()
    con.execute("CREATE TABLE records (a INTEGER)")
    source = sql.csv_fast_source([(0, "'" + str(path) + "'")], ["event_id", evil])
    assert con.execute(f"SELECT count(*), min(event_id) FROM ({source})").fetchall() == [(1, "e1")]
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'records'").fetchone() == (1,)
