"""Routes of the collector: workstations enrolled with their token, and the batches of trace records they post
(`POST /pilots/{pilot}/traces`, JSON Lines, gzip accepted; the contract in docs/registry-api.md)."""

from __future__ import annotations

import asyncio
import zlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from preserie.api.deps import CallerDep, RegistryDep
from preserie.api.follow_up import PractitionerRef, _bytes, _raw
from preserie.api.schemas import error_responses
from preserie.services import collector
from preserie.services.collector_intake import Intake
from preserie.services.errors import RegistryError

router = APIRouter(prefix="/api/v1/pilots/{pilot}", tags=["collecteur"])
MAX_BATCH_BYTES = 16 * 1024 * 1024  # decompressed
MAX_LINE_BYTES = 1024 * 1024
MEDIA_TYPES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
WorkstationId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("/practitioners/{ref}/workstations", status_code=201, summary="Inscrire un poste : son jeton (montré "
             "une fois)")
def enrol(pilot: str, ref: PractitionerRef, request: Request, registry: RegistryDep,
          caller: CallerDep) -> dict[str, Any]:
    return collector.enrol(registry, caller, pilot, ref, request.app.state.secret)


@router.get("/workstations", summary="Les postes inscrits (une CPAM : ceux de sa zone), leur dernier lot")
def workstations(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[dict[str, Any]]:
    return collector.workstations(registry, caller, pilot)


@router.get("/watch", summary="Les postes silencieux depuis 2 jours ouvrés (ou plus)")
def watch(pilot: str, registry: RegistryDep, caller: CallerDep) -> dict[str, Any]:
    return collector.watch(registry, caller, pilot)


@router.delete("/workstations/{workstation}", status_code=204, summary="Révoquer le jeton d'un poste (éditeur ou "
               "Cnam)")
def revoke(pilot: str, workstation: WorkstationId, request: Request, registry: RegistryDep,
           caller: CallerDep) -> Response:
    collector.revoke(registry, caller, pilot, workstation)
    request.app.state.workstation_tokens.forget(workstation)
    return Response(status_code=204)


def _workstation(request: Request) -> collector.Workstation:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not scheme:
        raise RegistryError("AUTH_REQUIRED")
    if scheme.lower() != "bearer" or not token.strip():
        raise RegistryError("AUTH_TOKEN_INVALID")
    state = request.app.state
    return collector.workstation_of(state.registry, state.secret, token.strip(), state.workstation_tokens)


def intake(state: State) -> Intake:
    """The app's intake of batches (made at the first batch: the registry is built at start-up)."""
    if state.intake is None:
        settings = state.settings
        state.intake = Intake(state.registry, checks=settings.collector_checks,
                              check_process=settings.collector_check_process)
    made: Intake = state.intake
    return made


def _decompressed(data: bytes, encoding: str) -> bytes:
    if encoding in ("", "identity"):
        if len(data) > MAX_BATCH_BYTES:
            raise RegistryError("REQUEST_TOO_LARGE", "16 Mio au plus une fois décompressé")
        return data
    if encoding != "gzip":
        raise RegistryError("UNSUPPORTED_MEDIA_TYPE", f"Content-Encoding « {encoding[:40]} » : gzip seulement")
    inflater = zlib.decompressobj(wbits=31)
    try:
        body = inflater.decompress(data, MAX_BATCH_BYTES + 1)
    except zlib.error:
        raise RegistryError("MALFORMED_REQUEST", "corps annoncé gzip, mais pas au format gzip") from None
    if len(body) > MAX_BATCH_BYTES:
        raise RegistryError("REQUEST_TOO_LARGE", "16 Mio au plus une fois décompressé")
    if not inflater.eof or inflater.unused_data:
        raise RegistryError("MALFORMED_REQUEST", "flux gzip tronqué ou suivi d'autres octets")
    return body


def _body(data: bytes, encoding: str) -> bytes:
    """The batch decompressed, its lines within the bound."""
    body = _decompressed(data, encoding)
    if len(body) > MAX_LINE_BYTES:  # a shorter body has no line too long
        _check_lines(body)
    return body


def _check_lines(body: bytes) -> None:
    start = 0
    while start < len(body):
        end = body.find(b"\n", start)
        end = len(body) if end < 0 else end
        if end - start > MAX_LINE_BYTES:
            line = body.count(b"\n", 0, start) + 1
            raise RegistryError("REQUEST_TOO_LARGE", f"ligne {line} : 1 Mio au plus par ligne")
        start = end + 1


@router.post("/traces", status_code=201, summary="Envoyer un lot de traces d'un poste (JSON Lines, jeton de poste)",
             responses=error_responses(410, 429),
             openapi_extra=_raw("application/x-ndjson", "des enregistrements de traces (SPEC §4), un par ligne ; "
                                "Content-Encoding: gzip accepté"))
async def traces(pilot: str, request: Request,
                 idempotency_key: Annotated[str | None, Header()] = None) -> JSONResponse:
    workstation = await run_in_threadpool(_workstation, request)
    wait = request.app.state.pace.wait(workstation.id)
    if wait is not None:
        error = RegistryError("TOO_MANY_REQUESTS", f"réessayer dans {wait} s")
        return JSONResponse(error.as_dict(), status_code=error.status, headers={"Retry-After": str(wait)})
    key = collector.check_key(idempotency_key)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media and media not in MEDIA_TYPES:
        raise RegistryError("UNSUPPORTED_MEDIA_TYPE", f"Content-Type « {media[:60]} » : application/x-ndjson attendu")
    data = await _bytes(request, MAX_BATCH_BYTES)
    body = await run_in_threadpool(_body, data, request.headers.get("content-encoding", "").strip().lower())
    # stored with the batches that arrive with it, answered once its own segment and row are durable
    answer = await asyncio.wrap_future(intake(request.app.state).submit(workstation, key, pilot, body))
    return JSONResponse(answer.body, status_code=answer.status)
