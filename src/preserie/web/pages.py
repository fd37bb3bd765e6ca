"""Routes: the pilots a person sees (`/pilotes`) and one pilot's page (`/pilotes/{pilot}`)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from preserie.api.deps import RegistryDep
from preserie.domain.lifecycle import STATUS_LABELS
from preserie.domain.registry import DecisionRecord, PilotRecord
from preserie.services import pilots
from preserie.services.work_slots import PAGES
from preserie.web import pilot_view
from preserie.web.alerts import pilot_alerts, summary
from preserie.web.render import page
from preserie.web.session import SessionDep

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class PilotLine:
    pilot: PilotRecord
    software: str
    status: str
    decision: DecisionRecord | None  # the Cnam's latest
    alerts: list[tuple[str, str, int]]  # web.alerts.summary: (level, kind, how many)


def _latest(decisions: list[DecisionRecord]) -> DecisionRecord | None:
    return decisions[-1] if decisions else None


@router.get("/pilotes", summary="Les préséries que vous voyez : état, phase, décision, alertes")
def pilot_list(request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    with PAGES.taken():
        return _pilot_list(request, registry, session)


def _pilot_list(request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    caller = session.caller
    lines = [PilotLine(p, p.declaration["software"]["name"], STATUS_LABELS[p.status],
                       _latest(registry.repo.decisions(p.id)), summary(pilot_alerts(registry, caller, p)))
             for p in pilots.listed(registry, caller)]
    from preserie.web.editing import offered

    return page(request, "pilotes.html.j2", session=session, lines=lines, decisions=pilot_view.DECISION_LABELS,
                may_declare=offered(lambda: pilots.declaring(caller)))


@router.get("/pilotes/{pilot}", summary="Une présérie : le bilan gardé, son dossier et ses critères, les médecins, "
            "les anomalies, le questionnaire, les postes")
def pilot_page(pilot: str, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    with PAGES.taken():  # built in one of a few slots, given back while its bilan is computed (services.work_slots)
        view = pilot_view.build(registry, session.caller, pilot)
        return page(request, "pilote.html.j2", session=session, kept=view.bilan_html, v=view,
                    status_label=STATUS_LABELS[view.pilot.status], decisions=pilot_view.DECISION_LABELS)
