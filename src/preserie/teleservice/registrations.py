"""The sandbox as the national registry: ``registrations.csv`` (SPEC §4) from its database.

An e-prescription is registered when a create stored it, which the journal shows as the one create call answered
201 with its id (a replay with the same Idempotency-Key answers 201 again with the same id and stores nothing);
``registered_at`` is its creation, in Europe/Paris time with its offset, as the traces are. The sandbox's clock
is the real one: a simulated pilot's traces carry the simulated calendar, its registrations the day the sandbox
answered. The registry registers what was stored, except the share a fault profile has it reject
(``registry_rejects``): those are ``rejected``, with their code.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from preserie.teleservice.settings import database_url
from preserie.teleservice.store import SqlPrescriptionStore

HEADER = ("prescription_id", "practitioner", "registered_at", "status", "reject_code")
PARIS = ZoneInfo("Europe/Paris")


def write_registrations(store: SqlPrescriptionStore, out: TextIO, *, since: datetime | None = None,
                        practitioners: Iterable[str] = ()) -> int:
    """Write registrations.csv to ``out`` (created from ``since`` on, by ``practitioners`` when given); return
    the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = 0
    for prescription_id, practitioner, at, status, reject_code in store.registrations(
            since=since, practitioners=tuple(practitioners)):
        writer.writerow((prescription_id, practitioner, at.astimezone(PARIS).isoformat(timespec="seconds"),
                         status, reject_code or ""))
        rows += 1
    return rows


def export_registrations(database: str, out: TextIO, *, since: datetime | None = None,
                         practitioners: Iterable[str] = ()) -> int:
    """``write_registrations`` from the sandbox database at ``database`` (a SQLite file or a SQLAlchemy URL)."""
    store = SqlPrescriptionStore(database_url(database))
    try:
        return write_registrations(store, out, since=since, practitioners=practitioners)
    finally:
        store.close()
