"""Routes: a pilot's doctors: one doctor's page (`/pilotes/{pilot}/medecins/{n}`) with the vendor's forms (the
agreement in principle and the equipment check, the planned installation and training, the installation and the
training done), and adding a doctor (`…/medecins/nouveau`). Each through `follow_up`, the API's use cases. A doctor's
page is addressed by the registry's number of the doctor, not by the N° AM or RPPS (which stays out of addresses
and logs, and may be any text the declaration gave)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from preserie.api.deps import RegistryDep
from preserie.api.schemas import Done, PractitionerUpdate
from preserie.domain.registry import PractitionerRecord
from preserie.services import follow_up, pilots
from preserie.services.errors import RegistryError
from preserie.web import declaration_form
from preserie.web.editing import attempt, done, notice, offered, optional, text
from preserie.web.form_errors import FormErrors, named
from preserie.web.forms import FormDep
from preserie.web.render import page
from preserie.web.session import SessionDep

router = APIRouter(prefix="/pilotes/{pilot}/medecins", include_in_schema=False)
Number = Annotated[str, Path(max_length=20)]
ENROLMENT = {"agreement_on": "Accord de principe recueilli le",
             "compatibility_checked_on": "Compatibilité vérifiée le",
             "compatible": "Poste et version compatibles", "compatibility_note": "Note sur la compatibilité"}
PLANNING = {"planned_installation_on": "Installation prévue le", "planned_training_on": "Formation prévue le"}
DECLARED = {"id": "N° AM ou RPPS", "situation": "Situation", "health_center": "FINESS du centre de santé",
            "specialty": "Spécialité", "practice": "Exercice", "cpam": "CPAM (département)",
            "equipped": "Équipé pour l'ordonnance numérique"}
FIELDS = {name: (name, label) for name, label in {**DECLARED, **ENROLMENT, **PLANNING}.items()}
FIELDS.update({"practitioner": ("id", DECLARED["id"])})
DONE_FIELDS = {"installation": {"on": ("installation-on", "Installation faite le")},
               "training": {"on": ("training-on", "Formation faite le")}}
YES_NO = {"oui": True, "non": False}


def _doctor(registry: RegistryDep, session: SessionDep, key: str, number: str) -> PractitionerRecord:
    """The doctor as the caller sees it (a CPAM: its zone's), or the 404 of a doctor who is not there."""
    record = registry.visible(session.caller, key)
    found = next((p for p in pilots.practitioners(registry, session.caller, record) if str(p.id) == number), None)
    if found is None:
        raise RegistryError("NOT_FOUND", "aucun médecin de ce numéro dans cette présérie")
    return found


def _values(doctor: PractitionerRecord) -> dict[str, str]:
    values = {name: "" if getattr(doctor, name) is None else str(getattr(doctor, name))
              for name in (*ENROLMENT, *PLANNING) if name != "compatible"}
    values["compatible"] = {True: "oui", False: "non", None: ""}[doctor.compatible]
    return values


def _render(request: Request, registry: RegistryDep, session: SessionDep, key: str, number: str, *,
            values: dict[str, str] | None = None, errors: FormErrors | None = None) -> Response:
    caller, doctor = session.caller, _doctor(registry, session, key, number)
    record, ref = registry.visible(caller, key), doctor.ref
    forms = {
        "enrolment": offered(lambda: follow_up.practitioner_editable(registry, caller, key, ref, enrolment=True)),
        "planning": offered(lambda: follow_up.practitioner_editable(registry, caller, key, ref, enrolment=False)),
        "done": offered(lambda: follow_up.installations_open(registry, caller, key)),
    }
    errors = errors or FormErrors()
    return page(request, "medecin.html.j2", status=errors.status if errors else 200, session=session, p=record,
                d=doctor, forms=forms, values={**_values(doctor), **(values or {})}, errors=errors,
                enrolment=ENROLMENT, planning=PLANNING, specialties=declaration_form.SPECIALTIES,
                practices=declaration_form.PRACTICES, today=registry.now().date().isoformat(),
                done_notice=notice(request))


def _posted(form: FormDep) -> dict[str, str]:
    return {name: value for name, value in form.items() if isinstance(value, str) and name != "csrf"}


@router.get("/nouveau", summary="Ajouter un médecin (éditeur : en préparation, ou pour une nouvelle phase)")
def new_doctor(pilot: str, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    record = follow_up.practitioners_open(registry, session.caller, pilot)
    return _new_page(request, session, record, {"situation": "liberal", "equipped": "on"}, FormErrors())


def _new_page(request: Request, session: SessionDep, record: Any, values: dict[str, str],
              errors: FormErrors) -> Response:
    return page(request, "medecin_nouveau.html.j2", status=errors.status if errors else 200, session=session,
                p=record, values=values, errors=errors, declared=DECLARED, enrolment=ENROLMENT, planning=PLANNING,
                options=declaration_form.options())


@router.post("/nouveau", summary="Ajouter un médecin")
def add_doctor(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    record = follow_up.practitioners_open(registry, session.caller, pilot)
    content: dict[str, Any] = {name: optional(form, name) for name in (*DECLARED, *ENROLMENT, *PLANNING)}
    content["equipped"] = bool(content["equipped"])
    content["compatible"] = YES_NO.get(text(form, "compatible"))
    content = {k: v for k, v in content.items() if v is not None}
    made = attempt(named(FIELDS), lambda: follow_up.add_practitioner(registry, session.caller, pilot, content))
    if isinstance(made, FormErrors):
        return _new_page(request, session, record, _posted(form), made)
    return done(f"/pilotes/{pilot}/medecins/{made.id}", "medecin-ajoute")


@router.get("/{number}", summary="Un médecin : son accord, la vérification de son poste, son planning")
def doctor_page(pilot: str, number: Number, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    return _render(request, registry, session, pilot, number)


@router.post("/{number}", summary="Enregistrer l'accord, la vérification du poste, le planning d'un médecin")
def update_doctor(pilot: str, number: Number, request: Request, registry: RegistryDep, session: SessionDep,
                  form: FormDep) -> Response:
    caller, ref = session.caller, _doctor(registry, session, pilot, number).ref
    enrolment = offered(lambda: follow_up.practitioner_editable(registry, caller, pilot, ref, enrolment=True))
    names = (*ENROLMENT, *PLANNING) if enrolment else tuple(PLANNING)
    changes: dict[str, Any] = {name: optional(form, name) for name in names}
    if "compatible" in changes:
        changes["compatible"] = YES_NO.get(text(form, "compatible"))

    def act() -> object:
        body = PractitionerUpdate.model_validate(changes)
        return follow_up.update_practitioner(registry, caller, pilot, ref, body.model_dump(exclude_unset=True))

    return _after(request, registry, session, pilot, number, form, FIELDS, act, "medecin-modifie")


def _after(request: Request, registry: RegistryDep, session: SessionDep, pilot: str, number: str, form: FormDep,
           fields: dict[str, tuple[str, str]], act: Callable[[], object], what: str) -> Response:
    result = attempt(named(fields), act)
    if isinstance(result, FormErrors):
        return _render(request, registry, session, pilot, number, values=_posted(form), errors=result)
    return done(f"/pilotes/{pilot}/medecins/{number}", what)


def _done_form(kind: str, label: str) -> Callable[..., Response]:
    def record(pilot: str, number: Number, request: Request, registry: RegistryDep, session: SessionDep,
               form: FormDep) -> Response:
        ref = _doctor(registry, session, pilot, number).ref

        def act() -> object:
            body = Done.model_validate({"on": optional(form, f"{kind}-on")})
            return follow_up.record_done(registry, session.caller, pilot, ref, kind, body.on)

        return _after(request, registry, session, pilot, number, form, DONE_FIELDS[kind], act, label)

    return record


router.post("/{number}/installation", summary="Installation faite (le poste est inscrit)")(
    _done_form("installation", "installation"))
router.post("/{number}/formation", summary="Formation faite")(_done_form("training", "formation"))
