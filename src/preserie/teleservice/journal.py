"""The journal's writer: who called what, when, and what they got, written in batches.

The app queues each call's entry (no I/O on the event loop) and a writer thread inserts what is queued every 100 ms
in one statement; stopping the writer, reading the journal and closing the store flush it first
(benchmarks/teleservice_load.py: one INSERT and transaction per call were a third of a call's cost).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError

from preserie.teleservice.records import JournalEntry

log = logging.getLogger(__name__)
MAX_PENDING = 100_000  # journal entries kept while the database refuses them; beyond, the oldest are dropped


class JournalWriter:
    """Queues journal entries and inserts them in batches, from a thread of its own or on ``flush``."""

    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine, self.table = engine, table
        self._insert = insert(table)
        self._pending: deque[dict[str, Any]] = deque()
        self._flushing = threading.Lock()
        self._writer: tuple[threading.Thread, threading.Event] | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, entry: JournalEntry) -> None:
        """Queue ``entry``, stamped now, for the writer thread or the next flush (no I/O)."""
        row = {"at": datetime.now(UTC), **entry.__dict__}
        row["method"] = entry.method[:8]  # any token is a method in HTTP; the column keeps the first 8 characters
        self._pending.append(row)

    def flush(self) -> None:
        """Insert the queued entries in their order; on failure keep them for the next flush, and raise."""
        with self._flushing:
            batch = [self._pending.popleft() for _ in range(len(self._pending))]
            if not batch:
                return
            try:
                with self.engine.begin() as conn:
                    conn.execute(self._insert, batch)
            except (IntegrityError, DataError):  # one entry the table refuses must not hold back the others
                self._insert_one_by_one(batch)
            except Exception:
                self._pending.extendleft(reversed(batch))
                if (excess := len(self._pending) - MAX_PENDING) > 0:
                    log.error("journal : %d entrées les plus anciennes abandonnées", excess)
                    for _ in range(excess):
                        self._pending.popleft()
                raise

    def _insert_one_by_one(self, batch: list[dict[str, Any]]) -> None:
        for row in batch:
            try:
                with self.engine.begin() as conn:
                    conn.execute(self._insert, [row])
            except (IntegrityError, DataError):
                log.error("journal : entrée refusée par la base, abandonnée (%s %s, statut %s)",
                          row.get("operation"), row.get("method"), row.get("status"))

    def start(self, every: float = 0.1) -> None:
        """Flush the journal every ``every`` seconds in a thread, until ``stop``."""
        if self._writer is not None:
            return
        stop = threading.Event()

        def write() -> None:
            while not stop.wait(every):
                try:
                    self.flush()
                except Exception:  # the database is down: the entries wait for the next pass
                    log.exception("journal non écrit, nouvel essai dans %s s", every)

        thread = threading.Thread(target=write, name="journal-writer", daemon=True)
        thread.start()
        self._writer = (thread, stop)

    def stop(self) -> None:
        """Stop the writer thread, then flush what is still queued."""
        if self._writer is not None:
            thread, stop = self._writer
            stop.set()
            thread.join()
            self._writer = None
        self.flush()

    def entries(self) -> list[dict[str, Any]]:
        """Every entry, oldest first (what is queued is flushed first)."""
        self.flush()
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(self.table).order_by(self.table.c.id))]
