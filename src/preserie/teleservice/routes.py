"""The operations under ``/v1``: create, consult, search, dispense, the QR code and the FHIR view of a prescription.

Access rules: a prescriber creates, searches and consults their own prescriptions, with the dispensing unless the
patient objected; a prescribed professional (pharmacist, nurse, …) consults any prescription from its id (the QR
code) and dispenses those of its profession. Anyone else gets 404, never 403, so that no answer tells whether an
id exists. A prescribed professional who searches gets 403 ``ROLE_NOT_ALLOWED``: search is an operation of the
prescriber, and refusing it by role says nothing about any prescription.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from preserie.domain.identifiers import check_nir
from preserie.teleservice.catalogue import (
    IN_SCOPE_CATEGORIES,
    MAX_PAGE_SIZE,
    OUT_OF_SCOPE_CATEGORIES,
    PRESCRIBER,
    REGISTRY_READER,
    TeleserviceError,
)
from preserie.teleservice.ids import prescription_id_problem
from preserie.teleservice.limits import MAX_BODY_BYTES
from preserie.teleservice.ports import PrescriptionStore
from preserie.teleservice.qr import qr_png, qr_svg
from preserie.teleservice.records import PrescriptionRecord, SearchQuery
from preserie.teleservice.rules import refuse_if_gone
from preserie.teleservice.schemas import (
    CATEGORY_ENUM,
    NIR_PATTERN,
    DispensationCreate,
    ErrorPublic,
    IsoDay,
    PrescriptionCreate,
    PrescriptionCreated,
    PrescriptionPublic,
    SearchPage,
)
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import request_hash
from preserie.teleservice.tokens import Caller, verify_token
from preserie.teleservice.views import PARIS, as_of, draft_of, public, today_in_paris

T = TypeVar("T")
Status = Literal["issued", "partially_dispensed", "dispensed", "cancelled", "expired"]  # records.STATUSES
_bearer = HTTPBearer(auto_error=False, description="Jeton signé tenant lieu de la carte CPS / Pro Santé Connect "
                                                   "(`preserie teleservice token`).")


# What any operation may answer besides its own errors: a refused token, an invalid request, and the failures of
# the service itself (a database down: 503; under a fault profile also 408, 429 with Retry-After, 500, 503, 504).
_SERVICE_FAILURES = {408: "Délai dépassé (profil de pannes).", 429: "Trop de requêtes : voir Retry-After (profil de "
                     "pannes).", 500: "Erreur interne.", 503: "Service ou base de données indisponible.",
                     504: "Le service n'a pas répondu à temps (profil de pannes)."}


def _errors(*statuses: int, body: bool = False) -> dict[int | str, dict[str, Any]]:
    """The errors of an operation; 413 for those that take a body."""
    if body:
        statuses = (*statuses, 413)
    declared: dict[int | str, dict[str, Any]] = {status: {"model": ErrorPublic} for status in (401, 422, *statuses)}
    for status, description in _SERVICE_FAILURES.items():
        declared[status] = {"model": ErrorPublic, "description": description}
    return declared


async def get_store(request: Request) -> PrescriptionStore:
    store: PrescriptionStore = request.app.state.store
    return store


async def get_caller(request: Request,
                     credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Caller:
    if credentials is None:
        raise TeleserviceError("AUTH_TOKEN_INVALID" if request.headers.get("authorization") else "AUTH_TOKEN_MISSING")
    settings: Settings = request.app.state.settings
    caller = verify_token(settings.secret, credentials.credentials)
    request.state.caller = caller
    return caller


async def on_store(request: Request, work: Callable[[], T]) -> T:
    """Run ``work``, an operation's statements: on the event loop, as each takes well under a millisecond on the
    sandbox's database and a hop to a worker thread cost more than that (decision 0007, « Throughput »); in a
    worker thread when a fault profile slows the database (``database_latency_ms``), so that calls wait side by
    side as they would on a distant database, not one after another."""
    if request.app.state.store_in_threads:
        return await run_in_threadpool(work)
    return work()


StoreDep = Annotated[PrescriptionStore, Depends(get_store)]
CallerDep = Annotated[Caller, Depends(get_caller)]
# Its rule (_check_idempotency_key) published; checked by the sandbox, which answers INVALID_IDEMPOTENCY_KEY (400).
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", json_schema_extra={
    "minLength": 1, "maxLength": 128, "pattern": "^[\\x20-\\x7e]+$"})]
# The cap of middleware.LimitBody, on each operation that takes a body.
BODY = {"requestBody": {"x-max-body-bytes": MAX_BODY_BYTES, "description": (
    f"{MAX_BODY_BYTES // 1024} Kio au plus ({MAX_BODY_BYTES} octets) : au-delà, 413 REQUEST_TOO_LARGE.")}}
router = APIRouter(prefix="/v1", tags=["prescriptions"])


def _require_prescriber(caller: Caller) -> None:
    if caller.role != PRESCRIBER:
        raise TeleserviceError("ROLE_NOT_ALLOWED", caller.role)


def _check_category(category: str) -> None:
    if category in OUT_OF_SCOPE_CATEGORIES:
        raise TeleserviceError("CATEGORY_OUT_OF_SCOPE", category)
    if category not in IN_SCOPE_CATEGORIES:
        raise TeleserviceError("UNKNOWN_CATEGORY", f"attendu : {', '.join(IN_SCOPE_CATEGORIES)}")


def _check_nir(nir: str) -> None:
    check = check_nir(nir)
    if not check.valid:
        raise TeleserviceError("INVALID_NIR", check.reason)
    if check.value != nir:  # a person's spacing is forgiven on screens; a client sends the NIR as the schema says
        raise TeleserviceError("INVALID_NIR", "15 caractères sans espace ni point attendus (motif du schéma)")


def _check_idempotency_key(key: str | None) -> None:
    if key is not None and not (0 < len(key) <= 128 and key.isascii() and key.isprintable()):
        raise TeleserviceError("INVALID_IDEMPOTENCY_KEY")


@router.post("/prescriptions", status_code=201, name="create", responses=_errors(400, 403, 409, body=True),
             openapi_extra=BODY)
async def create_prescription(body: PrescriptionCreate, caller: CallerDep, store: StoreDep, request: Request,
                              response: Response, idempotency_key: IdempotencyKey = None) -> PrescriptionCreated:
    """Créer une e-prescription ; une nouvelle tentative avec la même Idempotency-Key rend le premier résultat."""
    _require_prescriber(caller)
    _check_idempotency_key(idempotency_key)
    _check_id(body.id)
    _check_category(body.category)
    _check_nir(body.patient_nir)
    faults = request.app.state.faults  # the registry's rejections are a rehearsal setting of the fault profile
    draft, body_hash = draft_of(body, caller.id), request_hash(body.model_dump_json())
    prescription_id, replayed = await on_store(request, lambda: store.create(
        draft, today=today_in_paris(), key=idempotency_key, body_hash=body_hash,
        registry=faults.registry_verdict if faults else None))
    request.state.prescription_id = prescription_id
    url = f"/v1/prescriptions/{prescription_id}"
    response.headers["Location"] = url
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return PrescriptionCreated(id=prescription_id, url=url, qr_svg=qr_svg(prescription_id),
                               qr_svg_url=f"{url}/qr.svg", qr_png_url=f"{url}/qr.png")


def _check_id(prescription_id: str) -> None:
    """A mistyped id (its check character, lower case, its length) is refused for what it is, before any read:
    the answer depends on the text alone, so it says nothing of which prescriptions exist."""
    problem = prescription_id_problem(prescription_id)
    if problem is not None:
        raise TeleserviceError("INVALID_PRESCRIPTION_ID", problem)


def _well_formed(prescription_id: str, request: Request) -> None:
    """An id that cannot be one is INVALID_PRESCRIPTION_ID; a well-formed one goes to the journal."""
    _check_id(prescription_id)
    request.state.prescription_id = prescription_id


async def visible(store: PrescriptionStore, caller: Caller, prescription_id: str,
                  request: Request) -> PrescriptionRecord:
    """The prescription as ``caller`` may read it today: a prescriber their own, a prescribed professional any
    whose id they have, unless it is cancelled or expired (410: gone for whoever would carry it out)."""
    if caller.role == REGISTRY_READER:
        raise TeleserviceError("ROLE_NOT_ALLOWED", caller.role)
    _well_formed(prescription_id, request)
    found = await on_store(request, lambda: store.get(prescription_id))
    if found is None or (caller.role == PRESCRIBER and found.prescriber_id != caller.id):
        raise TeleserviceError("PRESCRIPTION_NOT_FOUND")
    record = as_of(found, today_in_paris())
    if caller.role != PRESCRIBER:
        refuse_if_gone(record.status)
    return record


@router.get("/prescriptions/{prescription_id}", name="consult", responses=_errors(400, 403, 404, 410))
async def consult_prescription(prescription_id: str, caller: CallerDep, store: StoreDep,
                               request: Request) -> PrescriptionPublic:
    """Consulter une prescription : le prescripteur les siennes, le professionnel prescrit toute prescription
    dont il a l'identifiant."""
    return public(await visible(store, caller, prescription_id, request), caller)


