"""Simulated workstations that also post their traces to a collector (`preserie simulate --collector URL`).

Issue 11, the workstation's side: before the first record, the vendor (its token, `PRESERIE_TOKEN`) enrols one
workstation per simulated workstation (`POST …/practitioners/{ref}/workstations`) and each gets its own token;
then every record written to OUT/traces is also put, as a JSON Lines record, in the batch of its workstation;
a full batch is spooled on disk (OUT/spool/<workstation>/ by default) and sent at once by that workstation's
`CollectorClient` (adapters/collector_client.py). The re-sent batches of the story (batches.py) go to the
collector again under new keys, as a workstation that lost an acknowledgement would: the collector counts them
duplicated. At the end, each workstation's last partial batch is spooled and every spool flushed once more,
within one patience budget for all (a collector down at the end costs one budget, not one per workstation);
what is left stays in the spool, and the summary says so.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from preserie.adapters.collector_client import BATCH_RECORDS, PATIENCE, TIMEOUT, CollectorClient, enrol_workstation
from preserie.adapters.collector_spool import Spool
from preserie.simulate.writers import JsonlSink, Sink, Workstation


@dataclass(frozen=True)
class CollectorOptions:
    """Where the workstations report: the collector's URL (the registry service), the pilot's id there, the
    vendor's token (to enrol the workstations), the spool's folder (None: OUT/spool), records per batch, how
    long a batch may wait for the collector in one flush (seconds), and how long one POST may take."""

    url: str
    pilot: str
    vendor_token: str
    spool: Path | None = None
    batch_records: int = BATCH_RECORDS
    patience: float = PATIENCE
    timeout: float = TIMEOUT


class Reporters:
    """Every workstation's batch being filled and its client; `tee` puts them behind a file's sink."""

    def __init__(self, options: CollectorOptions, workstations: Sequence[Workstation], spool: Path, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.options = options
        self.http = httpx.Client(timeout=options.timeout, transport=transport)
        self.names = {w.name: k for k, w in enumerate(workstations)}
        self.format = JsonlSink(io.StringIO(), workstations)  # the same lines as OUT/traces/*.jsonl
        self.pending: list[list[str]] = [[] for _ in workstations]
        self.clients: list[CollectorClient] = []
        try:
            for k, w in enumerate(workstations):
                enrolment = enrol_workstation(self.http, options.url, options.pilot, w.practitioner,
                                              options.vendor_token)
                self.clients.append(CollectorClient(options.url, options.pilot, enrolment.token,
                                                    Spool(spool / f"{k + 1:03d}-{w.name}"), http=self.http,
                                                    patience=options.patience))
        except BaseException:
            self.http.close()
            raise

    def tee(self, sink: Sink) -> Sink:
        return TeeSink(sink, self)

    def take(self, w: int) -> None:
        """The line the formatter just made goes to workstation w's batch; a full batch leaves."""
        batch = self.pending[w]
        batch.append(self.format.buffer.pop())
        if len(batch) >= self.options.batch_records:
            self.pending[w] = []
            self.clients[w].add(batch)

    def finish(self) -> dict[str, Any]:
        """Spool the last partial batches, flush every spool once more; what became of the batches."""
        try:
            for w, batch in enumerate(self.pending):
                self.pending[w] = []
                if batch:
                    self.clients[w].spool.add(batch)
            left = 0
            deadline = time.monotonic() + self.options.patience  # one budget for the last flush of all
            for client in self.clients:
                client.patience = max(0.0, deadline - time.monotonic())
                left += client.flush(force=True)
        finally:
            self.http.close()
        totals: dict[str, Any] = {"url": self.options.url, "pilot": self.options.pilot, "workstations":
                                  len(self.clients), "left_in_spool": left,
                                  "closed": any(c.closed for c in self.clients)}
        for name in ("acknowledged", "replayed", "accepted", "duplicated", "rejected", "split", "aside",
                     "dropped", "failed_attempts"):
            totals[name] = sum(getattr(c.tally, name) for c in self.clients)
        totals["problems"] = [p for c in self.clients for p in c.tally.problems]
        return totals


class TeeSink:
    """A file's sink that also hands each record to its workstation's batch."""

    def __init__(self, sink: Sink, reporters: Reporters) -> None:
        self.sink, self.reporters, self.format = sink, reporters, reporters.format

    def prescription(self, eid: str, ts: str, w: int, category: str, pid: str | None) -> None:
        self.sink.prescription(eid, ts, w, category, pid)
        self.format.prescription(eid, ts, w, category, pid)
        self.reporters.take(w)

    def call(self, eid: str, ts: str, w: int, operation: str, pid: str | None, outcome: str,
             status: int | None, code: str | None, duration: int) -> None:
        self.sink.call(eid, ts, w, operation, pid, outcome, status, code, duration)
        self.format.call(eid, ts, w, operation, pid, outcome, status, code, duration)
        self.reporters.take(w)

    def workstation(self, eid: str, ts: str, w: int) -> None:
        self.sink.workstation(eid, ts, w)
        self.format.workstation(eid, ts, w)
        self.reporters.take(w)

    def generic(self, row: dict[str, Any]) -> None:
        self.sink.generic(row)
        self.format.generic(row)
        self.reporters.take(self.reporters.names.get(str(row.get("workstation")), 0))

    def broken(self) -> None:
        self.sink.broken()
        self.format.broken()
        self.reporters.take(0)

    def flush(self) -> None:
        self.sink.flush()

    def close(self) -> None:
        self.sink.close()
