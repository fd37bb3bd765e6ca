"""Use cases: a vendor declares its présérie (pilot.yaml's content, as JSON or YAML), changes it while drafting,
and anyone who sees it reads it back, whole or, for a CPAM, as its zone.

The declaration is validated by the same model as a pilot folder's (`domain.pilot`); its practitioners become rows
of their own, where the planning, the installations and the trainings are recorded later.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from preserie.adapters.errors import UnusableInput
from preserie.domain.access import Caller, PilotScope, Role, may_see, sees_practitioner
from preserie.domain.lifecycle import DECLARATION_EDITABLE, Status
from preserie.domain.pilot import PilotDeclaration
from preserie.domain.registry import PilotRecord, PractitionerRecord
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry

if TYPE_CHECKING:
    from preserie.domain.source import PilotSource
    from preserie.services.check import FolderCheck

DECLARED = ("situation", "health_center", "specialty", "practice", "cpam", "equipped")


def validated(content: Any) -> PilotDeclaration:
    """The declaration, or a 422 listing every field to fix."""
    if not isinstance(content, dict):
        raise RegistryError("INVALID_DECLARATION", "un objet (clé: valeur) est attendu")
    content = {"schema": "preserie.pilot/1", **content}
    try:
        return PilotDeclaration.model_validate(content)
    except ValidationError as error:
        from preserie.adapters.pilot_folder import explain

        details = [{"field": ".".join(str(k) for k in e["loc"]).replace("schema_", "schema") or None,
                    "message": explain(e)} for e in error.errors(include_url=False)]
        first = details[0]
        raise RegistryError("INVALID_DECLARATION", f"{first['field']} : {first['message']}" if first["field"]
                            else first["message"], field=first["field"], details=details) from None


def _stored(declaration: PilotDeclaration) -> dict[str, Any]:
    """What the pilots table keeps: the declaration without its practitioners, its installations and meeting."""
    data = declaration.model_dump(mode="json", by_alias=True, exclude_none=True)
    for key in ("practitioners", "launch_meeting", "reduced_minimum"):
        data.pop(key, None)
    return data


def _practitioner_rows(declaration: PilotDeclaration) -> list[dict[str, Any]]:
    return [{"ref": p.id, **{name: getattr(p, name) for name in DECLARED}, "installed_on": p.installed_on,
             "trained_on": p.trained_on} for p in declaration.practitioners]


def declaring(caller: Caller) -> None:
    """Whether the caller may declare a présérie (a vendor), or the 403 that says who may."""
    if caller.role != Role.VENDOR:
        raise RegistryError("FORBIDDEN_ROLE", "déclarer une présérie : réservé aux éditeurs")


def _vendor_of(caller: Caller, declaration: PilotDeclaration) -> None:
    declaring(caller)
    if declaration.vendor != caller.vendor:
        raise RegistryError("INVALID_DECLARATION", f"vendor : « {declaration.vendor} » n'est pas l'éditeur de "
                            f"votre compte (« {caller.vendor} »)", field="vendor")


def _new_key() -> str:
    """A pilot's public id: 16 hexadecimal characters, at least one a letter (Spark reads a partition value made of
    digits only as a number: docs/decisions/0003-trace-segments.md)."""
    while True:
        key = secrets.token_hex(8)
        if not key.isdigit():
            return key


def create(registry: Registry, caller: Caller, content: Any, *, status: Status = Status.DRAFT) -> PilotRecord:
    declaration = validated(content)
    _vendor_of(caller, declaration)
    return insert(registry, caller, declaration, status=status)


def insert(registry: Registry, caller: Caller | None, declaration: PilotDeclaration, *,
           status: Status = Status.DRAFT, event: str = "created") -> PilotRecord:
    now = registry.now()
    key = _new_key()
    with registry.repo.writing() as conn:
        pilot_id = registry.repo.add_pilot(conn, key=key, ref=declaration.id, vendor=declaration.vendor,
                                           status=status.value, phase=1, declaration=_stored(declaration),
                                           reduced_minimum=declaration.reduced_minimum, created_at=now,
                                           updated_at=now)
        registry.repo.add_phase(conn, pilot_id, 1, declaration.software.version, now)
        registry.repo.add_practitioners(conn, pilot_id, 1, _practitioner_rows(declaration))
        if declaration.launch_meeting is not None:
            registry.repo.add_meeting(conn, pilot_id, held_on=declaration.launch_meeting, participants=[],
                                      recorded_by=caller.account_id if caller else 0, recorded_at=now)
        registry.repo.add_history(conn, pilot_id, at=now, account_id=caller.account_id if caller else None,
                                  event=event, to_status=status.value)
    found = registry.repo.pilot(key)
    assert found is not None
    return found


def editable(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    """The pilot whose declaration the caller may change now (its vendor, while drafting)."""
    return registry.writable(caller, key, DECLARATION_EDITABLE, "modifier la déclaration")


def update(registry: Registry, caller: Caller, key: str, content: Any) -> PilotRecord:
    """Replace the declaration of a draft; what was recorded of a practitioner still declared is kept."""
    pilot = editable(registry, caller, key)
    declaration = validated(content)
    _vendor_of(caller, declaration)
    known = {p.ref: p for p in registry.repo.practitioners(pilot.id)}
    with registry.repo.writing() as conn:
        registry.repo.set_pilot(conn, pilot.id, ref=declaration.id, declaration=_stored(declaration))
        registry.repo.set_phase_version(conn, pilot.id, 1, declaration.software.version)
        registry.repo.remove_practitioners(conn, pilot.id, 1)
        rows = []
        for row in _practitioner_rows(declaration):
            earlier = known.get(row["ref"])
            kept = {} if earlier is None else {name: getattr(earlier, name) for name in (
                "agreement_on", "compatibility_checked_on", "compatible", "compatibility_note",
                "planned_installation_on", "planned_training_on")}
            rows.append({**row, **kept})
        registry.repo.add_practitioners(conn, pilot.id, 1, rows)
        registry.record(conn, pilot, caller, "declaration_updated")
    found = registry.repo.pilot(key)
    assert found is not None
    return found


def check_typed(registry: Registry, caller: Caller, content: Any, key: str | None = None) -> FolderCheck:
    """The dossier checks of a declaration as the vendor typed it, nothing saved: validated as `create` and
    `update` validate it (the same 422), checked with the pilot's files (``key``: a draft being changed) as
    `GET …/checks` checks the saved one."""
    from preserie.adapters.registry_source import RegistryPilotSource
    from preserie.services.check import check_source, with_declaration

    declaration = validated(content)
    _vendor_of(caller, declaration)
    typed = {"schema": "preserie.pilot/1", **content}
    if key is None:
        source: PilotSource = RegistryPilotSource(label=f"présérie {declaration.id}", declaration=typed,
                                                  trace_files=[], registrations=None, anomalies=[], answers=[])
    else:
        from preserie.services.bilan import source as registered

        source = with_declaration(registered(registry, editable(registry, caller, key)), typed)
    try:
        return check_source(source)
    except UnusableInput as error:
        raise RegistryError("INPUT_UNUSABLE", str(error)) from None


def set_module(registry: Registry, caller: Caller, key: str, module_id: int) -> PilotRecord:
    """Which of the vendor's e-prescription modules the pilot's software uses: a validated présérie then covers
    every product of the vendor built on it for the same doctors (seed, « Bilan »)."""
    pilot = registry.writable(caller, key, [s for s in Status if s != Status.DEPLOYED], "choisir le module")
    if not any(m["id"] == module_id for m in registry.repo.modules(pilot.vendor)):
        raise RegistryError("NOT_FOUND", f"aucun module n° {module_id} de votre éditeur", field="module_id")
    with registry.repo.writing() as conn:
        registry.repo.set_pilot(conn, pilot.id, module_id=module_id)
        registry.record(conn, pilot, caller, "module_chosen", detail=f"module n° {module_id}")
    found = registry.repo.pilot(key)
    assert found is not None
    return found


def listed(registry: Registry, caller: Caller) -> list[PilotRecord]:
    return [pilot for pilot, zones in registry.repo.pilots()
            if may_see(caller, PilotScope(pilot.vendor, pilot.status, zones))]


def practitioners(registry: Registry, caller: Caller, pilot: PilotRecord) -> list[PractitionerRecord]:
    """The pilot's practitioners the caller sees (a CPAM: its zone's)."""
    return [p for p in registry.repo.practitioners(pilot.id) if sees_practitioner(caller, p.cpam)]


def declaration(registry: Registry, pilot: PilotRecord, phase: int | None = None) -> dict[str, Any]:
    """pilot.yaml's content as the registry knows it now, for a phase (default: the current one): the phase's
    software version, the practitioners enrolled up to it, the launch meeting, and the Cnam's decision on the
    reduced minimum (false when it has not decided: in the registry the reduced minimum is never automatic)."""
    number = phase or pilot.phase
    content = {"schema": "preserie.pilot/1", **pilot.declaration}
    version = next((p.software_version for p in registry.repo.phases(pilot.id) if p.number == number), None)
    if version is not None:
        content["software"] = {**content["software"], "version": version}
    meetings = registry.repo.meetings(pilot.id)
    if meetings:
        content["launch_meeting"] = meetings[0].held_on.isoformat()
    content["practitioners"] = [p.declared() for p in registry.repo.practitioners(pilot.id) if p.phase <= number]
    content["reduced_minimum"] = bool(pilot.reduced_minimum)
    return content


def phase_of(pilot: PilotRecord, phase: int | None) -> int:
    if phase is None:
        return pilot.phase
    if not 1 <= phase <= pilot.phase:
        raise RegistryError("NOT_FOUND", f"phase {phase} : la présérie en a {pilot.phase}", field="phase")
    return phase


def today(registry: Registry) -> dt.date:
    return registry.now().date()
