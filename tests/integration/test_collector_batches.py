"""The collector's check of several batches in one pass of the engine (adapters/collector_batch.check_batches):
each batch gets what it would get checked alone (its records, its rejected lines with blank lines counted, another
practitioner's lines, its events), a damaged batch among them is read again alone and carefully, and the engine's
table keeps nothing of the batches read before."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from preserie.adapters.collector_batch import _store, check_batches
from preserie.adapters.trace_files import TraceFile
from preserie.data import load_reference

RECORD = {"event_id": "e", "ts": "2025-01-13T09:00:00+01:00", "practitioner": "111", "situation": "liberal",
          "workstation": "111-P1", "software_version": "5.2.0", "type": "workstation", "os": "Windows",
          "os_version": "11", "card_reader": "R", "card_kind": "cps", "network": "fibre"}


def _file(folder: Path, name: str, lines: list[Any]) -> TraceFile:
    path = folder / f"{name}.jsonl"
    path.write_bytes(b"".join((line if isinstance(line, bytes) else json.dumps(line).encode()) + b"\n"
                              for line in lines))
    return TraceFile(path, f"traces/{path.name}", "jsonl", False)


def _event(event_id: str) -> int:
    """The index's 63 bits of md5(event_id): its first 16 hex digits, shifted right once."""
    return int(hashlib.md5(event_id.encode()).hexdigest()[:16], 16) >> 1


def _alone(trace_file: TraceFile, practitioner: str) -> Any:
    (checked,) = check_batches([(trace_file, practitioner)], load_reference())
    return checked


def test_batches_read_in_one_pass_are_each_checked_as_alone(tmp_path: Path) -> None:
    good = _file(tmp_path, "good", [{**RECORD, "event_id": f"g{i}"} for i in range(3)])
    mixed = _file(tmp_path, "mixed", [{**RECORD, "event_id": "m1"}, b"", {**RECORD, "event_id": "m2", "ts": "hier"},
                                      {**RECORD, "event_id": "m3", "practitioner": "222"},
                                      {**RECORD, "event_id": "m4"}])
    damaged = _file(tmp_path, "damaged", [{**RECORD, "event_id": "d1"}, b"not json", {**RECORD, "event_id": "d2"}])
    other = _file(tmp_path, "other", [{**RECORD, "event_id": "o1", "practitioner": "222"}])
    batches = [(good, "111"), (mixed, "111"), (damaged, "111"), (other, "222")]
    together = check_batches(batches, load_reference())
    assert together == [_alone(f, p) for f, p in batches]
    g, m, d, o = together
    assert (g.records, g.rejected, g.foreign, g.events) == (3, [], [], 3)
    assert (m.records, m.rejected, m.foreign) == (4, [(3, "ts_not_iso")], [(4, "222")])  # the blank line counts
    assert [event for _, event, _ in m.key_triples()] == [_event("m1"), _event("m4")]
    assert (d.records, d.rejected, d.events) == (3, [(2, "unreadable")], 2)
    assert (o.records, o.foreign, o.events) == (1, [], 1)


def test_a_record_sent_again_has_the_same_key_and_its_key_starts_with_its_second(tmp_path: Path) -> None:
    first = _alone(_file(tmp_path, "a", [RECORD]), "111")
    again = _alone(_file(tmp_path, "b", [b"", {k: RECORD[k] for k in reversed(list(RECORD))}]), "111")
    assert first.keys == again.keys  # the same fields in another order: the same record
    (second, event, content), = first.key_triples()
    assert (second, event) == (1736755200, _event("e"))  # 2025-01-13T08:00:00Z
    changed = _alone(_file(tmp_path, "c", [{**RECORD, "network": "4g"}]), "111")
    (_, same_event, other_content), = changed.key_triples()
    assert same_event == event and other_content != content and 0 <= content < 2**63


def test_the_engine_keeps_nothing_of_the_batches_read_before(tmp_path: Path) -> None:
    batch = _file(tmp_path, "batch", [{**RECORD, "event_id": f"e{i}"} for i in range(200)])
    for _ in range(5):
        check_batches([(batch, "111")] * 3, load_reference())
    con = _store(load_reference()).con
    assert con.execute("SELECT count(*) FROM records").fetchone() == (0,)
    assert con.execute("PRAGMA storage_info('records')").fetchall() == []  # deleted rows kept no storage
