"""The SQL of the facts the criteria are judged on (C1 to C4, SPEC §6), over the views `used` (step 8) and `kept`
(steps 1 to 3 passed) that `trace_sql` defines, and the `registrations` extract. Plain SQL, like `trace_sql`
(see docs/decisions/0001-trace-engine.md): only the C4 as-of join is the engine's own.
"""

from __future__ import annotations

from preserie.adapters.trace_sql import CALL, ERROR, OK, PRESCRIPTION, WORKSTATION  # the contract's values


# C1: each user's window opens at their first digital prescription (seed: « à compter de la date
# d'envoi des premières ordonnances numériques par le médecin ») and closes at as_of.
def _counted(in_scope: list[str], count_out_of_scope: bool) -> str:
    """The prescriptions that count in C1's total (SPEC §6: in scope, unless the policy counts all)."""
    return "true" if count_out_of_scope else "u.category IN (" + ", ".join(f"'{c}'" for c in in_scope) + ")"


def prescription_weeks_select(in_scope: list[str], count_out_of_scope: bool) -> str:
    """C1 and its adoption curve in one pass over the prescriptions: per user, week (Monday, Paris time) and
    side of the user's window, the e-prescriptions and the prescriptions counted (`_counted`). The window
    side is null for a user who never e-prescribed; their window_start is null too.

    The records are first counted per UTC hour (`bucket`): since 1911 Paris has been a whole number of hours
    from UTC, so every instant of an hour falls in the same Paris week, and the costly time zone conversion is
    done once per hour instead of once per record (0.15 s of the query's 0.24 s for 1M records). Instants
    before 1970 (a negative epoch, which integer division would round towards zero) keep a bucket of their own."""
    return f"""
WITH windows AS (
    SELECT practitioner, min(ts) AS window_start FROM used
    WHERE type = {PRESCRIPTION} AND digital GROUP BY practitioner
), hours AS (
    SELECT u.practitioner, w.window_start, u.ts >= w.window_start AS in_window,
           CASE WHEN u.ts >= TIMESTAMPTZ '1970-01-01 00:00:00+00' THEN epoch_us(u.ts) // 3600000000
                ELSE epoch_us(u.ts) END AS bucket,
           min(u.ts) AS first_ts,
           count(*) FILTER (WHERE u.digital) AS digital,
           count(*) FILTER (WHERE {_counted(in_scope, count_out_of_scope)}) AS total
    FROM used u LEFT JOIN windows w ON w.practitioner = u.practitioner
    WHERE u.type = {PRESCRIPTION}
    GROUP BY ALL
)
SELECT practitioner, strftime(date_trunc('week', timezone('Europe/Paris', first_ts)), '%Y-%m-%d') AS week,
       window_start, in_window, sum(digital)::BIGINT AS digital, sum(total)::BIGINT AS total
FROM hours GROUP BY ALL ORDER BY ALL
"""


# C2: the e-prescriptions created (distinct ids of the used digital prescriptions) and, of those, the ones
# the national registry holds; with the registry's ids that match no kept e-prescription at all (orphans).
# Both sides are grouped at once by id (one grouping of their union took 0.20 s for 1M records, where grouping
# each side and joining the two took 0.22 s).
REGISTRATION_FUNNEL = f"""
WITH ids AS (
    SELECT prescription_id, is_used AS created, true AS kept, false AS registered, false AS rejected FROM kept
    WHERE type = {PRESCRIPTION} AND digital
    UNION ALL
    SELECT prescription_id, false, false, status = 'registered', status = 'rejected' FROM registrations
), merged AS (
    SELECT bool_or(created) AS created, bool_or(kept) AS kept, bool_or(registered) AS registered,
           bool_or(rejected) AS rejected, bool_or(NOT kept) AS listed
    FROM ids GROUP BY prescription_id
)
SELECT count(*) FILTER (WHERE created) AS created,
       count(*) FILTER (WHERE created AND registered) AS registered,
       count(*) FILTER (WHERE created AND rejected AND NOT registered) AS rejected,
       count(*) FILTER (WHERE created AND NOT listed) AS unknown,
       count(*) FILTER (WHERE NOT kept) AS orphans
FROM merged
"""

