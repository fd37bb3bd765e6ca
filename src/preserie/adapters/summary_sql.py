"""The SQL of phase summaries (`trace_summary`, decision 0006): what is made once of a phase's records, apart from
the declaration and the evaluation moment, and how a bilan reads it back. Plain SQL over the trace store's tables
(`trace_sql`) and the facts' queries (`facts_sql`), which a summary runs per group.

A group is one practitioner in one situation, among the records that pass steps 1 to 3. A declaration equips each
practitioner in one situation: the records a bilan uses (step 8) at a moment no earlier than the latest record
are then exactly the kept records of the equipped groups that are not digital prescriptions out of scope. Every
count and fact is therefore kept per group, and a bilan sums those of its equipped groups.
"""

from __future__ import annotations

from preserie.adapters.trace_sql import CALL, OK, PRESCRIPTION
from preserie.domain.accounting import Step

GROUPS = """
CREATE TABLE phase_groups AS
SELECT (row_number() OVER (ORDER BY practitioner, situation))::INTEGER AS grp, practitioner, situation
FROM (SELECT DISTINCT practitioner, situation FROM records WHERE reason IS NULL)
"""

# The records that pass steps 1 to 3, by group; in use (step 8) whenever their group is equipped, unless they are
# digital prescriptions out of scope (step 7).
KEPT_BY_GROUP = """
CREATE VIEW kept AS
SELECT r.rowid AS rid, g.grp, r.ts, r.practitioner, r.situation, r.workstation, r.software_version, r.type,
       r.category, r.digital, r.prescription_id, r.operation, r.outcome, r.http_status, r.os, r.os_version,
       r.card_reader, r.card_kind, r.network, NOT r.out_of_scope_digital AS is_used
FROM records r ANTI JOIN repeats p ON p.rid = r.rowid
JOIN phase_groups g ON g.practitioner = r.practitioner AND g.situation IS NOT DISTINCT FROM r.situation
WHERE r.reason IS NULL
"""

# Each group with its kept records and, of those, the digital prescriptions out of scope.
GROUP_COUNTS = """
SELECT g.grp, g.practitioner, g.situation, count(k.rid) AS kept, count(k.rid) FILTER (WHERE NOT k.is_used)
       AS out_of_scope
FROM phase_groups g LEFT JOIN kept k ON k.grp = g.grp GROUP BY ALL ORDER BY g.grp
"""

REPEAT_COUNTS = "SELECT step, count(*) FROM repeats GROUP BY step"
REJECTED_COUNT = "SELECT count(*) FROM records WHERE reason IS NOT NULL"

# A set of groups: the bits of an unsigned 64-bit integer while the groups are at most 63 (the bits or-ed together
# at a third of the cost of gathering lists, 1 M records), else a sorted list.
MASK_GROUPS = 63


def group_set(grp: str, *, mask: bool) -> str:
    return f"bit_or(1::UBIGINT << ({grp})::UBIGINT)" if mask else f"list_sort(list_distinct(list({grp})))"


def funnel_by_groups(*, mask: bool) -> str:
    """C2 with the registry's extract (facts_sql.REGISTRATION_FUNNEL) per kind of id: the set of groups whose
    records in use would make the id created, and what the extract says of it. A bilan counts an id as created
    when one of those groups is equipped."""
    return f"""
WITH ids AS (
    SELECT prescription_id, CASE WHEN is_used THEN grp END AS grp, true AS kept, false AS registered,
           false AS rejected FROM kept
    WHERE type = {PRESCRIPTION} AND digital
    UNION ALL
    SELECT prescription_id, NULL, false, status = 'registered', status = 'rejected' FROM registrations
), merged AS (
    SELECT {group_set("grp", mask=mask)} AS groups, bool_or(kept) AS kept, bool_or(registered) AS registered,
           bool_or(rejected) AS rejected, bool_or(NOT kept) AS listed
    FROM ids GROUP BY prescription_id
)
SELECT groups, kept, registered, rejected, listed, count(*) AS n FROM merged GROUP BY ALL
"""