@router.post("/prescriptions/{prescription_id}/cancel", name="cancel", responses=_errors(400, 403, 404, 409, 410))
async def cancel_prescription(prescription_id: str, caller: CallerDep, store: StoreDep,
                              request: Request) -> PrescriptionPublic:
    """Annuler sa prescription avant toute délivrance (prescripteur seulement) ; l'annuler de nouveau ne change
    rien. Annulée, elle répond 410 PRESCRIPTION_CANCELLED au professionnel prescrit."""
    _require_prescriber(caller)
    _well_formed(prescription_id, request)
    return public(await on_store(request, lambda: store.cancel(prescription_id, caller.id, today_in_paris())), caller)


@router.get("/prescriptions/{prescription_id}/qr.svg", name="qr", responses=_errors(400, 403, 404, 410),
            response_class=Response)
async def prescription_qr_svg(prescription_id: str, caller: CallerDep, store: StoreDep,
                              request: Request) -> Response:
    """Le QR code en SVG, l'identifiant imprimé dessous."""
    record = await visible(store, caller, prescription_id, request)
    return Response(qr_svg(record.id), media_type="image/svg+xml")


@router.get("/prescriptions/{prescription_id}/qr.png", name="qr", responses=_errors(400, 403, 404, 410),
            response_class=Response)
