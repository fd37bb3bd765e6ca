"""Use cases of a présérie under way: each doctor's agreement and equipment check, the installation planning, the
installations and trainings done (a workstation enrolled at each installation), the anomalies handled reactively,
the survey answers, the trace files and the national registry's extract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from preserie.domain.access import Caller, Role, sees_practitioner
from preserie.domain.feedback import Anomaly
from preserie.domain.lifecycle import FOLLOW_UP_OPEN, PRACTITIONERS_EDITABLE, TRACES_OPEN, Status
from preserie.domain.pilot import Practitioner
from preserie.domain.registry import AnomalyRecord, PilotRecord, PractitionerRecord
from preserie.services.errors import RegistryError
from preserie.services.pilots import DECLARED
from preserie.services.registry import Registry

ENROLMENT = ("agreement_on", "compatibility_checked_on", "compatible", "compatibility_note")
PLANNING = ("planned_installation_on", "planned_training_on")
_BEFORE_SENT = (Status.DRAFT,)


class Enrolment(BaseModel):
    """What the vendor records of a doctor beside the declaration: agreement, equipment check, planning."""

    model_config = ConfigDict(extra="forbid")
    agreement_on: dt.date | None = None
    compatibility_checked_on: dt.date | None = None
    compatible: bool | None = None
    compatibility_note: str | None = None
    planned_installation_on: dt.date | None = None
    planned_training_on: dt.date | None = None


def _invalid(error: ValidationError) -> RegistryError:
    from preserie.adapters.pilot_folder import explain

    first = error.errors(include_url=False)[0]
    field = ".".join(str(k) for k in first["loc"])
    return RegistryError("INVALID_REQUEST", f"{field} : {explain(first)}", field=field)


def _practitioner(registry: Registry, pilot: PilotRecord, ref: str) -> PractitionerRecord:
    found = next((p for p in registry.repo.practitioners(pilot.id) if p.ref == ref), None)
    if found is None:
        raise RegistryError("NOT_FOUND", f"aucun médecin « {ref} » dans cette présérie", field="practitioner")
    return found


def practitioner_editable(registry: Registry, caller: Caller, key: str, ref: str, *,
                          enrolment: bool) -> tuple[PilotRecord, PractitionerRecord]:
    """The pilot and the doctor whose planning (and, with ``enrolment``, agreement and equipment check) the
    caller may change now: the vendor; the planning until the présérie runs, the enrolment of the current
    phase's doctors while practitioners may be added."""
    pilot = registry.writable(caller, key, PRACTITIONERS_EDITABLE if enrolment else (*_BEFORE_SENT, *FOLLOW_UP_OPEN),
                              "modifier un médecin")
    practitioner = _practitioner(registry, pilot, ref)
    if enrolment and practitioner.phase != pilot.phase:
        raise RegistryError("TRANSITION_REFUSED", f"{ref} : l'accord et la vérification d'un médecin d'une phase "
                            "terminée ne changent plus")
    return pilot, practitioner


