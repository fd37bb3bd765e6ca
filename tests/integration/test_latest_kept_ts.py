"""The trace store tells the latest ts of the records that pass steps 1 to 3 (SPEC §5, as_of by default), for the
caller (the domain's `default_as_of`) to decide as_of with, whatever later records were rejected or repeated."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
from preserie.adapters.trace_files import discover
from preserie.data import load_reference

COMMON = {"practitioner": "331012344", "situation": "liberal", "workstation": "331012344-P1",
          "software_version": "5.2.0"}
PRESCRIPTION = {"type": "prescription", "category": "medicines", "digital": False}


def _store(tmp_path: Path, records: list[dict[str, object]]) -> DuckdbTraceStore:
    (tmp_path / "traces").mkdir(parents=True)
    (tmp_path / "traces" / "a.jsonl").write_text("".join(json.dumps(COMMON | r) + "\n" for r in records))
    store = DuckdbTraceStore(load_reference())
    store.load_traces(discover(tmp_path)[0], lambda _: None)
    store.apply_users({"331012344": "liberal"})
    return store


def test_later_rejected_or_repeated_records_do_not_count(tmp_path: Path) -> None:
    with _store(tmp_path, [
        {"event_id": "e1", "ts": "2025-02-03T10:00:00+01:00", **PRESCRIPTION},
        {"event_id": "e2", "ts": "2025-02-04T10:00:00+01:00", **PRESCRIPTION},
        {"event_id": "e3", "ts": "2025-02-05T10:00:00+01:00", **PRESCRIPTION, "category": "dentistry"},  # step 1
        {"event_id": "e1", "ts": "2025-02-06T10:00:00+01:00", **PRESCRIPTION},  # a conflict: step 3
        {"event_id": "e4", "ts": "2025-02-07T10:00:00+01:00", **PRESCRIPTION, "practitioner": "441000015"},
    ]) as store:
        latest = store.latest_kept_ts()
        # step 4 (an unknown practitioner) comes after: their record still sets the default as_of
        assert latest == dt.datetime(2025, 2, 7, 9, tzinfo=dt.UTC)
        as_of, quality = store.account(latest)
    assert as_of == latest
    assert (quality.counts["rejected"], quality.counts["conflicts"], quality.counts["used"]) == (1, 1, 2)


def test_account_without_a_moment_leaves_nothing_after_it_and_at_the_latest_ts_neither(tmp_path: Path) -> None:
    records = [{"event_id": f"e{i}", "ts": f"2025-02-{i + 3:02d}T10:00:00+01:00", **PRESCRIPTION} for i in range(5)]
    with _store(tmp_path / "a", records) as without:
        unbounded = without.account(None)[1]
    with _store(tmp_path / "b", records) as told:
        at_latest = told.account(told.latest_kept_ts())[1]
    assert unbounded == at_latest and at_latest.counts["after_as_of"] == 0 and at_latest.counts["used"] == 5
    with _store(tmp_path / "c", records) as earlier:
        assert earlier.account(dt.datetime(2025, 2, 5, 10, tzinfo=dt.UTC))[1].counts["after_as_of"] == 2


def test_no_record_kept_no_latest_ts(tmp_path: Path) -> None:
    with _store(tmp_path, [{"event_id": "e1", "ts": "yesterday", **PRESCRIPTION}]) as store:
        assert store.latest_kept_ts() is None
        assert store.account(None)[0] is None
