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

# A summary made from an earlier one (`trace_summary._extend`): the earlier groups keep their numbers, the new
# ones (a practitioner or situation first seen among the records read) are numbered after them.
GROUPS_AFTER_EARLIER = """
CREATE TABLE phase_groups AS
SELECT grp, practitioner, situation FROM earlier.phase_groups
UNION ALL
SELECT ((SELECT coalesce(max(grp), 0) FROM earlier.phase_groups)
        + row_number() OVER (ORDER BY practitioner, situation))::INTEGER, practitioner, situation
FROM (SELECT DISTINCT practitioner, situation FROM records WHERE reason IS NULL
      EXCEPT SELECT practitioner, situation FROM earlier.phase_groups)
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

# A set of groups: the bits of an unsigned 64-bit integer while the groups are at most 63, else a sorted list. (At
# 10 M records, 8 groups, the machine as loaded: a summary made in full in 13.2 s as bits, 14.2 s as lists; from
# the earlier one in 3.95 s and 4.19 s. 128-bit integers were tried for 64 to 127 groups: 13.7 s and 4.14 s.)
MASK_GROUPS = 63


def _group_set_where(condition: str, *, mask: bool) -> str:
    """The set of groups of the rows for which ``condition`` holds (none: NULL as bits, [] as a list)."""
    if mask:
        return f"bit_or(1::UBIGINT << grp::UBIGINT) FILTER (WHERE {condition})"
    return f"coalesce(list_sort(list_distinct(list(grp) FILTER (WHERE {condition}))), []::INTEGER[])"


def union_of_sets(column: str, *, mask: bool) -> str:
    """The union of the sets of groups in ``column``, as an aggregate."""
    if mask:
        return f"bit_or({column})"
    return f"coalesce(list_sort(list_distinct(flatten(list({column}) FILTER (WHERE {column} IS NOT NULL)))), " \
           "[]::INTEGER[])"


_PRESCRIBED = f"type = {PRESCRIPTION} AND digital"
_CREATED_OK = f"type = {CALL} AND operation = 'create' AND outcome = {OK}"


def trace_ids(source: str, *, mask: bool) -> str:
    """Per prescription id of the records in ``source`` (kept records with their group and `is_used`): the groups
    of its e-prescriptions in use, whether a kept e-prescription has it, and the groups of its successful create
    calls in use. All C2 needs of the records (the funnels below): kept in the summary with the extract's side
    (`ids_with_extract`), so that a summary made from an earlier one merges the new records' ids into it
    (`merged_ids`). A call without an id is left out: it matches no e-prescription (step 1 rejects an
    e-prescription without one)."""
    return f"""
SELECT prescription_id, {_group_set_where(f"is_used AND {_PRESCRIBED}", mask=mask)} AS groups,
       bool_or({_PRESCRIBED}) AS prescribed, {_group_set_where(f"is_used AND {_CREATED_OK}", mask=mask)} AS call_groups
FROM {source} WHERE prescription_id IS NOT NULL AND (({_PRESCRIBED}) OR (is_used AND {_CREATED_OK}))
GROUP BY prescription_id
"""


def ids_with_extract(trace: str) -> str:
    """The ids of the records (``trace``, `trace_ids` rows) joined with the registry's extract, per id: also whether
    the extract lists it, as registered, as rejected (empty without an extract), and whether the records name it
    (`traced`: the records' side, joined again with another extract). Every id of either side is there, so an id a
    new record names that is not there is not in the extract."""
    return f"""
SELECT coalesce(t.prescription_id, e.prescription_id) AS prescription_id, t.groups,
       coalesce(t.prescribed, false) AS prescribed, t.call_groups, coalesce(e.registered, false) AS registered,
       coalesce(e.rejected, false) AS rejected, e.prescription_id IS NOT NULL AS listed,
       t.prescription_id IS NOT NULL AS traced
FROM {trace} t FULL OUTER JOIN (
    SELECT prescription_id, bool_or(status = 'registered') AS registered, bool_or(status = 'rejected') AS rejected
    FROM registrations GROUP BY prescription_id) e ON e.prescription_id = t.prescription_id
"""


def merged_ids(earlier: str, new: str, *, mask: bool) -> str:
    """An earlier summary's ids (``earlier``, `ids_with_extract` rows) with the new records' (``new``, `trace_ids`
    rows): the ids the new records name merged, the others as they were; an id new to the phase is in no extract
    (the extract has not changed, and its ids are all in ``earlier``). Kept records stay kept and in use as more
    records come (steps 2 and 3 keep a record's first occurrence; step 7 is the record's own), so a union is
    exact."""
    return f"""
SELECT * FROM {earlier} WHERE prescription_id NOT IN (SELECT prescription_id FROM {new})
UNION ALL BY NAME
SELECT prescription_id, {union_of_sets("groups", mask=mask)} AS groups, bool_or(prescribed) AS prescribed,
       {union_of_sets("call_groups", mask=mask)} AS call_groups, bool_or(registered) AS registered,
       bool_or(rejected) AS rejected, bool_or(listed) AS listed, true AS traced
FROM (SELECT * FROM {earlier} WHERE prescription_id IN (SELECT prescription_id FROM {new})
      UNION ALL BY NAME
      SELECT *, false AS registered, false AS rejected, false AS listed FROM {new})
GROUP BY prescription_id
"""


def funnel_from_ids() -> str:
    """C2 with the registry's extract (facts_sql.REGISTRATION_FUNNEL) per kind of id, from `ids`: the set of
    groups whose records in use would make the id created, and what the extract says of it. A bilan counts an id as
    created when one of those groups is equipped."""
    return """
SELECT groups, prescribed AS kept, registered, rejected, listed, count(*) AS n FROM ids WHERE prescribed OR listed
GROUP BY ALL
"""


def registered_from_ids(*, mask: bool) -> str:
    """C2 without the extract (facts_sql.REGISTERED_FROM_TRACES) per kind of id, from `ids`: the groups of its
    e-prescriptions in use and those of its successful create calls in use."""
    none = "0::UBIGINT" if mask else "[]::INTEGER[]"
    created = "groups IS NOT NULL" if mask else "len(groups) > 0"
    return f"""
SELECT groups, coalesce(call_groups, {none}) AS call_groups, count(*) AS n FROM ids WHERE {created} GROUP BY ALL
"""


# The hashes of the event_ids that occur more than once among the valid records (steps 2 and 3): a summary made
# from an earlier one reads again every earlier record with one of these, or with a new record's, so that its steps 2
# and 3 over the records it reads are the phase's.
REPEATED_HASHES = "SELECT DISTINCT hash(event_id) AS h FROM repeats"


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
