"""At most a few requests' own Python work at once, however many requests are waiting.

Python runs one thread at a time: with many threads runnable, the event loop that reads the requests and writes
the answers waits for the interpreter behind them, and an answer ready on the server goes out late (20 readers of
a 10 M-record pilot's page on 2 cores: the slowest views 0.3 s to 0.4 s with 2 or 4 pages built at once, 0.6 s to
1.2 s with 8, over 1 s with 40, for 0.1 s to 0.3 s of server time). So a page is built in one of a few slots.

A slot is for running Python, not for waiting: a request that waits for a bilan another request is computing, or
that computes one (the engine's work, which lets go of the interpreter, for up to a minute at 10 M records), gives
its slot back meanwhile (`given_back`). Without that, a few readers of a pilot being recomputed would hold every
slot, and every other page would wait for the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

PAGE_SLOTS = 4  # twice the cores (see above)


class WorkSlots:
    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = threading.BoundedSemaphore(slots)
        self._held = threading.local()  # how many slots this thread holds (a page within a page: none more)

    def _holding(self) -> int:
        return int(getattr(self._held, "n", 0))

    @contextmanager
    def taken(self) -> Iterator[None]:
        """Hold a slot for the block (a thread that holds one already takes no other)."""
        nested = self._holding() > 0
        if not nested:
            self._free.acquire()
        self._held.n = self._holding() + 1
        try:
            yield
        finally:
            self._held.n = self._holding() - 1
            if not nested:
                self._free.release()

    @contextmanager
    def given_back(self) -> Iterator[None]:
        """Let the thread's slot go for the block (it waits, or the engine works), and take one again after."""
        held = self._holding()
        if held:
            self._held.n = 0
            self._free.release()
        try:
            yield
        finally:
            if held:
                self._free.acquire()
                self._held.n = held


PAGES = WorkSlots(PAGE_SLOTS)
