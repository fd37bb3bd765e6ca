"""The SQL of the facts the criteria are judged on (C1 to C4, SPEC §6), over the views `used` (step 8) and `kept`
(steps 1 to 3 passed) that `trace_sql` defines, and the `registrations` extract. Plain SQL, like `trace_sql`
(see docs/decisions/0001-trace-engine.md): only the C4 as-of join is the engine's own.

Every fact is also kept apart by the records' group (`grp`): one group for an assessment (0), one per practitioner
and situation for a phase summary (`trace_summary`), where `used` is every kept record in scope and an assessment
later takes the groups its declaration equips (decision 0006). A practitioner's used records are all of one
situation, the declared one, so a practitioner's facts are those of their declared group.
"""

from __future__ import annotations

from preserie.adapters.trace_sql import CALL, ERROR, OK, PRESCRIPTION, WORKSTATION  # the contract's values


# C1: each user's window opens at their first digital prescription (seed: « à compter de la date
# d'envoi des premières ordonnances numériques par le médecin ») and closes at as_of.
def _counted(in_scope: list[str], count_out_of_scope: bool) -> str:
    """The prescriptions that count in C1's total (SPEC §6: in scope, unless the policy counts all)."""
    return "true" if count_out_of_scope else "u.category IN (" + ", ".join(f"'{c}'" for c in in_scope) + ")"


def prescription_weeks_select(in_scope: list[str]) -> str:
    """C1 and its adoption curve in one pass over the prescriptions: per group, user, week (Monday, Paris time) and
    side of the user's window, the e-prescriptions and the prescriptions counted (`_counted`), under either policy
    (in scope only, `total`, or all of them, `total_all`). The window side is null for a user who never
    e-prescribed; their window_start is null too.

    The records are first counted per UTC hour (`bucket`): since 1911 Paris has been a whole number of hours
    from UTC, so every instant of an hour falls in the same Paris week, and the costly time zone conversion is
    done once per hour instead of once per record (0.15 s of the query's 0.24 s for 1M records). Instants
    before 1970 (a negative epoch, which integer division would round towards zero) keep a bucket of their own."""
    return f"""
WITH windows AS (
    SELECT grp, practitioner, min(ts) AS window_start FROM used
    WHERE type = {PRESCRIPTION} AND digital GROUP BY grp, practitioner
), hours AS (
    SELECT u.grp, u.practitioner, w.window_start, u.ts >= w.window_start AS in_window,
           CASE WHEN u.ts >= TIMESTAMPTZ '1970-01-01 00:00:00+00' THEN epoch_us(u.ts) // 3600000000
                ELSE epoch_us(u.ts) END AS bucket,
           min(u.ts) AS first_ts,
           count(*) FILTER (WHERE u.digital) AS digital,
           count(*) FILTER (WHERE {_counted(in_scope, False)}) AS total,
           count(*) FILTER (WHERE {_counted(in_scope, True)}) AS total_all
    FROM used u LEFT JOIN windows w ON w.grp = u.grp AND w.practitioner = u.practitioner
    WHERE u.type = {PRESCRIPTION}
    GROUP BY ALL
)
SELECT grp, practitioner, strftime(date_trunc('week', timezone('Europe/Paris', first_ts)), '%Y-%m-%d') AS week,
       window_start, in_window, sum(digital)::BIGINT AS digital, sum(total)::BIGINT AS total,
       sum(total_all)::BIGINT AS total_all
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
    SELECT grp, practitioner, operation, outcome, CASE WHEN outcome = {ERROR} THEN {case} END AS error_class
    FROM used WHERE type = {CALL}
)
SELECT grp, practitioner, operation, count(*) AS calls, count(*) FILTER (WHERE outcome = {OK}) AS ok, {counts}
FROM calls GROUP BY grp, practitioner, operation
"""


SNAPSHOT_FIELDS: tuple[str, ...] = ("os", "os_version", "card_reader", "card_kind", "network", "software_version")

