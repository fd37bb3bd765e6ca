"""Re-sent batches: a workstation that did not get the collector's acknowledgement sends a batch again.

The records of a batch are kept as they are written (a recorder in front of the sink), then written a
second time, unchanged, in a later file (or later in the only file): duplicates (SPEC §5 step 2).
Only one batch is kept at a time, so memory stays flat.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from preserie.simulate.writers import Sink

FilePlan = tuple[str, str, int, int]  # name, format, first record, end


@dataclass
class Recorder:
    """Writes to `sink` and keeps a copy of each record's arguments."""

    sink: Sink | None = None
    kept: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def prescription(self, eid: str, ts: str, w: int, category: str, pid: str | None) -> None:
        self.kept.append(("prescription", (eid, ts, w, category, pid)))
        assert self.sink is not None
        self.sink.prescription(eid, ts, w, category, pid)

    def call(self, eid: str, ts: str, w: int, operation: str, pid: str | None, outcome: str,
             status: int | None, code: str | None, duration: int) -> None:
        self.kept.append(("call", (eid, ts, w, operation, pid, outcome, status, code, duration)))
        assert self.sink is not None
        self.sink.call(eid, ts, w, operation, pid, outcome, status, code, duration)

    def workstation(self, eid: str, ts: str, w: int) -> None:
        self.kept.append(("workstation", (eid, ts, w)))
        assert self.sink is not None
        self.sink.workstation(eid, ts, w)

    def generic(self, row: dict[str, Any]) -> None:
        assert self.sink is not None
        self.sink.generic(row)

    def broken(self) -> None:
        assert self.sink is not None
        self.sink.broken()

    def flush(self) -> None:
        assert self.sink is not None
        self.sink.flush()

    def close(self) -> None:
        assert self.sink is not None
        self.sink.close()

    def replay(self, sink: Sink, room: int) -> int:
        """Write the kept records again (at most `room`) into `sink`; returns how many."""
        batch, self.kept = self.kept[:room], []
        for method, args in batch:
            getattr(sink, method)(*args)
        return len(batch)


def plan_resends(rng: random.Random, plan: Sequence[FilePlan], records: int, weeks: int,
                 start: int) -> list[tuple[int, str, int]]:
    """Events (record number, "capture" or "replay", batch size): each batch is kept from a point of one
    file and written again early in the next file, or later in the same file when there is only one."""
    size = max(3, min(200, records // 2000))
    batches: list[tuple[int, int]] = []
    for k in range(max(2, weeks // 2)):
        index = k % max(1, len(plan) - 1)
        _, _, lo, hi = plan[index]
        lo = max(lo, start)
        if hi - lo < 20 * size:
            continue
        capture = lo + (hi - lo) * (2 + rng.randrange(5)) // 10
        if len(plan) > 1:
            _, _, next_lo, next_hi = plan[index + 1]
            replay = next_lo + rng.randrange(max(1, (next_hi - next_lo) // 20))
            if next_hi - replay < 2 * size:
                continue
        else:
            replay = capture + 4 * size + rng.randrange((hi - capture) // 4)
        batches.append((capture, replay))
    events: list[tuple[int, str, int]] = []
    done = -1  # one batch is kept at a time: a batch starts after the previous one is written again
    for capture, replay in sorted(batches):
        if capture > done:
            events += [(capture, "capture", size), (replay, "replay", size)]
            done = replay + size
    return sorted(events)