def registered_from_traces_by_groups(*, mask: bool) -> str:
    """C2 without the extract (facts_sql.REGISTERED_FROM_TRACES) per kind of id: the groups of its e-prescriptions
    in use and those of its successful create calls in use."""
    none = "0::UBIGINT" if mask else "[]::INTEGER[]"
    return f"""
WITH created AS (
    SELECT prescription_id, {group_set("grp", mask=mask)} AS groups FROM used
    WHERE type = {PRESCRIPTION} AND digital GROUP BY prescription_id
), calls AS (
    SELECT prescription_id, {group_set("grp", mask=mask)} AS call_groups FROM used
    WHERE type = {CALL} AND operation = 'create' AND outcome = {OK} GROUP BY prescription_id
)
SELECT c.groups, coalesce(k.call_groups, {none}) AS call_groups, count(*) AS n
FROM created c LEFT JOIN calls k ON k.prescription_id = c.prescription_id GROUP BY ALL
"""


# -- reading a summary back (its tables attached as `summary`, the declaration in `users`) -------------------------

USERS = "CREATE TEMP TABLE users (practitioner VARCHAR, situation VARCHAR)"
EQUIPPED = """
CREATE TEMP TABLE equipped AS
SELECT g.grp FROM summary.phase_groups g JOIN users u ON u.practitioner = g.practitioner AND u.situation = g.situation
"""
IN_EQUIPPED = "grp IN (SELECT grp FROM equipped)"

# Steps 4, 5, 7 and 8 of the kept records (trace_sql.practitioner_steps, CREATE_ACCOUNTED): none after as_of.
STEPS = f"""
SELECT coalesce(sum(g.kept) FILTER (WHERE u.situation IS NULL), 0)::BIGINT AS "{Step.UNKNOWN_PRACTITIONERS}",
       coalesce(sum(g.kept) FILTER (WHERE u.situation IS DISTINCT FROM g.situation AND u.situation IS NOT NULL), 0)
           ::BIGINT AS "{Step.OTHER_SITUATION}",
       coalesce(sum(g.out_of_scope) FILTER (WHERE u.situation = g.situation), 0)::BIGINT
           AS "{Step.OUT_OF_SCOPE_DIGITAL}",
       coalesce(sum(g.kept - g.out_of_scope) FILTER (WHERE u.situation = g.situation), 0)::BIGINT AS "{Step.USED}"
FROM summary.phase_groups g LEFT JOIN users u ON u.practitioner = g.practitioner
"""

def _meets(groups: str, *, mask: bool) -> str:
    """Whether the set of groups `groups` holds an equipped one."""
    if mask:
        return f"({groups} & (SELECT coalesce(bit_or(1::UBIGINT << grp::UBIGINT), 0::UBIGINT) FROM equipped)) <> 0"
    return f"list_has_any({groups}, (SELECT coalesce(list(grp), []::INTEGER[]) FROM equipped))"


def funnel(*, mask: bool) -> str:
    return f"""
SELECT coalesce(sum(n) FILTER (WHERE created), 0)::BIGINT,
       coalesce(sum(n) FILTER (WHERE created AND registered), 0)::BIGINT,
       coalesce(sum(n) FILTER (WHERE created AND rejected AND NOT registered), 0)::BIGINT,
       coalesce(sum(n) FILTER (WHERE created AND NOT listed), 0)::BIGINT,
       coalesce(sum(n) FILTER (WHERE NOT kept), 0)::BIGINT
FROM (SELECT *, {_meets("groups", mask=mask)} AS created FROM summary.funnel)
"""


def registered_from_traces(*, mask: bool) -> str:
    return f"""
SELECT coalesce(sum(n) FILTER (WHERE created), 0)::BIGINT,
       coalesce(sum(n) FILTER (WHERE created AND {_meets("call_groups", mask=mask)}), 0)::BIGINT
FROM (SELECT *, {_meets("groups", mask=mask)} AS created FROM summary.funnel)
"""
