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
import io
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, TextIO
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response

from preserie.teleservice.catalogue import REGISTRY_READER, TeleserviceError
from preserie.teleservice.ports import PrescriptionStore
from preserie.teleservice.routes import CallerDep, StoreDep
from preserie.teleservice.schemas import ErrorPublic
from preserie.teleservice.settings import database_url
from preserie.teleservice.store import SqlPrescriptionStore
from preserie.teleservice.tokens import PROFESSIONAL_ID

HEADER = ("prescription_id", "practitioner", "registered_at", "status", "reject_code")
PARIS = ZoneInfo("Europe/Paris")


def write_registrations(store: PrescriptionStore, out: TextIO, *, since: datetime | None = None,
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


# ── over HTTP: GET /v1/registrations, for the registry's reader ──────────────────────────────────────────────
router = APIRouter(prefix="/v1", tags=["registre"])
_RPPS = "^[0-9A-Za-z-]{1,32}$"  # a professional's id, as tokens carry it (tokens.PROFESSIONAL_ID)


@router.get("/registrations", name="registrations", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}},
                             "description": "registrations.csv : prescription_id, practitioner, registered_at, "
                                            "status, reject_code."},
                       400: {"description": "Requête illisible par le serveur HTTP (adresse trop longue…)."},
                       401: {"model": ErrorPublic}, 403: {"model": ErrorPublic}, 422: {"model": ErrorPublic},
                       503: {"model": ErrorPublic}})
def registrations(
    caller: CallerDep, store: StoreDep,
    since: Annotated[datetime | None, Query(description="Seulement les créations à partir de cet instant (ISO "
                                                        "8601 ; heure de Paris si sans décalage).")] = None,
    practitioner: Annotated[list[str] | None, Query(max_length=100, description="Seulement ces prescripteurs "
                                                    "(paramètre répétable, 100 au plus).",
                                                    json_schema_extra={"items": {"pattern": _RPPS,
                                                                                 "maxLength": 32}})] = None,
) -> Response:
    """L'extrait du registre national (registrations.csv), pour le lecteur du registre (rôle `registry`, la Cnam en
    répétition) : chaque ordonnance qu'une création acceptée a stockée, enregistrée ou rejetée avec son code."""
    if caller.role != REGISTRY_READER:
        raise TeleserviceError("ROLE_NOT_ALLOWED", caller.role)
    chosen = practitioner or []
    wrong = next((p for p in chosen if not PROFESSIONAL_ID.fullmatch(p)), None)
    if wrong is not None:
        raise TeleserviceError("INVALID_REQUEST", "practitioner : 1 à 32 lettres, chiffres ou tirets")
    start = since.replace(tzinfo=PARIS) if since is not None and since.tzinfo is None else since
    out = io.StringIO()
    write_registrations(store, out, since=start, practitioners=chosen)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
