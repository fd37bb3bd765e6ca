"""Routes: the doctors' questionnaire links (the vendor or the Cnam invites, anyone who sees the pilot reads where
each link stands, never its token again) and the pilot's alerts with the questionnaire's reminder schedule."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from preserie.api.deps import CallerDep, RegistryDep
from preserie.domain.alerts import Alert
from preserie.services import alerts as pilot_alerts
from preserie.services import survey

router = APIRouter(prefix="/api/v1/pilots/{pilot}", tags=["questionnaire et alertes"])
PractitionerId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{1,32}$")]


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    practitioners: list[PractitionerId] | None = Field(
        default=None, max_length=100, description="les médecins à inviter (un nouveau lien remplace le leur) ; "
        "absent : chaque médecin utilisateur qui n'a ni répondu ni de lien en cours")


class InvitationMade(BaseModel):
    practitioner: str
    link: str  # /questionnaire/<token>: shown once
    url: str
    expires_at: dt.datetime


class InvitationsMade(BaseModel):
    invitations: list[InvitationMade]
    skipped: list[dict[str, str]]


class InvitationPublic(BaseModel):
    practitioner: str
    phase: int
    created_at: dt.datetime
    expires_at: dt.datetime
    state: str  # sent, opened, answered, replaced, expired


class AlertPublic(BaseModel):
    kind: str
    subject: str
    title: str
    detail: str
    what_to_do: str

    @classmethod
    def of(cls, a: Alert) -> AlertPublic:
        return cls(kind=a.kind, subject=a.subject, title=a.title, detail=a.detail, what_to_do=a.what_to_do)


class ReminderSchedule(BaseModel):
    planned_end: dt.date | None
    reminders: list[dt.date]
    missing: list[str]
    stage: int | None


class AlertsPublic(BaseModel):
    alerts: list[AlertPublic]
    survey: ReminderSchedule


@router.post("/survey/invitations", status_code=201, summary="Inviter les médecins au questionnaire : un lien "
             "personnel chacun, à usage unique (éditeur, Cnam)")
def invite(pilot: str, body: InvitationCreate, request: Request, response: Response, registry: RegistryDep,
           caller: CallerDep) -> InvitationsMade:
    made = survey.invite(registry, caller, pilot, request.app.state.secret, body.practitioners)
    response.headers["Cache-Control"] = "no-store"  # the links are shown once
    base = str(request.base_url).rstrip("/")
    return InvitationsMade(invitations=[InvitationMade(practitioner=i.practitioner, link=i.link, url=base + i.link,
                                                       expires_at=i.expires_at) for i in made["invitations"]],
                           skipped=made["skipped"])


@router.get("/survey/invitations", summary="Les liens du questionnaire et où ils en sont (une CPAM : ceux de sa "
            "zone)")
def invitations(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[InvitationPublic]:
    return [InvitationPublic(**i) for i in survey.invitations(registry, caller, pilot)]


@router.get("/alerts", summary="Les alertes de la présérie, chacune avec ce qu'il faut faire, et les relances du "
            "questionnaire (une CPAM : celles de sa zone)")
def alerts(pilot: str, registry: RegistryDep, caller: CallerDep) -> AlertsPublic:
    found = pilot_alerts.alerts(registry, caller, pilot)
    schedule: dict[str, Any] = found.survey.as_dict()
    return AlertsPublic(alerts=[AlertPublic.of(a) for a in found.alerts], survey=ReminderSchedule(**schedule))
