"""Baseline for `assess_scale.py`: the C1, C2 and C3 counts of a pilot folder in hand-written DuckDB SQL.

What a data engineer would write in an afternoon: typed `read_json` over traces/*.jsonl, one validation
filter, de-duplication by event_id keeping the first record, then the counts. It prints one JSON object.

Simplifications against SPEC §5 (they do not matter on the simulator's clean data):
- types are enforced by the reader: a `ts` without offset is read as UTC instead of rejected, a string
  "true" or "404" is cast instead of rejected, and lines the reader cannot parse are skipped
  (`ignore_errors`) instead of counted as rejected;
- duplicates and conflicts are not told apart (the first record of an event_id is kept either way);
- only the counts of C1, C2 and C3 are computed (no rejection details, no C4, C5 or dossier).

Usage: python benchmarks/baseline_duckdb.py PILOT_FOLDER
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import yaml

from baseline_as_of import default_as_of

IN_SCOPE = ("medicines", "medical_devices", "biology", "nursing", "physiotherapy", "speech_therapy",
            "orthoptics", "podiatry")
OUT_OF_SCOPE = ("imaging", "transport")
COLUMNS = ("{event_id: 'VARCHAR', ts: 'TIMESTAMPTZ', practitioner: 'VARCHAR', situation: 'VARCHAR', "
           "workstation: 'VARCHAR', software_version: 'VARCHAR', type: 'VARCHAR', category: 'VARCHAR', "
           "digital: 'BOOLEAN', prescription_id: 'VARCHAR', operation: 'VARCHAR', outcome: 'VARCHAR', "
           "http_status: 'INTEGER', error_code: 'VARCHAR', duration_ms: 'DOUBLE'}")
ERROR_CLASSES = """CASE
    WHEN http_status IN (401, 403) THEN 'authentication'
    WHEN http_status = 404 THEN 'not_found'
    WHEN http_status IS NULL OR http_status = 408 THEN 'network'
    WHEN http_status = 429 OR http_status BETWEEN 500 AND 599 THEN 'teleservice'
    WHEN http_status BETWEEN 400 AND 499 THEN 'software'
END"""


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _present(*names: str) -> str:
    return " AND ".join(f"coalesce({n}, '') <> ''" for n in names)


PREPARE = f"""
CREATE TEMP VIEW raw AS
SELECT * FROM read_json(getvariable('files'), format = 'newline_delimited', columns = {COLUMNS},
                        filename = true, ignore_errors = true) WITH ORDINALITY;

CREATE TEMP VIEW valid AS
SELECT * FROM raw
WHERE {_present("event_id", "practitioner", "situation", "workstation", "software_version", "type")}
  AND ts IS NOT NULL AND length(event_id) <= 128
  AND type IN ('prescription', 'call', 'workstation')
  AND (type <> 'prescription' OR (category IN ({_list(IN_SCOPE + OUT_OF_SCOPE)}) AND digital IS NOT NULL
                                  AND (NOT digital OR {_present("prescription_id")})))
  AND (type <> 'call' OR (operation IN ('create', 'consult', 'search') AND outcome IN ('ok', 'error')))
  AND (http_status IS NULL OR http_status BETWEEN 100 AND 599)
  AND NOT coalesce(type = 'call' AND outcome = 'error' AND http_status < 400, false)
  AND NOT coalesce(type = 'call' AND outcome = 'ok' AND http_status >= 400, false);

CREATE TEMP TABLE kept AS
SELECT * FROM valid QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY filename, ordinality) = 1;

SET VARIABLE as_of = (SELECT max(ts) FROM kept);

CREATE TEMP TABLE used AS
SELECT k.* FROM kept k JOIN users u ON u.id = k.practitioner AND u.situation = k.situation
WHERE k.ts <= getvariable('as_of')
  AND NOT (k.type = 'prescription' AND k.digital AND k.category IN ({_list(OUT_OF_SCOPE)}));
"""

USAGE = f"""
WITH windows AS (
    SELECT practitioner, min(ts) AS window_start FROM used WHERE type = 'prescription' AND digital
    GROUP BY practitioner
)
SELECT w.practitioner, strftime(w.window_start, '%Y-%m-%dT%H:%M:%S.%f+00:00'),
       count(*) FILTER (WHERE p.digital), count(*) FILTER (WHERE p.category IN ({_list(IN_SCOPE)}))
FROM windows w JOIN used p ON p.practitioner = w.practitioner AND p.type = 'prescription'
                           AND p.ts >= w.window_start
GROUP BY ALL ORDER BY 1
"""

REGISTRATION = """
WITH created AS (SELECT DISTINCT prescription_id FROM used WHERE type = 'prescription' AND digital),
     registry AS (SELECT * FROM read_csv(getvariable('registrations'), header = true, all_varchar = true)),
     kept_digital AS (SELECT DISTINCT prescription_id FROM kept WHERE type = 'prescription' AND digital)
SELECT (SELECT count(*) FROM created),
       (SELECT count(*) FROM created WHERE prescription_id IN
            (SELECT prescription_id FROM registry WHERE status = 'registered')),
       (SELECT count(DISTINCT prescription_id) FROM registry
        WHERE prescription_id NOT IN (SELECT prescription_id FROM kept_digital))
"""

OPERATIONS = f"""
WITH calls AS (
    SELECT operation, outcome, CASE WHEN outcome = 'error' THEN {ERROR_CLASSES} END AS error_class
    FROM used WHERE type = 'call'
)
SELECT operation, count(*), count(*) FILTER (WHERE outcome = 'ok'),
       count(*) FILTER (WHERE error_class = 'authentication'),
       count(*) FILTER (WHERE error_class = 'not_found'),
       count(*) FILTER (WHERE error_class = 'network'), count(*) FILTER (WHERE error_class = 'teleservice'),
       count(*) FILTER (WHERE error_class = 'software')
FROM calls GROUP BY operation ORDER BY operation
"""
CLASSES = ("calls", "ok", "authentication", "not_found", "network", "teleservice", "software")


def counts(folder: Path) -> dict[str, object]:
    declared = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    users = [(p["id"], p["situation"]) for p in declared["practitioners"] if p.get("equipped")]
    files = sorted(str(p) for p in (folder / "traces").glob("*.jsonl"))
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE TEMP TABLE users (id VARCHAR, situation VARCHAR)")
    con.executemany("INSERT INTO users VALUES (?, ?)", users)
    con.execute("SET VARIABLE files = ?::VARCHAR[]", [files])
    con.execute("SET VARIABLE registrations = ?", [str(folder / "registrations.csv")])
    con.execute(PREPARE)
    row = con.execute("SELECT getvariable('as_of'), (SELECT count(*) FROM used)").fetchone()
    as_of, used = row or (None, 0)
    as_of = default_as_of(folder, as_of)
    usage = {pid: {"window_start": start, "digital": digital, "total": total}
             for pid, start, digital, total in con.execute(USAGE).fetchall()}
    created, registered, orphans = con.execute(REGISTRATION).fetchone() or (0, 0, 0)
    operations = {op[0]: dict(zip(CLASSES, op[1:], strict=True)) for op in con.execute(OPERATIONS).fetchall()}
    return {"engine": "duckdb-sql", "as_of": as_of.isoformat() if as_of else None, "used": used,
            "usage": usage, "operations": operations,
            "registration": {"created": created, "registered": registered, "orphans": orphans}}


if __name__ == "__main__":
    print(json.dumps(counts(Path(sys.argv[1])), indent=1))
