"""Routes: the présérie's steps (`/pilotes/{pilot}/etapes`): the vendor sends it; the Cnam accepts it (and the
reduced minimum) or sends it back, records the launch meeting, decides on the bilan; the deployment starts. Each
form is shown to whom `steps.allowed_step` lets take it now, and posts to the use case the API's route calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import APIRouter, Request, Response

from preserie.api.deps import RegistryDep
from preserie.api.schemas import Acceptance, DecisionCreate, LaunchMeeting, Reason
from preserie.domain.lifecycle import STATUS_LABELS, Transition
from preserie.services import bilan, pilots, steps
from preserie.services.errors import RegistryError
from preserie.web.editing import attempt, done, notice, offered, optional, text
from preserie.web.form_errors import FormErrors, named
from preserie.web.forms import FormDep
from preserie.web.pilot_view import DECISION_LABELS
from preserie.web.render import page
from preserie.web.session import SessionDep

router = APIRouter(prefix="/pilotes/{pilot}/etapes", include_in_schema=False)
PARTIES = {"vendor": "éditeur", "cnam": "Cnam", "gie": "GIE SESAM-Vitale", "cpam": "CPAM"}
MEETING_ROWS = 6
FIELDS = {
    "reason": ("reason", "Motif du renvoi"),
    "reduced_minimum": ("reduced_minimum", "Minimum réduit à 3 médecins"),
    "held_on": ("held_on", "Date de la réunion"),
    "participants": ("participant-0-name", "Participants"),
    "decision": ("decision", "Décision"),
    "justification": ("justification", "Justification"),
}
FIELDS.update({f"participants.{n}.{part}": (f"participant-{n}-{part}", f"participant {n + 1}")
               for n in range(MEETING_ROWS) for part in ("party", "name")})


@dataclass(frozen=True)
class Offer:
    step: str  # the form's name on the page and in its address
    transition: Transition


OFFERS = (Offer("envoi", Transition.SUBMIT), Offer("acceptation", Transition.ACCEPT),
          Offer("renvoi", Transition.RETURN), Offer("reunion", Transition.LAUNCH),
          Offer("decision", Transition.DECIDE_DEPLOY), Offer("generalisation", Transition.KICK_OFF))


def _render(request: Request, registry: RegistryDep, session: SessionDep, key: str, *,
            values: dict[str, str] | None = None, errors: FormErrors | None = None,
            posted: str | None = None) -> Response:
    caller = session.caller
    record = registry.visible(caller, key)
    offered_steps = {o.step for o in OFFERS if offered(partial(steps.allowed_step, registry, caller, key,
                                                               o.transition))}
    context: dict[str, Any] = {}
    if "envoi" in offered_steps:
        context["doctors"] = pilots.practitioners(registry, caller, record)
    if "decision" in offered_steps:
        try:
            context["bilan"] = bilan.assessment(registry, caller, key).assessment
        except RegistryError as error:
            context["bilan_error"] = error.message
    errors = errors or FormErrors()
    return page(request, "etapes.html.j2", status=errors.status if errors else 200, session=session, p=record,
                status_label=STATUS_LABELS[record.status], offered=offered_steps, values=values or {},
                errors=errors, posted=posted, parties=PARTIES, meeting_rows=MEETING_ROWS,
                decisions=DECISION_LABELS, today=registry.now().date().isoformat(), done_notice=notice(request),
                **context)


@router.get("", summary="Les étapes de la présérie : ce qui vous revient maintenant")
def steps_page(pilot: str, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    return _render(request, registry, session, pilot)


def _posted(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep, step: str,
            act: Callable[[], object], what: str, to: str = "") -> Response:
    values = {name: value for name, value in form.items() if isinstance(value, str) and name != "csrf"}
    result = attempt(named(FIELDS), act)
    if isinstance(result, FormErrors):
        return _render(request, registry, session, pilot, values=values, errors=result, posted=step)
    return done(f"/pilotes/{pilot}{to}", what)


@router.post("/envoi", summary="Envoyer la présérie (éditeur)")
def submit(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    return _posted(pilot, request, registry, session, form, "envoi",
                   lambda: steps.submit(registry, session.caller, pilot), "envoyee")


@router.post("/acceptation", summary="Accepter la présérie (Cnam)")
def accept(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    choice = {"oui": True, "non": False}.get(text(form, "reduced_minimum"))

    def act() -> object:
        body = Acceptance.model_validate({"reduced_minimum": choice})
        return steps.accept(registry, session.caller, pilot, reduced_minimum=body.reduced_minimum)

    return _posted(pilot, request, registry, session, form, "acceptation", act, "acceptee")


@router.post("/renvoi", summary="Renvoyer la présérie à l'éditeur (Cnam)")
def send_back(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    def act() -> object:
        body = Reason.model_validate({"reason": text(form, "reason")})
        return steps.send_back(registry, session.caller, pilot, body.reason)

    return _posted(pilot, request, registry, session, form, "renvoi", act, "renvoyee")


@router.post("/reunion", summary="Enregistrer la réunion de lancement (Cnam)")
def launch(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    people = [{"party": text(form, f"participant-{n}-party"), "name": text(form, f"participant-{n}-name")}
              for n in range(MEETING_ROWS)]

    def act() -> object:
        body = LaunchMeeting.model_validate({"held_on": optional(form, "held_on"),
                                             "participants": [p for p in people if p["name"]]})
        return steps.launch(registry, session.caller, pilot, body.held_on,
                            [p.model_dump() for p in body.participants])

    return _posted(pilot, request, registry, session, form, "reunion", act, "lancee")


@router.post("/decision", summary="Décider sur le bilan : généraliser ou prolonger (Cnam)")
def decide(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    def act() -> object:
        body = DecisionCreate.model_validate({"decision": text(form, "decision") or None,
                                              "justification": optional(form, "justification")})
        return bilan.decide(registry, session.caller, pilot, body.decision, body.justification)

    return _posted(pilot, request, registry, session, form, "decision", act, "decidee")


@router.post("/generalisation", summary="Lancer la généralisation (éditeur ou Cnam)")
def kick_off(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    return _posted(pilot, request, registry, session, form, "generalisation",
                   lambda: steps.kick_off(registry, session.caller, pilot), "generalisee")