# C2 without registrations.csv: an e-prescription is taken as registered when a create call for it succeeded.
REGISTERED_FROM_TRACES = f"""
WITH created AS (
    SELECT DISTINCT prescription_id FROM used WHERE type = {PRESCRIPTION} AND digital
)
SELECT count(*) AS created,
       count(*) FILTER (WHERE prescription_id IN (
           SELECT prescription_id FROM used WHERE type = {CALL} AND operation = 'create' AND outcome = {OK}
       )) AS registered
FROM created
"""


def operations_select(classes: dict[str, str]) -> str:
    """C3: calls, successes and errors by class, per user and operation (the store sums the users; they also
    tell who called at all). `classes` maps a class to its SQL test on `http_status`, built from the
    reference data (the first matching class wins)."""
    case = "CASE " + " ".join(f"WHEN {test} THEN '{name}'" for name, test in classes.items()) + " END"
    counts = ", ".join(f"count(*) FILTER (WHERE error_class = '{name}') AS {name}" for name in classes)
    return f"""
WITH calls AS (
    SELECT practitioner, operation, outcome, CASE WHEN outcome = {ERROR} THEN {case} END AS error_class
    FROM used WHERE type = {CALL}
)
SELECT practitioner, operation, count(*) AS calls, count(*) FILTER (WHERE outcome = {OK}) AS ok, {counts}
FROM calls GROUP BY practitioner, operation
"""


SNAPSHOT_FIELDS: tuple[str, ...] = ("os", "os_version", "card_reader", "card_kind", "network", "software_version")

# C4: the latest snapshot of each workstation up to as_of.
LATEST_SNAPSHOTS = f"""
CREATE TABLE snapshots AS
SELECT practitioner, workstation, ts, os, os_version, card_reader, card_kind, network, software_version
FROM used WHERE type = {WORKSTATION}
QUALIFY row_number() OVER (PARTITION BY practitioner, workstation ORDER BY ts DESC, rid DESC) = 1
"""

OBSERVED = " UNION ALL ".join(
    f"SELECT '{f}' AS field, {f} AS value, count(*) AS n FROM snapshots GROUP BY {f}" for f in SNAPSHOT_FIELDS
)

USERS_WITH_SNAPSHOT = "SELECT DISTINCT practitioner FROM snapshots"

# C4 suspects: each create call carries the configuration its workstation last reported before it.
# Workstations are numbered first (the as-of join then sorts integers, not two strings), calls are counted
# per snapshot (a narrow join), and only then are the few snapshots spread into their values.
CREATE_CALL_CONFIGURATIONS = f"""
WITH history AS (
    SELECT rid, practitioner, workstation, ts FROM used WHERE type = {WORKSTATION}
), stations AS (
    SELECT practitioner, workstation, row_number() OVER () AS station
    FROM (SELECT DISTINCT practitioner, workstation FROM history)
), snapshot_times AS (
    SELECT h.rid, s.station, h.ts FROM history h JOIN stations s USING (practitioner, workstation)
), calls AS (
    SELECT s.station, c.ts, c.software_version, c.outcome = {ERROR} AS failed
    FROM used c LEFT JOIN stations s USING (practitioner, workstation)
    WHERE c.type = {CALL} AND c.operation = 'create'
), per_snapshot AS (
    SELECT h.rid, c.software_version, count(*) AS calls, count(*) FILTER (WHERE c.failed) AS failures
    FROM calls c ASOF LEFT JOIN snapshot_times h ON c.station = h.station AND c.ts >= h.ts
    GROUP BY h.rid, c.software_version
), configured AS (
    SELECT p.calls, p.failures, p.software_version, s.os, s.os_version, s.card_reader, s.card_kind, s.network
    FROM per_snapshot p LEFT JOIN records s ON s.rowid = p.rid
)
SELECT field, value, sum(calls)::BIGINT AS calls, sum(failures)::BIGINT AS failures
FROM (UNPIVOT configured ON os, os_version, card_reader, card_kind, network, software_version
      INTO NAME field VALUE value)
GROUP BY field, value
"""
