"""Phase summaries: a phase's records accounted once, apart from the declaration and the evaluation moment, so that a
bilan re-runs only what depends on them (issue 11, decision 0006).

The parsed runs (`trace_runs`) spare a bilan the JSON, not the engine's work on ten million rows: loading them,
steps 2 and 3, the facts. A summary is that work done once for a phase as it stands (its segments, its registry
extract): steps 1 to 3 counted, the rejections and conflicts with their files and lines, the file problems, and
every fact of `facts_sql` kept per group (a practitioner in a situation, `summary_sql`). A bilan at any moment
from the phase's latest kept record on (the default one among them) then reads a few thousand rows: the groups its
declaration equips. At an earlier moment it reads the runs instead (`TraceSummary.stands_for`).

A summary is one DuckDB file under `_parsed/`, named by the digest of what it was made of: the segments' names
(written once, never changed), the extract's size and time, the reference data and the engine's own code. Its
sidecar (JSON: the latest record's moment) is written last: a summary without one was never finished. Nothing
is changed once written; a new batch or extract makes a new summary, and the older ones are removed, all but the
last few (a reader that loses one reads the runs). Summaries are made one at a time per phase (an advisory lock
in `_parsed/`): a burst of bilans in several threads or processes makes one summary, not one each.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from preserie import french
from preserie.adapters import facts_sql, summary_sql
from preserie.adapters import trace_sql as sql
from preserie.adapters.duckdb_trace_store import DuckdbTraceStore, trace_facts
from preserie.adapters.trace_runs import RUNS
from preserie.domain.accounting import STEP_NAMES, DataQuality, Step, describe_rejection
from preserie.domain.facts import TraceFacts
from preserie.domain.inputs import FileIssue, ParsedRun, TraceFile, TraceSummary, trace_members
from preserie.domain.reference import Reference

PREFIX = "summary-"
LOCK_FILE = ".summary.lock"  # hidden, as the segments' own
KEEP = 3  # summaries kept per phase, the newest: a bilan under way may still read the one before
FACTS = ("weeks", "operations", "observed", "with_snapshot", "configurations")
_ENGINE = ("trace_sql", "facts_sql", "summary_sql", "trace_summary", "trace_loader", "trace_files", "registrations",
           "duckdb_trace_store")


def _quiet(_: str) -> None:
    """No one to tell."""


@cache
def _engine_digest() -> str:
    """The engine's code and version: a summary made by other code is not this code's."""
    from importlib import import_module

    digest = hashlib.sha256(duckdb.__version__.encode())
    for name in _ENGINE:
        module = import_module(f"preserie.adapters.{name}")
        digest.update(Path(str(module.__file__)).read_bytes())
    digest.update(Path(str(import_module("preserie.domain.trace_contract").__file__)).read_bytes())
    return digest.hexdigest()


def _engine(reference: Reference) -> str:
    """The engine and the reference data, hashed: a summary made by the same may be made from another."""
    return hashlib.sha256(json.dumps([_engine_digest(), repr(reference)]).encode()).hexdigest()[:32]


def _base(registrations: Path | None, reference: Reference) -> str:
    """What a summary is made of but its segments, hashed: the engine, the reference data, the extract as it
    stands. A summary with the same may be made from another over fewer segments (`_extended`)."""
    extract: list[object] | None = None
    if registrations is not None:
        try:
            stat = registrations.stat()
            extract = [registrations.name, stat.st_mtime_ns, stat.st_size, stat.st_ino, registrations.is_file()]
        except OSError:
            extract = [registrations.name, "unreadable"]
    return hashlib.sha256(json.dumps([_engine(reference), extract]).encode()).hexdigest()[:32]


def _names_digest(names: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(names)).encode()).hexdigest()[:32]


def _digest(items: Sequence[TraceFile | ParsedRun], registrations: Path | None, reference: Reference) -> str:
    """What a summary is made of, hashed: the engine, the reference data, the extract as it stands, the segments."""
    names = [m.name for m in trace_members(items)]
    return hashlib.sha256(f"{_base(registrations, reference)}:{_names_digest(names)}".encode()).hexdigest()[:32]


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def prepare(folder: Path, items: Sequence[TraceFile | ParsedRun], registrations: Path | None,
            reference: Reference) -> TraceSummary:
    """The summary of the phase in ``folder`` as ``items`` (its reading list) and ``registrations`` make it: the one
    on disk, else one made now (the engine's whole work on the records, once)."""
    path = folder / RUNS / f"{PREFIX}{_digest(items, registrations, reference)}.duckdb"
    meta = _finished(path)
    if meta is None:
        path.parent.mkdir(exist_ok=True)
        with _one_at_a_time(path.parent / LOCK_FILE):  # two bilans at once (threads, processes) make it once
            meta = _finished(path)
            if meta is None:
                meta = _extended(path, items, registrations, reference) or _build(path, items, registrations,
                                                                                   reference)
                _prune(path.parent)
    return TraceSummary(path, tuple(items), _latest(meta), registrations)


def _finished(path: Path) -> dict[str, Any] | None:
    """The sidecar of a finished summary, or None."""
    try:
        meta: dict[str, Any] = json.loads(_sidecar(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if path.is_file() else None


@contextmanager
def _one_at_a_time(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` for the block, between threads and processes alike (each holder
    opens the file anew); the system drops it if the process dies."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def _prune(directory: Path) -> None:
    """All but the newest summaries removed."""
    finished = sorted(directory.glob(f"{PREFIX}*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for sidecar in finished[KEEP:]:
        sidecar.unlink(missing_ok=True)
        sidecar.with_suffix(".duckdb").unlink(missing_ok=True)


def _build(path: Path, items: Sequence[TraceFile | ParsedRun], registrations: Path | None,
           reference: Reference) -> dict[str, Any]:
    """Read the records, account them per group, and write the summary's file, then its sidecar."""
    with DuckdbTraceStore(reference) as store:
        con = store.con
        store.load_traces(list(items), _quiet)
        trace_issues = list(store.file_issues)
        registration_issues = store.load_registrations(registrations)
        latest = store.latest_kept_ts()  # steps 2 and 3 too
        con.execute(summary_sql.GROUPS)
        con.execute(summary_sql.KEPT_BY_GROUP)
        con.execute(sql.USED)
        counts = dict(con.execute(summary_sql.REPEAT_COUNTS).fetchall())
        counts[Step.REJECTED] = con.execute(summary_sql.REJECTED_COUNT).fetchone()[0]  # type: ignore[index]
        _register_rejections(con, store.rejection_rows())
        conflicts = list(store._conflicts())
        con.register("conflict_rows", pa.Table.from_pylist(conflicts, schema=pa.schema([
            ("event_id", pa.string()), ("file", pa.string()), ("line", pa.int64()), ("kept_file", pa.string()),
            ("kept_line", pa.int64())])))
        groups = con.execute("SELECT count(*) FROM phase_groups").fetchone()[0]  # type: ignore[index]
        mask = groups <= summary_sql.MASK_GROUPS
        con.execute(f"CREATE TEMP TABLE trace_ids AS {summary_sql.trace_ids('kept', mask=mask)}")
        con.execute(f"CREATE TEMP TABLE ids AS {summary_sql.ids_with_extract('trace_ids')}")
        tables = {**store.fact_queries(), "funnel": _funnel(registrations, mask),
                  "phase_groups": summary_sql.GROUP_COUNTS, "ids": "SELECT * FROM ids",
                  "repeated_hashes": summary_sql.REPEATED_HASHES,
                  "rejections": "SELECT row_number() OVER () AS ordinal, * FROM rejection_rows",
                  "conflicts": "SELECT row_number() OVER () AS ordinal, * FROM conflict_rows"}
        _write(path, con, tables)
    counted = {str(k): v for k, v in counts.items()}
    return _finish(path, _meta(items, registrations, reference, latest, mask, counted, trace_issues,
                               registration_issues))


def _extended(path: Path, items: Sequence[TraceFile | ParsedRun], registrations: Path | None,
              reference: Reference) -> dict[str, Any] | None:
    """The summary made from the newest earlier one that it can be made from: over a first stretch of the same
    segments with the same engine, reference data and extract (`_extend`: reading only what the new segments'
    records can change), or over the same segments with another extract (`_reextract`: C2 alone made again). None
    when there is none, or when the new records reach beyond what `_extend` can add: the caller makes it in full."""
    if not all(isinstance(item, ParsedRun) for item in items):
        return None  # the service compacts new segments first; anything else is made in full
    names = [m.name for m in trace_members(items)]
    base, engine, all_names = _base(registrations, reference), _engine(reference), _names_digest(names)
    earlier = []
    for sidecar in path.parent.glob(f"{PREFIX}*.json"):
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
            earlier.append((sidecar.stat().st_mtime_ns, sidecar, meta))
        except (OSError, ValueError):
            continue
    runs = [item for item in items if isinstance(item, ParsedRun)]
    for _, sidecar, meta in sorted(earlier, key=lambda found: found[0], reverse=True):
        count = meta.get("members")
        try:
            if meta.get("engine") == engine and meta.get("base") != base and count == len(names) \
                    and meta.get("members_digest") == all_names:
                return _reextract(path, sidecar.with_suffix(".duckdb"), meta, runs, registrations, reference)
            if meta.get("base") == base and isinstance(count, int) and 0 < count < len(names) \
                    and meta.get("members_digest") == _names_digest(names[:count]):
                return _extend(path, sidecar.with_suffix(".duckdb"), meta, runs, registrations, reference)
        except (OSError, duckdb.Error):
            return None  # the earlier summary gone or damaged meanwhile: made in full
    return None


def _extend(path: Path, earlier: Path, meta: dict[str, Any], runs: Sequence[ParsedRun], registrations: Path | None,
            reference: Reference) -> dict[str, Any] | None:
    """Make the summary of ``runs`` from the ``earlier`` one (``meta``), which covers their first members.

    Why it is exact. The new members come last in reading order, so steps 2 and 3 keep every earlier record as it
    was (a record's first occurrence is kept) and only new records can be repeats; step 7 is each record's own;
    every fact of `facts_sql` is per practitioner. So only the groups of the practitioners the new valid records
    name (P) can change, and a group's facts are a function of its own kept records. What is read: the new
    members whole; of the earlier ones, the valid records of P, and those whose event_id's hash is a new record's
    or repeats among the earlier ones, so that steps 2 and 3 over what is read are the phase's for every record of
    P. The other groups' rows are taken from the earlier summary; the ids (C2, with the extract's side: the extract
    is not read again) are merged; the counts, rejections and file problems added. None when a new record is a
    conflict (step 3: its kept record's line is read in full) or the groups pass the bits of the earlier summary's
    sets."""
    old, mask = int(meta["members"]), bool(meta["mask"])
    new_names = {m.name for m in trace_members(runs)[old:]}
    new_valid, where = _reading_plan(runs, old)
    with DuckdbTraceStore(reference) as store:
        con = store.con
        con.execute(f"ATTACH {sql.literal(str(earlier))} AS earlier (READ_ONLY)")
        con.execute(f"CREATE TEMP TABLE new_valid AS {new_valid}")
        con.execute("CREATE TEMP TABLE new_practitioners AS SELECT DISTINCT practitioner FROM new_valid")
        con.execute("CREATE TEMP TABLE wanted_hashes AS SELECT hash(event_id) AS h FROM new_valid "
                    "UNION SELECT h FROM earlier.repeated_hashes")
        store.load_traces(runs, _quiet, where=where)
        first_new = con.execute(f"SELECT coalesce(min(rowid), (SELECT count(*) FROM records)) FROM records "
                                f"WHERE file_idx >= {old}").fetchone()[0]  # type: ignore[index]
        latest = store.latest_kept_ts()  # steps 2 and 3 over what was read
        new_conflicts = con.execute(f"SELECT count(*) FROM repeats WHERE rid >= {first_new} "
                                    f"AND step = '{Step.CONFLICTS}'").fetchone()[0]  # type: ignore[index]
        if new_conflicts:
            return None
        con.execute(summary_sql.GROUPS_AFTER_EARLIER)
        groups = con.execute("SELECT count(*) FROM phase_groups").fetchone()[0]  # type: ignore[index]
        if mask and groups > summary_sql.MASK_GROUPS:
            return None
        con.execute(summary_sql.KEPT_BY_GROUP)
        con.execute(sql.USED)
        con.execute("CREATE TEMP TABLE touched AS SELECT grp FROM phase_groups "
                    "WHERE practitioner IN (SELECT practitioner FROM new_practitioners)")
        counts = {step: int(n) for step, n in meta["counts"].items()}
        for step, n in con.execute(f"SELECT step, count(*) FROM repeats WHERE rid >= {first_new} "
                                   "GROUP BY step").fetchall():
            counts[str(step)] = counts.get(str(step), 0) + n
        counts[str(Step.REJECTED)] = counts.get(str(Step.REJECTED), 0) + con.execute(  # only new ones are read
            summary_sql.REJECTED_COUNT).fetchone()[0]  # type: ignore[index]
        _register_rejections(con, store.rejection_rows())
        new_ids = summary_sql.trace_ids(f"(SELECT * FROM kept WHERE rid >= {first_new})", mask=mask)
        con.execute(f"CREATE TEMP TABLE new_ids AS {new_ids}")
        con.execute(f"CREATE TEMP TABLE ids AS {summary_sql.merged_ids('earlier.ids', 'new_ids', mask=mask)}")
        theirs = "grp IN (SELECT grp FROM touched)"
        tables = {kind: f"SELECT * FROM earlier.{kind} WHERE NOT {theirs} UNION ALL BY NAME "
                        f"SELECT * FROM ({query}) WHERE {theirs}"
                  for kind, query in store.fact_queries().items()}
        tables.update({
            "funnel": _funnel(registrations, mask),
            "phase_groups": f"SELECT * FROM (SELECT * FROM earlier.phase_groups WHERE NOT {theirs} UNION ALL BY NAME "
                            f"SELECT * FROM ({summary_sql.GROUP_COUNTS}) WHERE {theirs}) ORDER BY grp",
            "ids": "SELECT * FROM ids",
            "repeated_hashes": f"SELECT h FROM earlier.repeated_hashes UNION {summary_sql.REPEATED_HASHES}",
            "rejections": "SELECT * FROM earlier.rejections UNION ALL SELECT (SELECT count(*) FROM earlier.rejections) "
                          "+ row_number() OVER () AS ordinal, * FROM rejection_rows",
            "conflicts": "SELECT * FROM earlier.conflicts"})
        _write(path, con, tables)
        trace_issues = [*_issues(meta, "trace_issues"), *(i for i in store.file_issues if i.file in new_names)]
    latest = max((t for t in (_latest(meta), latest) if t is not None), default=None)
    return _finish(path, _meta(runs, registrations, reference, latest, mask, counts, trace_issues,
                               _issues(meta, "registration_issues")))


def _reading_plan(runs: Sequence[ParsedRun], old: int) -> tuple[str, dict[Path, str]]:
    """What `_extend` reads of ``runs``, whose first ``old`` members the earlier summary covers: a query of the new
    members' valid records (practitioner, event_id), and per run the condition on its rows (`load_traces`'s
    ``where``): a new member's rows, else a valid record of a practitioner the new ones name (`new_practitioners`)
    or with an event_id hash to read again (`wanted_hashes`)."""
    new_valid, where, position = [], {}, 0
    for run in runs:
        first = old - position  # the rel_idx of the run's first new member
        position += len(run.members)
        if first < len(run.members):
            new_valid.append(f"SELECT practitioner, event_id FROM read_parquet({sql.literal(str(run.path))}"
                             f"{sql.NOT_HIVE}) WHERE rel_idx >= {first} AND reason IS NULL")
        where[run.path] = (f"rel_idx >= {first} OR (reason IS NULL AND (practitioner IN (SELECT practitioner FROM "
                           "new_practitioners) OR hash(event_id) IN (SELECT h FROM wanted_hashes)))")
    return " UNION ALL ".join(new_valid), where


def _reextract(path: Path, earlier: Path, meta: dict[str, Any], runs: Sequence[ParsedRun],
               registrations: Path | None, reference: Reference) -> dict[str, Any]:
    """Make the summary of the same records as the ``earlier`` one (``meta``) with another registry extract: the
    extract is all C2 takes apart from the records, so the records' side of the ids is joined with the new
    extract and the funnel grouped again; every other table is the earlier one's."""
    mask = bool(meta["mask"])
    with DuckdbTraceStore(reference) as store:
        con = store.con
        con.execute(f"ATTACH {sql.literal(str(earlier))} AS earlier (READ_ONLY)")
        registration_issues = store.load_registrations(registrations)
        con.execute("CREATE TEMP TABLE trace_ids AS SELECT prescription_id, groups, prescribed, call_groups "
                    "FROM earlier.ids WHERE traced")
        con.execute(f"CREATE TEMP TABLE ids AS {summary_sql.ids_with_extract('trace_ids')}")
        tables = {name: f"SELECT * FROM earlier.{name}"
                  for name in (*FACTS, "phase_groups", "repeated_hashes", "rejections", "conflicts")}
        tables.update({"ids": "SELECT * FROM ids", "funnel": _funnel(registrations, mask)})
        _write(path, con, tables)
    return _finish(path, _meta(runs, registrations, reference, _latest(meta), mask, meta["counts"],
                               _issues(meta, "trace_issues"), registration_issues))


def _funnel(registrations: Path | None, mask: bool) -> str:
    return summary_sql.funnel_from_ids() if registrations is not None else summary_sql.registered_from_ids(mask=mask)


def _register_rejections(con: duckdb.DuckDBPyConnection, rejections: list[tuple[str, int, str]]) -> None:
    con.register("rejection_rows", pa.table({
        "file": pa.array([r[0] for r in rejections], pa.string()),
        "line": pa.array([r[1] for r in rejections], pa.int64()),
        "reason": pa.array([r[2] for r in rejections], pa.string())}))


def _write(path: Path, con: duckdb.DuckDBPyConnection, tables: dict[str, str]) -> None:
    """The summary's tables written to a hidden temporary file, renamed to ``path`` once complete."""
    temporary = path.parent / f".tmp-{secrets.token_hex(6)}.duckdb"
    path.parent.mkdir(exist_ok=True)
    try:
        con.execute(f"ATTACH {sql.literal(str(temporary))} AS summary")
        for name, query in tables.items():
            con.execute(f"CREATE TABLE summary.{name} AS {query}")
        con.execute("DETACH summary")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
        Path(f"{temporary}.wal").unlink(missing_ok=True)


def _meta(items: Sequence[TraceFile | ParsedRun], registrations: Path | None, reference: Reference,
          latest: dt.datetime | None, mask: bool, counts: dict[str, int], trace_issues: Sequence[FileIssue],
          registration_issues: Sequence[FileIssue]) -> dict[str, Any]:
    names = [m.name for m in trace_members(items)]
    return {"latest": latest.isoformat() if latest else None, "registrations": registrations is not None,
            "mask": mask, "counts": counts, "trace_issues": [i.as_dict() for i in trace_issues],
            "registration_issues": [i.as_dict() for i in registration_issues],
            "engine": _engine(reference), "base": _base(registrations, reference), "members": len(names),
            "members_digest": _names_digest(names)}


def _latest(meta: dict[str, Any]) -> dt.datetime | None:
    """The moment of the latest kept record, from a summary's sidecar."""
    return dt.datetime.fromisoformat(meta["latest"]) if meta["latest"] else None


def _issues(meta: dict[str, Any], kind: str) -> list[FileIssue]:
    """The file problems a summary's sidecar lists (``kind``: trace_issues or registration_issues)."""
    return [FileIssue.from_dict(i) for i in meta[kind]]


def _finish(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The sidecar written, last: the summary is finished."""
    sidecar = path.parent / f".tmp-{secrets.token_hex(6)}.json"
    sidecar.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(sidecar, _sidecar(path))
    return meta


def open_store(summary: TraceSummary, reference: Reference) -> SummaryTraceStore | None:
    """A trace store reading ``summary``, or None when it is gone (removed by a newer one: read its items)."""
    try:
        return SummaryTraceStore(summary, reference)
    except (OSError, ValueError, duckdb.IOException):
        return None


class SummaryTraceStore:
    """A trace store (`DuckdbTraceStore`'s interface, as `services.assess` uses it) answering from a phase's
    summary: what a bilan computes of the declaration and the moment, and nothing else, is computed."""

    def __init__(self, summary: TraceSummary, reference: Reference) -> None:
        self.summary, self.reference = summary, reference
        self._meta = json.loads(_sidecar(summary.path).read_text(encoding="utf-8"))
        self.con = duckdb.connect(":memory:")
        try:
            self.con.execute("SET enable_progress_bar = false")
            self.con.execute("SET TimeZone = 'UTC'")
            self.con.execute(f"ATTACH {sql.literal(str(summary.path))} AS summary (READ_ONLY)")
            self.con.execute(summary_sql.USERS)
        except duckdb.Error:
            self.con.close()
            raise
        self.file_issues: list[FileIssue] = []

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> SummaryTraceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load_traces(self, trace_files: Sequence[object], progress: Callable[[str], None]) -> None:
        """The traces as the summary found them (``trace_files`` is the summary itself)."""
        read = french.count(len(trace_members(self.summary.items)), "fichier déjà compté", "fichiers déjà comptés")
        progress(f"lecture du résumé des traces ({read})")
        self.file_issues = _issues(self._meta, "trace_issues")

    def load_registrations(self, path: Path | None) -> list[FileIssue]:
        """What was wrong with the registry extract the summary was made with (``path``, the same)."""
        return _issues(self._meta, "registration_issues")

    def apply_users(self, users: dict[str, str]) -> None:
        if users:
            self.con.executemany("INSERT INTO users VALUES (?, ?)", list(users.items()))
        self.con.execute(summary_sql.EQUIPPED)

    def latest_kept_ts(self) -> dt.datetime | None:
        return self.summary.latest

    def account(self, as_of: dt.datetime | None) -> tuple[dt.datetime | None, DataQuality]:
        """Steps 1 to 8 at ``as_of``, which the summary stands for (nothing after it)."""
        assert self.summary.stands_for(as_of)
        counts = dict.fromkeys(STEP_NAMES, 0)
        counts.update(self._meta["counts"])
        cursor = self.con.execute(summary_sql.STEPS)
        row = cursor.fetchone()
        assert row is not None
        counts.update(zip((d[0] for d in cursor.description), row, strict=True))
        rejections = tuple(describe_rejection(f, line, reason) for f, line, reason in self.con.execute(
            "SELECT file, line, reason FROM summary.rejections ORDER BY ordinal").fetchall())
        cursor = self.con.execute(
            "SELECT event_id, file, line, kept_file, kept_line FROM summary.conflicts ORDER BY ordinal")
        names = [d[0] for d in cursor.description]
        conflicts = tuple(dict(zip(names, row, strict=True)) for row in cursor.fetchall())
        return as_of, DataQuality(counts=counts, rejections=rejections, conflicts=conflicts)

    def facts(self, *, count_out_of_scope: bool, has_registrations: bool) -> TraceFacts:
        """The facts of the equipped groups; with or without the extract as the summary was made."""
        with_extract = bool(self._meta["registrations"])
        rows = {kind: self.con.execute(facts_sql.chosen(kind, f"summary.{kind}", summary_sql.IN_EQUIPPED,
                                                        count_out_of_scope=count_out_of_scope)).fetchall()
                for kind in FACTS}
        mask = bool(self._meta["mask"])
        funnel = summary_sql.funnel(mask=mask) if with_extract else summary_sql.registered_from_traces(mask=mask)
        rows["funnel"] = self.con.execute(funnel).fetchall()
        return trace_facts(rows, [c.name for c in self.reference.error_classes], has_registrations=with_extract)
