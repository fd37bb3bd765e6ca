"""The last bilan of each pilot, kept until its facts change (issue 11, « never on every page view »).

A bilan is a function of the pilot's facts: its record (every change through the registry moves `updated_at`),
the names of its trace segments (written once, never changed: a new batch is a new name; their digest is listed
again only when their folder changed, `SegmentStore.listing_digest`, which spares listing 10,000 names on every
request), and its registry extract. Their fingerprint is cheap to take (two stats, a listing after a change);
while it stands, the kept bilan is the bilan, and the engine is not run again.
Computations of one pilot are serialised, so that a burst of requests after a change runs the engine once; a page
that waits for one, or runs one, gives its work slot back meanwhile (`services.work_slots`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from preserie.domain.registry import PilotRecord
from preserie.services.work_slots import PAGES

if TYPE_CHECKING:  # the engine is imported when a bilan is computed, not with the registry
    from preserie.services.assess import AssessmentRun

Key = tuple[str, int, str | None]


@dataclass
class AssessmentCache:
    size: int = 64
    computations: int = 0  # how many times the engine ran (tests and benchmarks read it)
    _entries: OrderedDict[Key, tuple[str, AssessmentRun]] = field(default_factory=OrderedDict)
    _locks: dict[Key, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: Key, fingerprint: str, compute: Callable[[], AssessmentRun]) -> AssessmentRun:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        kept = self._kept(key, fingerprint)  # kept: no wait at all
        if kept is not None:
            return kept
        with PAGES.given_back(), lock:
            kept = self._kept(key, fingerprint)  # computed meanwhile by the request waited for
            if kept is not None:
                return kept
            run = compute()
            with self._guard:
                self.computations += 1
                self._entries[key] = (fingerprint, run)
                self._entries.move_to_end(key)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
            return run

    def _kept(self, key: Key, fingerprint: str) -> AssessmentRun | None:
        with self._guard:
            kept = self._entries.get(key)
            if kept is None or kept[0] != fingerprint:
                return None
            self._entries.move_to_end(key)
            return kept[1]


def fingerprint(pilot: PilotRecord, segment_names: list[str], registrations: tuple[int, int] | None,
                phase: int, as_of: dt.datetime | None) -> str:
    """What the bilan of ``pilot``'s ``phase`` depends on, hashed."""
    parts = [pilot.key, str(phase), pilot.status.value, str(pilot.phase), pilot.updated_at.isoformat(),
             str(pilot.reduced_minimum), as_of.isoformat() if as_of else "", repr(registrations), *segment_names]
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()
