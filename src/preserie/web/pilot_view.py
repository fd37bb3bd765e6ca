"""What a pilot's page shows, gathered for its template: the bilan the service keeps (`bilan.assess_registered`:
the engine runs when the pilot's facts change, never for a page view), and the follow-up the caller may read, each
through the use case the JSON API's route calls, so that a page never shows what the API would refuse."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from preserie import french as fr
from preserie import labels
from preserie.domain.access import Caller, sees_whole_pilot
from preserie.domain.as_of import PARIS
from preserie.domain.lifecycle import Status
from preserie.domain.registry import AnomalyRecord, DecisionRecord, PilotRecord, PractitionerRecord
from preserie.domain.results import Assessment
from preserie.report import charts
from preserie.services import bilan, collector, follow_up, pilots, registrations
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry
from preserie.web.alerts import PageAlert, pilot_alerts
from preserie.web.bilan_view import BilanView, bilan_view
from preserie.web.render import fragments

TRACES_CLOSED = (Status.DEPLOY_APPROVED, Status.DEPLOYED)
DECISION_LABELS = {"deploy": "généralisation", "extend": "prolongation de la présérie"}
WAITING, HANDLED = "#ef6c00", "#1565c0"


@dataclass(frozen=True)
class AnomalyLine:
    record: AnomalyRecord
    severity: str
    origin: str
    operation: str
    acknowledged_on: dt.date | None
    to_acknowledge: str
    to_close: str
    is_open: bool


@dataclass(frozen=True)
class WorkstationLine:
    id: int
    practitioner: str
    enrolled_at: dt.datetime
    last_batch_at: dt.datetime | None
    state: str  # "revoked", "silent", "sending", "waiting" (enrolled lately, no batch yet)
    silent_days: int | None


@dataclass
class PilotView:
    pilot: PilotRecord
    software: str
    version: str
    cpams: list[str]
    whole: bool  # the caller reads the whole bilan (not a CPAM)
    traces_closed: bool
    alerts: list[PageAlert]
    decisions: list[DecisionRecord]
    practitioners: list[PractitionerRecord]
    anomalies: list[AnomalyLine]
    anomaly_chart: str
    workstations: list[WorkstationLine]
    silent_after: int
    freshness: dict[str, Any]
    offers: list[tuple[str, str]] = field(default_factory=list)  # the forms the caller may use now: (href, label)
    step_due: bool = False  # a step of the présérie is the caller's to take now
    bilan: BilanView | None = None
    bilan_html: tuple[str, ...] = ()  # the bilan's part of the page, rendered once per kept bilan (`_kept_view`)
    bilan_error: str | None = None
    answers: list[dict[str, Any]] = field(default_factory=list)  # a CPAM's view: its zone's answers

    @property
    def latest_decision(self) -> DecisionRecord | None:
        return self.decisions[-1] if self.decisions else None


def _days(n: int, prefix: str = "en") -> str:
    return "le jour même" if n <= 0 else f"{prefix} {fr.count(n, 'jour')}"


def _paris_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(PARIS).date()


def anomaly_lines(anomalies: list[AnomalyRecord], today: dt.date) -> list[AnomalyLine]:
    """Each anomaly with the time it took to be acknowledged and closed (in days, from the day it was opened), or
    how long it has been waiting."""
    severities, origins = labels.severity_labels(), labels.origin_labels()
    lines = []
    for a in anomalies:
        acknowledged = _paris_day(a.acknowledged_at) if a.acknowledged_at else None
        if acknowledged is not None:
            to_acknowledge = _days((acknowledged - a.opened_on).days)
        elif a.closed_on is None:
            to_acknowledge = f"en attente depuis {fr.count(max((today - a.opened_on).days, 0), 'jour')}"
        else:
            to_acknowledge = "—"
        to_close = (_days((a.closed_on - a.opened_on).days) if a.closed_on is not None
                    else f"ouverte depuis {fr.count(max((today - a.opened_on).days, 0), 'jour')}")
        lines.append(AnomalyLine(a, severities.get(a.severity, a.severity), origins.get(a.origin, a.origin),
                                 labels.operation_label(a.operation), acknowledged, to_acknowledge, to_close,
                                 a.closed_on is None))
    return lines


def anomaly_chart(lines: list[AnomalyLine], end: dt.date) -> str:
    """The anomalies on a calendar: waiting for acknowledgement (orange), acknowledged until closed (blue)."""
    if not lines:
        return ""
    first = min(line.record.opened_on for line in lines)
    last = max([end, *(d for line in lines for d in (line.record.closed_on, line.acknowledged_on) if d)])
    rows = []
    for line in lines:
        a = line.record
        stop = a.closed_on or last
        spans = [(a.opened_on, min(line.acknowledged_on or stop, stop), WAITING)]
        if line.acknowledged_on is not None and line.acknowledged_on < stop:
            spans.append((line.acknowledged_on, stop, HANDLED))
        tip = (f"{a.ref} ({line.severity}, {line.origin}, opération : {line.operation}) : ouverte le "
               f"{fr.date(a.opened_on)} ; prise en compte : {line.to_acknowledge} ; "
               + (f"close le {fr.date(a.closed_on)} ({line.to_close})" if a.closed_on else line.to_close))
        rows.append((a.ref, spans, tip))
    return charts.timeline("Anomalies : de leur ouverture à leur prise en compte et à leur clôture", rows, first,
                           last + dt.timedelta(days=1))


def workstation_lines(registry: Registry, caller: Caller, key: str) -> tuple[list[WorkstationLine], int]:
    """The workstations the caller sees, each with its last batch and whether it has gone silent
    (`collector.watch`, 2 working days)."""
    watched = collector.watch(registry, caller, key)
    silent = {s["id"]: s["working_days"] for s in watched["silent"]}
    lines = []
    for w in collector.workstations(registry, caller, key):
        state = ("revoked" if w["revoked"] else "silent" if w["id"] in silent else
                 "sending" if w["last_batch_at"] is not None else "waiting")
        lines.append(WorkstationLine(w["id"], w["practitioner"], w["enrolled_at"], w["last_batch_at"], state,
                                     silent.get(w["id"])))
    return lines, int(watched["after_working_days"])


def offers(registry: Registry, caller: Caller, key: str) -> tuple[list[tuple[str, str]], bool]:
    """The editing forms the use cases' guards let the caller use now, and whether a step is the caller's."""
    from functools import partial

    from preserie.domain.lifecycle import Transition
    from preserie.services import steps
    from preserie.web.editing import offered

    found = [(f"/pilotes/{key}/{path}", label) for path, label, guard in (
        ("declaration", "Modifier la déclaration", lambda: pilots.editable(registry, caller, key)),
        ("medecins/nouveau", "Ajouter un médecin", lambda: follow_up.practitioners_open(registry, caller, key)),
        ("anomalies/nouvelle", "Ouvrir une anomalie", lambda: follow_up.anomaly_opening(registry, caller, key)))
        if offered(guard)]
    due = any(offered(partial(steps.allowed_step, registry, caller, key, t)) for t in Transition)
    return found, due


def build(registry: Registry, caller: Caller, key: str) -> PilotView:
    """The page of pilot ``key`` as ``caller`` may see it (a 404 RegistryError otherwise, the same for another
    party's pilot as for none)."""
    from preserie.services.registry import one_reading

    with one_reading():  # the page's guards and use cases read the pilot once
        return _build(registry, caller, key)


def _build(registry: Registry, caller: Caller, key: str) -> PilotView:
    pilot = registry.visible(caller, key)
    whole = sees_whole_pilot(caller)
    today = _paris_day(registry.now())
    lines = anomaly_lines(follow_up.anomalies(registry, caller, pilot), today)
    workstations, silent_after = workstation_lines(registry, caller, key)
    view = PilotView(
        pilot=pilot, software=pilot.declaration["software"]["name"],
        version=next((p.software_version for p in registry.repo.phases(pilot.id) if p.number == pilot.phase),
                     pilot.declaration["software"].get("version", "")),
        cpams=list(pilot.declaration.get("cpams", [])), whole=whole, traces_closed=pilot.status in TRACES_CLOSED,
        alerts=pilot_alerts(registry, caller, pilot), decisions=registry.repo.decisions(pilot.id),
        practitioners=pilots.practitioners(registry, caller, pilot), anomalies=lines,
        anomaly_chart="", workstations=workstations, silent_after=silent_after,
        freshness=registrations.freshness(registry, pilot))
    view.offers, view.step_due = offers(registry, caller, key)
    end = today
    if whole:
        try:
            run = bilan.assess_registered(registry, pilot)
            view.bilan, view.bilan_html = _kept_view(run.assessment, _earlier(registry, pilot, run.assessment))
            if run.assessment.as_of:
                end = dt.date.fromisoformat(run.assessment.as_of[:10])
        except RegistryError as error:
            view.bilan_error = error.message
    else:
        view.answers = follow_up.answers(registry, caller, pilot)
    view.anomaly_chart = anomaly_chart(lines, end)
    return view


TREND_DAYS = 7
_VIEWS: dict[tuple[int, int], tuple[Assessment, Assessment | None, BilanView, tuple[str, ...]]] = {}
_VIEWS_GUARD = threading.Lock()
BILAN_FRAGMENT, FRESHNESS_MARK = "_bilan.html.j2", "<!--fraicheur-->"


def _kept_view(result: Assessment, earlier: Assessment | None) -> tuple[BilanView, tuple[str, ...]]:
    """The bilan's part of the page (its cards, its charts drawn, its HTML on either side of the extract's
    freshness), made once for the bilans the service keeps: while they are kept, a view draws and renders nothing
    of it again; another bilan (the pilot's facts changed) is another entry."""
    key = (id(result), id(earlier))
    with _VIEWS_GUARD:
        kept = _VIEWS.get(key)
    if kept is not None and kept[0] is result and kept[1] is earlier:
        return kept[2], kept[3]
    made = bilan_view(result, earlier)
    html = fragments(BILAN_FRAGMENT, FRESHNESS_MARK, bilan=made)
    with _VIEWS_GUARD:
        if len(_VIEWS) >= 64:
            _VIEWS.clear()
        _VIEWS[key] = (result, earlier, made, html)  # held here, so neither id is another object's while kept
    return made, html


def _earlier(registry: Registry, pilot: PilotRecord, result: Assessment) -> Assessment | None:
    """The bilan of the same facts as of a week before this one (the cards' trend), kept like the current one:
    it is computed again only when the pilot's facts change, never for a page view."""
    if result.as_of is None:
        return None
    as_of = dt.datetime.fromisoformat(result.as_of) - dt.timedelta(days=TREND_DAYS)
    try:
        return bilan.assess_registered(registry, pilot, as_of=as_of).assessment
    except RegistryError:
        return None
