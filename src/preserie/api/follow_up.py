"""Routes: practitioners and planning, installations and trainings, anomalies, survey answers, trace files and
the registry's extract."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from preserie.api.deps import CallerDep, RegistryDep
from preserie.api.schemas import (
    AnomalyClose,
    AnomalyCreate,
    AnomalyFix,
    AnomalyPublic,
    Done,
    PractitionerPublic,
    PractitionerUpdate,
    error_responses,
)
from preserie.domain.access import Role
from preserie.services import follow_up, pilots
from preserie.services.errors import RegistryError

router = APIRouter(prefix="/api/v1/pilots/{pilot}", tags=["suivi"])
PractitionerRef = Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,32}$", description="N° AM ou RPPS")]
AnomalyRef = Annotated[str, Path(min_length=1, max_length=64)]
MAX_TRACE_BYTES = 512 * 1024 * 1024
MAX_SIDE_BYTES = 16 * 1024 * 1024


def _raw(kind: str, description: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {kind: {"schema": {"type": "string",
                                                                            "format": "binary"}}},
                            "description": description}}


async def _bytes(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RegistryError("REQUEST_TOO_LARGE", f"{limit // (1024 * 1024)} Mio au plus")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RegistryError("REQUEST_TOO_LARGE", f"{limit // (1024 * 1024)} Mio au plus")
        chunks.append(chunk)
    return b"".join(chunks)


@router.get("/practitioners", summary="Les médecins (une CPAM : ceux de sa zone), avec leur planning")
def list_practitioners(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[PractitionerPublic]:
    record = registry.visible(caller, pilot)
    return [PractitionerPublic.of(p) for p in pilots.practitioners(registry, caller, record)]


@router.get("/planning", summary="Le planning : réunion de lancement, installations et formations prévues et faites")
def planning(pilot: str, registry: RegistryDep, caller: CallerDep) -> dict[str, Any]:
    record = registry.visible(caller, pilot)
    meetings = registry.repo.meetings(record.id)
    fields = ("planned_installation_on", "installed_on", "planned_training_on", "trained_on")
    return {"launch_meeting": None if not meetings else {"held_on": meetings[0].held_on,
                                                         "participants": meetings[0].participants},
            "practitioners": [{"id": p.ref, "cpam": p.cpam, "phase": p.phase,
                               **{name: getattr(p, name) for name in fields}}
                              for p in pilots.practitioners(registry, caller, record)]}


@router.get("/health-centers", summary="Les centres de santé (une CPAM : ceux des médecins de sa zone)")
def health_centers(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[dict[str, Any]]:
    record = registry.visible(caller, pilot)
    seen = {p.health_center for p in pilots.practitioners(registry, caller, record)}
    equipped = {p.health_center for p in pilots.practitioners(registry, caller, record) if p.equipped}
    return [{**centre, "equipped_practitioners": centre["finess"] in equipped}
            for centre in record.declaration.get("health_centers", [])
            if caller.role != Role.CPAM or centre["finess"] in seen]


@router.post("/practitioners", status_code=201, summary="Ajouter un médecin (préparation, ou nouvelle phase)")
def add_practitioner(pilot: str, body: dict[str, Any], registry: RegistryDep, caller: CallerDep) -> PractitionerPublic:
    return PractitionerPublic.of(follow_up.add_practitioner(registry, caller, pilot, dict(body)))


@router.patch("/practitioners/{ref}", summary="Accord de principe, compatibilité du poste, planning")
def update_practitioner(pilot: str, ref: PractitionerRef, body: PractitionerUpdate, registry: RegistryDep,
                        caller: CallerDep) -> PractitionerPublic:
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise RegistryError("INVALID_REQUEST", "aucun champ à modifier")
    return PractitionerPublic.of(follow_up.update_practitioner(registry, caller, pilot, ref, changes))


@router.post("/practitioners/{ref}/installation", summary="Installation faite (le poste est inscrit)")
def installation(pilot: str, ref: PractitionerRef, body: Done, registry: RegistryDep,
                 caller: CallerDep) -> PractitionerPublic:
    return PractitionerPublic.of(follow_up.record_done(registry, caller, pilot, ref, "installation", body.on))


@router.post("/practitioners/{ref}/training", summary="Formation faite")
def training(pilot: str, ref: PractitionerRef, body: Done, registry: RegistryDep,
             caller: CallerDep) -> PractitionerPublic:
    return PractitionerPublic.of(follow_up.record_done(registry, caller, pilot, ref, "training", body.on))


@router.get("/anomalies", summary="Les anomalies (une CPAM : celles de sa zone et celles sans médecin)")
def list_anomalies(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[AnomalyPublic]:
    return [AnomalyPublic.of(a) for a in follow_up.anomalies(registry, caller, registry.visible(caller, pilot))]


@router.post("/anomalies", status_code=201, summary="Ouvrir une anomalie")
def open_anomaly(pilot: str, body: AnomalyCreate, registry: RegistryDep, caller: CallerDep) -> AnomalyPublic:
    return AnomalyPublic.of(follow_up.open_anomaly(registry, caller, pilot, body.model_dump(mode="json")))


@router.post("/anomalies/{ref}/acknowledge", summary="Prendre en compte une anomalie (éditeur)")
def acknowledge(pilot: str, ref: AnomalyRef, registry: RegistryDep, caller: CallerDep) -> AnomalyPublic:
    return AnomalyPublic.of(follow_up.anomaly_step(registry, caller, pilot, ref, "acknowledge"))


@router.post("/anomalies/{ref}/fix", summary="Corriger une anomalie dans une version (éditeur)")
def fix(pilot: str, ref: AnomalyRef, body: AnomalyFix, registry: RegistryDep, caller: CallerDep) -> AnomalyPublic:
    return AnomalyPublic.of(follow_up.anomaly_step(registry, caller, pilot, ref, "fix",
                                                   version=body.fixed_in_version))


@router.post("/anomalies/{ref}/close", summary="Clore une anomalie (éditeur ou Cnam)")
def close(pilot: str, ref: AnomalyRef, body: AnomalyClose, registry: RegistryDep, caller: CallerDep) -> AnomalyPublic:
    return AnomalyPublic.of(follow_up.anomaly_step(registry, caller, pilot, ref, "close", on=body.closed_on))


@router.post("/survey-answers", status_code=201, summary="Importer des réponses au questionnaire (survey.csv)",
             openapi_extra=_raw("text/csv", "survey.csv, séparateur , ou ;"))
async def survey_answers(pilot: str, request: Request, registry: RegistryDep, caller: CallerDep) -> dict[str, int]:
    data = await _bytes(request, MAX_SIDE_BYTES)
    return {"imported": follow_up.import_answers(registry, caller, pilot, data)}


@router.get("/survey-answers", summary="Les réponses au questionnaire (une CPAM : celles de sa zone)")
def list_answers(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[dict[str, Any]]:
    return follow_up.answers(registry, caller, registry.visible(caller, pilot))


@router.post("/trace-files", status_code=201, summary="Importer un fichier de traces (gardé tel quel)",
             responses=error_responses(410),
             openapi_extra=_raw("application/octet-stream", "un fichier .jsonl, .jsonl.gz, .csv ou .parquet"))
async def traces(pilot: str, request: Request, registry: RegistryDep, caller: CallerDep,
                 name: Annotated[str, Query(min_length=1, max_length=200)]) -> dict[str, str]:
    data = await _bytes(request, MAX_TRACE_BYTES)
    return {"segment": follow_up.import_traces(registry, caller, pilot, data, name)}


@router.post("/registrations", status_code=201, summary="Déposer un extrait du registre national (Cnam, GIE) : "
             "fusionné aux précédents par identifiant d'ordonnance",
             openapi_extra=_raw("text/csv", "registrations.csv"))
async def registrations(pilot: str, request: Request, registry: RegistryDep, caller: CallerDep) -> dict[str, int]:
    from preserie.services import registrations as extract

    registry.coordinated(caller, pilot, (Role.CNAM, Role.GIE), "déposer l'extrait du registre national")
    data = await _bytes(request, MAX_TRACE_BYTES)
    return extract.upload(registry, caller, pilot, data).as_dict()


@router.post("/registrations/from-sandbox", status_code=201, summary="Prendre l'extrait du registre au bac à "
             "sable de la répétition (Cnam, GIE) : fusionné aux précédents comme un dépôt",
             responses=error_responses(502))
def registrations_from_sandbox(pilot: str, request: Request, registry: RegistryDep,
                               caller: CallerDep) -> dict[str, int]:
    from functools import partial

    from preserie.adapters.sandbox_registrations import fetch_registrations
    from preserie.services import registrations as extract

    settings = request.app.state.settings
    feed = (partial(fetch_registrations, settings.sandbox_url, settings.sandbox_token)
            if settings.sandbox_url and settings.sandbox_token else None)
    return extract.pull(registry, caller, pilot, feed).as_dict()


@router.get("/registrations", summary="Les dépôts de l'extrait du registre : fraîcheur de C2")
def registrations_freshness(pilot: str, registry: RegistryDep, caller: CallerDep) -> dict[str, Any]:
    from preserie.services import registrations as extract

    return extract.freshness(registry, registry.visible(caller, pilot))