async def prescription_qr_png(prescription_id: str, caller: CallerDep, store: StoreDep,
                              request: Request) -> Response:
    """Le QR code en PNG."""
    record = await visible(store, caller, prescription_id, request)
    return Response(qr_png(record.id), media_type="image/png")


def _paris_day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=PARIS)


@router.get("/prescriptions", name="search", responses=_errors(403))
async def search_prescriptions(
    caller: CallerDep, store: StoreDep, request: Request,
    patient: Annotated[str | None, Query(max_length=32, json_schema_extra={"pattern": NIR_PATTERN},
                                         description="NIR du patient.")] = None,
    start: Annotated[IsoDay | None, Query(alias="from", description="Premier jour (heure de Paris), inclus.")] = None,
    end: Annotated[IsoDay | None, Query(alias="to", description="Dernier jour (heure de Paris), inclus.")] = None,
    category: Annotated[str | None, Query(max_length=32, json_schema_extra=CATEGORY_ENUM)] = None,
    status: Annotated[Status | None, Query(
        description="Ne retient que les prescriptions dont la délivrance est visible du prescripteur.")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
) -> SearchPage:
    """Rechercher ses propres prescriptions (prescripteur seulement), par page, les plus récentes d'abord."""
    _require_prescriber(caller)
    if patient is not None:
        _check_nir(patient)
    if category is not None:
        _check_category(category)
    if start and end and start > end:
        raise TeleserviceError("INVALID_DATE_RANGE")
    query = SearchQuery(caller.id, patient, _paris_day_start(start) if start else None,
                        # date.max has no next day (OverflowError, a 500 found by Schemathesis): no upper bound
                        _paris_day_start(end + timedelta(days=1)) if end and end < date.max else None,
                        category, status, page, size, today_in_paris())
    records, total = await on_store(request, lambda: store.search(query))
    items = [public(as_of(record, query.today or record.created_at.date()), caller) for record in records]
    return SearchPage(items=items, total=total, page=page, size=size)


@router.post("/prescriptions/{prescription_id}/dispensations", status_code=201, name="dispense",
             response_model=PrescriptionPublic, responses=_errors(400, 403, 404, 409, 410, body=True),
             openapi_extra=BODY)
async def dispense_prescription(prescription_id: str, body: DispensationCreate, caller: CallerDep,
                                store: StoreDep, request: Request, idempotency_key: IdempotencyKey = None) -> Response:
    """Délivrer tout ou partie des lignes (professionnel prescrit) ; une prescription entièrement délivrée ne
    l'est plus. Une nouvelle tentative avec la même Idempotency-Key ne délivre rien de plus et rend la première
    réponse."""
    if caller.role in (PRESCRIBER, REGISTRY_READER):
        raise TeleserviceError("ROLE_NOT_ALLOWED", caller.role)
    _check_idempotency_key(idempotency_key)
    _well_formed(prescription_id, request)
    given, body_hash = {item.line: item.quantity for item in body.lines}, request_hash(
        f"{prescription_id} {body.model_dump_json()}")
    answer, replayed = await on_store(request, lambda: store.dispense(
        prescription_id, caller.id, caller.role, given, render=lambda record: public(record, caller).model_dump_json(),
        today=today_in_paris(), key=idempotency_key, body_hash=body_hash))
    return Response(answer, status_code=201, media_type="application/json",
                    headers={"Idempotent-Replayed": "true"} if replayed else None)