# C4: the latest snapshot of each workstation up to as_of.
LATEST_SNAPSHOTS = f"""
CREATE TABLE snapshots AS
SELECT grp, practitioner, workstation, ts, os, os_version, card_reader, card_kind, network, software_version
FROM used WHERE type = {WORKSTATION}
QUALIFY row_number() OVER (PARTITION BY grp, practitioner, workstation ORDER BY ts DESC, rid DESC) = 1
"""

OBSERVED = " UNION ALL ".join(
    f"SELECT grp, '{f}' AS field, {f} AS value, count(*) AS n FROM snapshots GROUP BY grp, {f}"
    for f in SNAPSHOT_FIELDS
)

USERS_WITH_SNAPSHOT = "SELECT DISTINCT grp, practitioner FROM snapshots"

# C4 suspects: each create call carries the configuration its workstation last reported before it.
# Workstations are numbered first (the as-of join then sorts integers, not two strings), calls are counted
# per snapshot (a narrow join), and only then are the few snapshots spread into their values.
CREATE_CALL_CONFIGURATIONS = f"""
WITH history AS (
    SELECT rid, grp, practitioner, workstation, ts, os, os_version, card_reader, card_kind, network
    FROM used WHERE type = {WORKSTATION}
), stations AS (
    SELECT grp, practitioner, workstation, row_number() OVER () AS station
    FROM (SELECT DISTINCT grp, practitioner, workstation FROM history)
), snapshot_times AS (
    SELECT h.rid, s.station, h.ts FROM history h JOIN stations s USING (grp, practitioner, workstation)
), calls AS (
    SELECT c.grp, s.station, c.ts, c.software_version, c.outcome = {ERROR} AS failed
    FROM used c LEFT JOIN stations s USING (grp, practitioner, workstation)
    WHERE c.type = {CALL} AND c.operation = 'create'
), per_snapshot AS (
    SELECT c.grp, h.rid, c.software_version, count(*) AS calls, count(*) FILTER (WHERE c.failed) AS failures
    FROM calls c ASOF LEFT JOIN snapshot_times h ON c.station = h.station AND c.ts >= h.ts
    GROUP BY c.grp, h.rid, c.software_version
), configured AS (
    SELECT p.grp, p.calls, p.failures, p.software_version, s.os, s.os_version, s.card_reader, s.card_kind,
           s.network
    FROM per_snapshot p LEFT JOIN history s ON s.rid = p.rid
)
SELECT grp, field, value, sum(calls)::BIGINT AS calls, sum(failures)::BIGINT AS failures
FROM (UNPIVOT configured ON os, os_version, card_reader, card_kind, network, software_version
      INTO NAME field VALUE value)
GROUP BY grp, field, value
"""


def chosen(kind: str, relation: str, groups: str, *, count_out_of_scope: bool = False) -> str:
    """The rows of one kind of fact (`relation`: the query above for that kind, in parentheses, or a table of its
    rows) over the groups for which `groups` (a condition on `grp`) holds, summed over them, as the trace store
    reads them: a practitioner's rows all come from one group."""
    if kind == "weeks":
        total = "total_all" if count_out_of_scope else "total"
        return (f"SELECT practitioner, week, window_start, in_window, digital, {total} AS total FROM {relation} "
                f"WHERE {groups} ORDER BY practitioner, week, window_start, in_window")
    if kind == "operations":
        return f"SELECT * EXCLUDE (grp) FROM {relation} WHERE {groups}"
    if kind == "observed":
        return f"SELECT field, value, sum(n)::BIGINT FROM {relation} WHERE {groups} GROUP BY field, value"
    if kind == "with_snapshot":
        return f"SELECT DISTINCT practitioner FROM {relation} WHERE {groups}"
    if kind == "configurations":
        return (f"SELECT field, value, sum(calls)::BIGINT, sum(failures)::BIGINT FROM {relation} WHERE {groups} "
                "GROUP BY field, value")
    raise ValueError(f"no such kind of fact: {kind}")
