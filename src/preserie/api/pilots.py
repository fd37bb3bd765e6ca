"""Routes: the pilots and their life cycle (declare, change, send, accept or send back, launch, deploy)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from preserie.adapters.errors import UnusableInput
from preserie.api.deps import CallerDep, RegistryDep
from preserie.api.schemas import (
    Acceptance,
    HistoryPublic,
    LaunchMeeting,
    ModuleChoice,
    PilotPublic,
    Reason,
    SoftwareVersion,
)
from preserie.domain.access import sees_whole_pilot
from preserie.services import follow_up, pilots, steps
from preserie.services.check import check_source
from preserie.services.errors import RegistryError

router = APIRouter(prefix="/api/v1/pilots", tags=["présérie"])
MAX_DECLARATION_BYTES = 1024 * 1024
PILOT_BODY = {"requestBody": {"required": True, "content": {
    "application/json": {"schema": {"type": "object", "description": "le contenu de pilot.yaml"}},
    "application/yaml": {"schema": {"type": "string", "description": "pilot.yaml tel quel"}}}}}


MAX_YAML_NODES = 100_000


def _expanded_size(root: Any) -> int:
    """How many nodes the YAML tree has with its aliases expanded, counted up to just past the limit."""
    count, stack = 0, [root] if root is not None else []
    while stack and count <= MAX_YAML_NODES:
        node = stack.pop()
        count += 1
        if isinstance(node.value, list):
            stack.extend(item for pair in node.value for item in (pair if isinstance(pair, tuple) else (pair,)))
    return count


async def _declaration(request: Request) -> Any:
    """pilot.yaml's content from a JSON or YAML body."""
    body = await request.body()
    if len(body) > MAX_DECLARATION_BYTES:
        raise RegistryError("REQUEST_TOO_LARGE", f"{MAX_DECLARATION_BYTES // 1024} Kio au plus")
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RegistryError("MALFORMED_REQUEST", "corps illisible : UTF-8 attendu") from None
    if kind in ("application/yaml", "application/x-yaml", "text/yaml"):
        from preserie.adapters.pilot_folder import parse_yaml

        try:
            data, root = parse_yaml(text)
        except UnusableInput as error:
            raise RegistryError("MALFORMED_REQUEST", str(error).replace("pilot.yaml, ", "", 1)) from None
        if _expanded_size(root) > MAX_YAML_NODES:  # aliases of aliases: a few bytes that expand a billion-fold
            raise RegistryError("MALFORMED_REQUEST", f"YAML : plus de {MAX_YAML_NODES} valeurs une fois ses alias "
                                "développés")
        return data
    if kind != "application/json":
        raise RegistryError("UNSUPPORTED_MEDIA_TYPE", "application/json ou application/yaml")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise RegistryError("MALFORMED_REQUEST", "corps JSON illisible") from None


@router.get("", summary="Les préséries que vous voyez")
def list_pilots(registry: RegistryDep, caller: CallerDep) -> list[PilotPublic]:
    return [PilotPublic.of(p) for p in pilots.listed(registry, caller)]


@router.post("", status_code=201, summary="Déclarer une présérie (contenu de pilot.yaml)", openapi_extra=PILOT_BODY)
async def create_pilot(request: Request, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    content = await _declaration(request)
    return PilotPublic.of(pilots.create(registry, caller, content))


@router.get("/{pilot}", summary="Une présérie")
def get_pilot(pilot: str, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(registry.visible(caller, pilot))


@router.put("/{pilot}", summary="Remplacer la déclaration (en préparation)", openapi_extra=PILOT_BODY)
async def replace_pilot(pilot: str, request: Request, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    content = await _declaration(request)
    return PilotPublic.of(pilots.update(registry, caller, pilot, content))


@router.get("/{pilot}/declaration", summary="La déclaration (pilot.yaml) telle que le registre la connaît")
def get_declaration(pilot: str, registry: RegistryDep, caller: CallerDep, phase: int | None = None) -> dict[str, Any]:
    record = registry.whole(caller, pilot)
    return pilots.declaration(registry, record, pilots.phase_of(record, phase))


@router.get("/{pilot}/checks", summary="Les contrôles du dossier, en direct pendant la préparation")
def get_checks(pilot: str, registry: RegistryDep, caller: CallerDep) -> dict[str, Any]:
    from preserie.services.bilan import source

    record = registry.whole(caller, pilot)
    try:
        result = check_source(source(registry, record))
    except UnusableInput as error:
        raise RegistryError("INPUT_UNUSABLE", str(error)) from None
    return result.as_dict()


@router.post("/{pilot}/submit", summary="Envoyer au GIE SESAM-Vitale et à la Cnam")
def submit(pilot: str, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(steps.submit(registry, caller, pilot))


@router.post("/{pilot}/return", summary="Renvoyer à l'éditeur (Cnam)")
def send_back(pilot: str, body: Reason, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(steps.send_back(registry, caller, pilot, body.reason))


@router.post("/{pilot}/accept", summary="Accepter et informer les CPAM (Cnam)")
def accept(pilot: str, body: Acceptance, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(steps.accept(registry, caller, pilot, reduced_minimum=body.reduced_minimum))


@router.post("/{pilot}/launch-meeting", summary="Enregistrer la réunion de lancement (Cnam)")
def launch(pilot: str, body: LaunchMeeting, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(steps.launch(registry, caller, pilot, body.held_on,
                                       [p.model_dump() for p in body.participants]))


@router.put("/{pilot}/software-version", summary="Version du logiciel de la phase en cours (éditeur)")
def software_version(pilot: str, body: SoftwareVersion, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    follow_up.set_version(registry, caller, pilot, body.software_version)
    return PilotPublic.of(registry.visible(caller, pilot))


@router.put("/{pilot}/module", summary="Le module d'ordonnance numérique du logiciel de la présérie (éditeur)")
def module(pilot: str, body: ModuleChoice, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(pilots.set_module(registry, caller, pilot, body.module_id))


@router.post("/{pilot}/deployment", summary="Lancer la généralisation (après la décision de la Cnam)")
def deployment(pilot: str, registry: RegistryDep, caller: CallerDep) -> PilotPublic:
    return PilotPublic.of(steps.kick_off(registry, caller, pilot))


@router.get("/{pilot}/phases", summary="Les phases de la présérie")
def phases(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[dict[str, Any]]:
    record = registry.visible(caller, pilot)
    return [p.__dict__ for p in registry.repo.phases(record.id)]


@router.get("/{pilot}/history", summary="L'historique : qui, quand, de quel état à quel état")
def history(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[HistoryPublic]:
    record = registry.visible(caller, pilot)
    entries = registry.repo.history(record.id)
    if not sees_whole_pilot(caller):  # a CPAM sees the steps, not the details that name other zones' doctors
        entries = [e for e in entries if e.to_status is not None]
    return [HistoryPublic.of(e) for e in entries]
