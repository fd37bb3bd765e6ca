"""Use case: the alerts of a présérie under way (`domain.alerts`), from its kept bilan and the registry's facts,
as the caller may read them; and the questionnaire's reminder schedule (who has not answered, when to remind).

The pilot page renders `alerts(registry, caller, key)`; `GET /api/v1/pilots/{id}/alerts` gives it as JSON; the
digest (`services.digest`) sends each party what is new in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from preserie.adapters.db.collector_repository import SqlCollector
from preserie.adapters.db.survey_repository import SqlSurvey
from preserie.domain.access import Caller, sees_practitioner
from preserie.domain.alerts import REGISTRATION_WINDOW_DAYS, Alert, PilotFacts, User, visible_to
from preserie.domain.alerts import alerts as compute
from preserie.domain.lifecycle import FOLLOW_UP_OPEN, Status
from preserie.domain.registry import PilotRecord
from preserie.domain.results import Assessment, RegistrationRate
from preserie.domain.survey import paris_day, reminder_dates, reminder_stage
from preserie.domain.watch import silent
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry
from preserie.services.survey import end_of, users


@dataclass(frozen=True)
class SurveySchedule:
    """The questionnaire's reminders: the users without an answer, the planned end and the reminder days."""

    planned_end: dt.date | None
    reminders: tuple[dt.date, ...]
    missing: tuple[str, ...]
    stage: int | None  # the reminder reached (7, 3, 0 at the end), None before the first

    def as_dict(self) -> dict[str, object]:
        return {"planned_end": self.planned_end, "reminders": list(self.reminders), "missing": list(self.missing),
                "stage": self.stage}


@dataclass(frozen=True)
class PilotAlerts:
    alerts: tuple[Alert, ...]
    survey: SurveySchedule


def pilot_alerts(registry: Registry, pilot: PilotRecord) -> PilotAlerts:
    """Every alert of the pilot (each party reads its own share: `visible_to`). Before the launch, only the
    anomalies; after the decision to deploy, none (the présérie is over)."""
    if pilot.status not in FOLLOW_UP_OPEN:
        return PilotAlerts((), SurveySchedule(None, (), (), None))
    now = registry.now()
    practitioners = registry.repo.practitioners(pilot.id)
    departments = {p.ref: p.cpam for p in practitioners}
    anomalies = [a for a in registry.repo.anomalies(pilot.id) if a.phase == pilot.phase]
    assessment, before = _bilans(registry, pilot) if pilot.status == Status.RUNNING else (None, None)
    end = end_of(registry, pilot, assessment) if assessment is not None else None
    live = {i["practitioner"]: i["expires_at"] for i in SqlSurvey(registry.repo.engine).invitations(pilot.id)
            if i["phase"] == pilot.phase and i["revoked_at"] is None and i["answer_id"] is None}
    facts = PilotFacts(
        now=now, departments=departments, anomalies=anomalies, planned_end=end, assessment=assessment,
        registration_before=before,
        users=[User(u.ref, u.cpam, u.installed_on, live.get(u.ref)) for u in users(registry, pilot)],
        silences=silent([(w["id"], w["practitioner"], w["last_batch_at"], w["enrolled_at"])
                         for w in SqlCollector(registry.repo.engine).workstations(pilot.id)
                         if w["revoked_at"] is None], now) if pilot.status == Status.RUNNING else [])
    missing = assessment.criteria.satisfaction.missing if assessment is not None else ()
    schedule = SurveySchedule(end, reminder_dates(end) if end else (), tuple(missing),
                              reminder_stage(end, paris_day(now)) if end else None)
    return PilotAlerts(tuple(compute(facts)), schedule)


def _bilans(registry: Registry, pilot: PilotRecord) -> tuple[Assessment | None, RegistrationRate | None]:
    """The kept bilan, and C2 of the bilan as of 7 days before it (the last week's registrations are the
    difference: C2 counts the e-prescriptions created up to its date)."""
    from preserie.services.bilan import assess_registered

    try:
        assessment = assess_registered(registry, pilot).assessment
        if assessment.as_of is None:
            return assessment, None
        earlier = dt.datetime.fromisoformat(assessment.as_of) - dt.timedelta(days=REGISTRATION_WINDOW_DAYS)
        return assessment, assess_registered(registry, pilot, as_of=earlier).assessment.criteria.registration_rate
    except RegistryError:  # a bilan that cannot be made: the registry's own alerts still stand
        return None, None


def alerts(registry: Registry, caller: Caller, key: str) -> PilotAlerts:
    """The pilot's alerts the caller may read (a CPAM: its zone's, none from the bilan's figures)."""
    pilot = registry.visible(caller, key)
    return alerts_for(registry, pilot, pilot_alerts(registry, pilot), caller)


def alerts_for(registry: Registry, pilot: PilotRecord, found: PilotAlerts, caller: Caller) -> PilotAlerts:
    """The share of the pilot's alerts that ``caller`` may read."""
    zone = {p.ref: p.cpam for p in registry.repo.practitioners(pilot.id)}
    survey = found.survey
    schedule = SurveySchedule(survey.planned_end, survey.reminders,
                              tuple(m for m in survey.missing if sees_practitioner(caller, zone.get(m, ""))),
                              survey.stage)
    return PilotAlerts(tuple(a for a in found.alerts if visible_to(a, caller)), schedule)
