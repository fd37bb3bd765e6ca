"""Routes: a pilot's anomalies: opening one (`/pilotes/{pilot}/anomalies/nouvelle`: the vendor, the Cnam or the
GIE), and one anomaly's page (`…/anomalies/{n}`) with its steps: acknowledged and fixed in a version by the
vendor, closed by the vendor or the Cnam. Each through `follow_up`, the API's use cases; a step is offered when
its guard and `follow_up.step_refusal` let it be taken."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fastapi import APIRouter, Request, Response

from preserie import labels
from preserie.api.deps import RegistryDep
from preserie.api.schemas import AnomalyClose, AnomalyCreate, AnomalyFix
from preserie.domain.as_of import PARIS
from preserie.domain.registry import AnomalyRecord
from preserie.services import follow_up, pilots
from preserie.services.errors import RegistryError
from preserie.web.editing import attempt, done, notice, offered, optional, text
from preserie.web.form_errors import FormErrors, named
from preserie.web.forms import FormDep
from preserie.web.pilot_view import anomaly_chart, anomaly_lines
from preserie.web.render import page
from preserie.web.session import SessionDep

router = APIRouter(prefix="/pilotes/{pilot}/anomalies", include_in_schema=False)
OPEN_FIELDS = {"id": ("id", "Référence"), "opened_on": ("opened_on", "Ouverte le"),
               "severity": ("severity", "Gravité"), "origin": ("origin", "Origine"),
               "operation": ("operation", "Opération"), "practitioner": ("practitioner", "Médecin concerné"),
               "summary": ("summary", "Résumé")}
STEP_FIELDS = {"fixed_in_version": ("fixed_in_version", "Corrigée dans la version"),
               "closed_on": ("closed_on", "Close le")}
STEPS = {"prise-en-compte": "acknowledge", "correction": "fix", "cloture": "close"}
STEP_SUMMARIES = {"prise-en-compte": "Prendre en compte une anomalie (éditeur)",
                  "correction": "Corriger une anomalie dans une version (éditeur)",
                  "cloture": "Clore une anomalie (éditeur ou Cnam)"}


def _today(registry: RegistryDep) -> str:
    return registry.now().astimezone(PARIS).date().isoformat()


def _anomaly(registry: RegistryDep, session: SessionDep, key: str, number: str) -> AnomalyRecord:
    """The anomaly as the caller sees it (a CPAM: its zone's), or the 404 of one that is not there."""
    record = registry.visible(session.caller, key)
    found = next((a for a in follow_up.anomalies(registry, session.caller, record) if str(a.id) == number), None)
    if found is None:
        raise RegistryError("NOT_FOUND", "aucune anomalie de ce numéro dans cette présérie")
    return found


def _choices() -> dict[str, list[tuple[str, str]]]:
    return {"severity": list(labels.severity_labels().items()), "origin": list(labels.origin_labels().items()),
            "operation": [("", "toutes les opérations"), *labels.operation_labels().items()]}


def _new_page(request: Request, registry: RegistryDep, session: SessionDep, key: str, values: dict[str, str],
              errors: FormErrors) -> Response:
    record = follow_up.anomaly_opening(registry, session.caller, key)
    known = [a.ref for a in registry.repo.anomalies(record.id)]
    suggested = next(f"ANO-{n:03d}" for n in range(len(known) + 1, len(known) + 1000) if f"ANO-{n:03d}" not in known)
    values = {"id": suggested, "opened_on": _today(registry), **values}
    doctors = [("", "aucun en particulier"), *((p.ref, f"{p.ref} (CPAM {p.cpam})")
                                                for p in pilots.practitioners(registry, session.caller, record))]
    return page(request, "anomalie_nouvelle.html.j2", status=errors.status if errors else 200, session=session,
                p=record, values=values, errors=errors, choices=_choices(), doctors=doctors)


@router.get("/nouvelle", summary="Ouvrir une anomalie (éditeur, Cnam, GIE)")
def new_anomaly(pilot: str, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    return _new_page(request, registry, session, pilot, {}, FormErrors())


@router.post("/nouvelle", summary="Ouvrir une anomalie")
def open_anomaly(pilot: str, request: Request, registry: RegistryDep, session: SessionDep,
                 form: FormDep) -> Response:
    def act() -> AnomalyRecord:
        body = AnomalyCreate.model_validate({name: optional(form, name) for name in OPEN_FIELDS
                                             if name != "summary"} | {"summary": text(form, "summary")})
        return follow_up.open_anomaly(registry, session.caller, pilot, body.model_dump(mode="json"))

    made = attempt(named(OPEN_FIELDS), act)
    if isinstance(made, FormErrors):
        values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
        return _new_page(request, registry, session, pilot, values, made)
    return done(f"/pilotes/{pilot}/anomalies/{made.id}", "anomalie-ouverte")


def _render(request: Request, registry: RegistryDep, session: SessionDep, key: str, number: str, *,
            values: dict[str, str] | None = None, errors: FormErrors | None = None) -> Response:
    caller, anomaly = session.caller, _anomaly(registry, session, key, number)
    record = registry.visible(caller, key)
    today = registry.now().astimezone(PARIS).date()
    line = anomaly_lines([anomaly], today)[0]
    steps = {slug: step for slug, step in STEPS.items()
             if follow_up.step_refusal(anomaly, step) is None
             and offered(partial(follow_up.anomaly_following, registry, caller, key, step))}
    errors = errors or FormErrors()
    return page(request, "anomalie.html.j2", status=errors.status if errors else 200, session=session, p=record,
                line=line, a=anomaly, chart=anomaly_chart([line], today), steps=steps,
                values={"closed_on": today.isoformat(), **(values or {})}, errors=errors,
                done_notice=notice(request))


@router.get("/{number}", summary="Une anomalie : ses dates, sa prise en compte, sa correction, sa clôture")
def anomaly_page(pilot: str, number: str, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    return _render(request, registry, session, pilot, number)


def _step(slug: str) -> Callable[..., Response]:
    step = STEPS[slug]

    def take(pilot: str, number: str, request: Request, registry: RegistryDep, session: SessionDep,
             form: FormDep) -> Response:
        anomaly = _anomaly(registry, session, pilot, number)

        def act() -> object:
            if step == "fix":
                version = AnomalyFix.model_validate({"fixed_in_version": text(form, "fixed_in_version")})
                return follow_up.anomaly_step(registry, session.caller, pilot, anomaly.ref, step,
                                              version=version.fixed_in_version)
            if step == "close":
                on = AnomalyClose.model_validate({"closed_on": optional(form, "closed_on")}).closed_on
                return follow_up.anomaly_step(registry, session.caller, pilot, anomaly.ref, step, on=on)
            return follow_up.anomaly_step(registry, session.caller, pilot, anomaly.ref, step)

        result = attempt(named(STEP_FIELDS), act)
        if isinstance(result, FormErrors):
            values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
            return _render(request, registry, session, pilot, number, values=values, errors=result)
        what = {"acknowledge": "anomalie-prise-en-compte", "fix": "anomalie-corrigee", "close": "anomalie-close"}
        return done(f"/pilotes/{pilot}/anomalies/{number}", what[step])

    return take


for _slug in STEPS:
    router.post(f"/{{number}}/{_slug}", summary=STEP_SUMMARIES[_slug])(_step(_slug))