def practitioners_open(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    """The pilot to which the caller may add a doctor now (its vendor: a draft, or a new phase under way)."""
    return registry.writable(caller, key, PRACTITIONERS_EDITABLE, "ajouter un médecin")


def installations_open(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    """The pilot whose installations and trainings the caller may record now (its vendor, while it runs)."""
    return registry.writable(caller, key, (Status.RUNNING,), "enregistrer une installation ou une formation")


def update_practitioner(registry: Registry, caller: Caller, key: str, ref: str,
                        changes: dict[str, Any]) -> PractitionerRecord:
    """The vendor records a doctor's agreement in principle and equipment check (before sending, or for a new
    phase's doctors), and the planned installation and training dates (forwarded to the CPAMs)."""
    names = set(changes)
    pilot, practitioner = practitioner_editable(registry, caller, key, ref, enrolment=bool(names & set(ENROLMENT)))
    with registry.repo.writing() as conn:
        registry.repo.set_practitioner(conn, practitioner.id, **changes)
        registry.record(conn, pilot, caller, "practitioner_updated", detail=f"{ref} : {', '.join(sorted(names))}")
    return _practitioner(registry, pilot, ref)


def add_practitioner(registry: Registry, caller: Caller, key: str, content: dict[str, Any]) -> PractitionerRecord:
    """A new doctor, in the current phase (a draft's, or the extension to other doctors of a new phase)."""
    pilot = practitioners_open(registry, caller, key)
    extra = {k: content.pop(k) for k in (*ENROLMENT, *PLANNING) if k in content}
    try:
        declared = Practitioner.model_validate(content)
        extra = Enrolment.model_validate(extra).model_dump(exclude_unset=True)
    except ValidationError as error:
        raise _invalid(error) from None
    if any(p.ref == declared.id for p in registry.repo.practitioners(pilot.id)):
        raise RegistryError("ALREADY_EXISTS", f"le médecin {declared.id} est déjà déclaré", field="id")
    row = {"ref": declared.id, **{name: getattr(declared, name) for name in DECLARED}, **extra}
    with registry.repo.writing() as conn:
        registry.repo.add_practitioners(conn, pilot.id, pilot.phase, [row])
        registry.record(conn, pilot, caller, "practitioner_added", detail=f"{declared.id} (phase {pilot.phase})")
    return _practitioner(registry, pilot, declared.id)


def record_done(registry: Registry, caller: Caller, key: str, ref: str, what: str, on: dt.date) -> PractitionerRecord:
    """An installation or a training done. An installation enrols the doctor's workstation: its traces are
    activated as installations go (seed)."""
    pilot = installations_open(registry, caller, key)
    practitioner = _practitioner(registry, pilot, ref)
    if what == "installation":
        missing = [step for step, done in (("l'accord de principe du médecin", practitioner.agreement_on),
                                           ("la vérification de la compatibilité de son poste",
                                            practitioner.compatible)) if not done]
        if not practitioner.equipped:
            missing.append("un médecin déclaré équipé (equipped: true)")
        if missing:
            raise RegistryError("TRANSITION_REFUSED", f"installation de {ref} : demande d'abord "
                                + " et ".join(missing))
    elif practitioner.installed_on is None:
        raise RegistryError("TRANSITION_REFUSED", f"formation de {ref} : demande d'abord son installation")
    column = "installed" if what == "installation" else "trained"
    with registry.repo.writing() as conn:
        registry.repo.set_practitioner(conn, practitioner.id, **{f"{column}_on": on,
                                                                 f"{column}_by": caller.account_id})
        if what == "installation" and practitioner.installed_on is None:
            registry.repo.add_workstation(conn, pilot.id, practitioner_id=practitioner.id, phase=pilot.phase,
                                          enrolled_at=registry.now(), enrolled_by=caller.account_id)
        registry.record(conn, pilot, caller, f"{what}_done", detail=f"{ref} le {on.isoformat()}")
    return _practitioner(registry, pilot, ref)


def set_version(registry: Registry, caller: Caller, key: str, version: str) -> PilotRecord:
    """The software version of the current phase (the vendor's fixes, before a new phase's installations)."""
    pilot = registry.writable(caller, key, (Status.RUNNING,), "changer la version du logiciel")
    if not version.strip() or len(version) > 100:
        raise RegistryError("INVALID_REQUEST", "version : 1 à 100 caractères", field="software_version")
    with registry.repo.writing() as conn:
        registry.repo.set_phase_version(conn, pilot.id, pilot.phase, version.strip())
        registry.record(conn, pilot, caller, "version_changed", detail=f"phase {pilot.phase} : {version.strip()}")
    return pilot


# ── anomalies ─────────────────────────────────────────────────────────────────────────────────────────────
ANOMALY_STEPS = ("acknowledge", "fix", "close")


def anomaly_opening(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    """The pilot in which the caller may open an anomaly now: its vendor, the Cnam or the GIE, once accepted."""
    if caller.role not in (Role.VENDOR, Role.CNAM, Role.GIE):
        raise RegistryError("FORBIDDEN_ROLE", "ouvrir une anomalie : réservé à l'éditeur, à la Cnam et au GIE")
    pilot = registry.visible(caller, key)
    if caller.role == Role.VENDOR:
        return registry.writable(caller, key, FOLLOW_UP_OPEN, "ouvrir une anomalie")
    registry.in_status(pilot, FOLLOW_UP_OPEN, "ouvrir une anomalie")
    return pilot


def open_anomaly(registry: Registry, caller: Caller, key: str, content: dict[str, Any]) -> AnomalyRecord:
    pilot = anomaly_opening(registry, caller, key)
    try:
        anomaly = Anomaly.model_validate({**content, "closed_on": None})
    except ValidationError as error:
        raise _invalid(error) from None
    if any(a.ref == anomaly.id for a in registry.repo.anomalies(pilot.id)):
        raise RegistryError("ALREADY_EXISTS", f"l'anomalie {anomaly.id} existe déjà", field="id")
    with registry.repo.writing() as conn:
        anomaly_id = registry.repo.add_anomaly(
            conn, pilot.id, phase=pilot.phase, ref=anomaly.id, opened_on=anomaly.opened_on,
            opened_by=caller.account_id, operation=anomaly.operation, severity=anomaly.severity,
            origin=anomaly.origin, practitioner=anomaly.practitioner, summary=anomaly.summary)
        registry.record(conn, pilot, caller, "anomaly_opened", detail=anomaly.id)
    return next(a for a in registry.repo.anomalies(pilot.id) if a.id == anomaly_id)


def anomaly_following(registry: Registry, caller: Caller, key: str, step: str) -> PilotRecord:
    """The pilot in which the caller may take ``step`` of an anomaly: the vendor (while the présérie is followed
    up), or the Cnam to close."""
    roles = (Role.VENDOR, Role.CNAM) if step == "close" else (Role.VENDOR,)
    pilot = registry.coordinated(caller, key, roles, f"anomalie : {step}")
    if caller.role == Role.VENDOR:
        return registry.writable(caller, key, FOLLOW_UP_OPEN, "suivre une anomalie")
    return pilot


def step_refusal(anomaly: AnomalyRecord, step: str) -> str | None:
    """Why ``step`` cannot be taken on ``anomaly`` now (None: it can): acknowledge, then fix, and close."""
    if anomaly.closed_on is not None:
        return f"anomalie {anomaly.ref} : déjà close"
    if step == "acknowledge":
        return f"anomalie {anomaly.ref} : déjà prise en compte" if anomaly.acknowledged_at is not None else None
    if anomaly.acknowledged_at is None:
        return f"anomalie {anomaly.ref} : demande d'abord sa prise en compte"
    return None


def anomaly_step(registry: Registry, caller: Caller, key: str, ref: str, step: str, *,
                 on: dt.date | None = None, version: str | None = None) -> AnomalyRecord:
    """acknowledge (the vendor), fix in a version (the vendor), close (the vendor or the Cnam), in that order."""
    pilot = anomaly_following(registry, caller, key, step)
    anomaly = next((a for a in registry.repo.anomalies(pilot.id) if a.ref == ref), None)
    if anomaly is None:
        raise RegistryError("NOT_FOUND", f"aucune anomalie « {ref} » dans cette présérie", field="anomaly")
    now = registry.now()
    refused = step_refusal(anomaly, step)
    if refused is not None:
        raise RegistryError("TRANSITION_REFUSED", refused)
    if step == "acknowledge":
        values: dict[str, Any] = {"acknowledged_at": now, "acknowledged_by": caller.account_id}
    elif step == "fix":
        if not (version or "").strip():
            raise RegistryError("INVALID_REQUEST", "version corrigée requise", field="fixed_in_version")
        values = {"fixed_at": now, "fixed_by": caller.account_id, "fixed_in_version": version}
    else:
        closed = on or now.date()
        if closed < anomaly.opened_on:
            raise RegistryError("INVALID_REQUEST", "date de clôture antérieure à l'ouverture", field="closed_on")
        values = {"closed_on": closed, "closed_by": caller.account_id}
    with registry.repo.writing() as conn:
        registry.repo.set_anomaly(conn, anomaly.id, **values)
        registry.record(conn, pilot, caller, f"anomaly_{step}", detail=ref)
    return next(a for a in registry.repo.anomalies(pilot.id) if a.id == anomaly.id)


def anomalies(registry: Registry, caller: Caller, pilot: PilotRecord) -> list[AnomalyRecord]:
    """The pilot's anomalies the caller sees (a CPAM: those of its zone's doctors, and those naming none)."""
    zone = {p.ref: p.cpam for p in registry.repo.practitioners(pilot.id)}
    return [a for a in registry.repo.anomalies(pilot.id)
            if a.practitioner is None or sees_practitioner(caller, zone.get(a.practitioner, ""))]


# ── survey answers, traces, registry extract ──────────────────────────────────────────────────────────────
def import_answers(registry: Registry, caller: Caller, key: str, data: bytes) -> int:
    """survey.csv's rows, read exactly as a pilot folder's are (`pilot_folder.read_survey`: `,` or `;`, the same
    checks and French messages); all valid or none recorded: the 422 names each line and field to fix."""
    import tempfile

    from preserie.adapters.pilot_folder import read_survey

    pilot = registry.writable(caller, key, FOLLOW_UP_OPEN, "importer des réponses au questionnaire")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "survey.csv").write_bytes(data)
        survey = read_survey(Path(folder))
    problems = [i for i in survey.issues if i.level == "error"]
    if problems:
        first = problems[0]
        said = first.message.removesuffix(" ; ligne ignorée")
        raise RegistryError("INVALID_REQUEST", f"{first.where} : {said} ; rien n'est enregistré", field=first.field,
                            details=[i.as_dict() for i in problems[:100]])
    now = registry.now()
    rows = [{**answer.model_dump(), "phase": pilot.phase, "recorded_by": caller.account_id, "recorded_at": now}
            for answer in survey.rows]
    with registry.repo.writing() as conn:
        registry.repo.add_answers(conn, pilot.id, rows)
        registry.record(conn, pilot, caller, "survey_imported", detail=f"{len(rows)} réponse(s)")
    return len(rows)


def answers(registry: Registry, caller: Caller, pilot: PilotRecord) -> list[dict[str, Any]]:
    """The survey answers the caller sees (a CPAM: its zone's doctors'), without who recorded them."""
    zone = {p.ref: p.cpam for p in registry.repo.practitioners(pilot.id)}
    hidden = {"id", "pilot_id", "recorded_by", "recorded_at"}
    return [{k: v for k, v in a.items() if k not in hidden} for a in registry.repo.answers(pilot.id)
            if sees_practitioner(caller, zone.get(a["practitioner"], ""))]


def import_traces(registry: Registry, caller: Caller, key: str, data: bytes, name: str) -> str:
    """One trace file, kept verbatim as a segment of the current phase."""
    pilot = registry.writable(caller, key, [*TRACES_OPEN, Status.DEPLOYED], "importer des traces")
    if pilot.status == Status.DEPLOYED:
        raise RegistryError("TRACES_CLOSED")
    suffix = next((s for s in (".jsonl.gz", ".jsonl", ".csv", ".parquet") if name.endswith(s)), None)
    if suffix is None:
        raise RegistryError("INVALID_REQUEST", f"{name} : extension attendue .jsonl, .jsonl.gz, .csv ou .parquet",
                            field="name")
    segment = registry.segments.append(pilot.key, pilot.phase, data, suffix=suffix,
                                       origin=name.removesuffix(suffix).rsplit("/", 1)[-1] or "import")
    with registry.repo.writing() as conn:
        registry.record(conn, pilot, caller, "traces_imported", detail=segment.name)
    return segment.name
