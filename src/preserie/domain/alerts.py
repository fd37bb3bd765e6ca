"""The présérie's alerts (issue 12), as pure rules: from the bilan's facts and the registry's, what needs someone's
attention now, each with its French « what to do »; who may read each one; and which to send to a party that
was already told some of them (an alert is sent again only when what it says changes).

The alerts, and where they come from:

- `usage_low`: a user under the usage threshold (50 %) after two weeks since their first e-prescription, or
  with none two weeks after their installation (C1, seed: « taux d'ordonnances numériques minimum de 50 % »);
- `registration_low`: under 70 % of the e-prescriptions created in the last 7 days registered in the base (C2);
- `anomaly_blocking`: a blocking anomaly open; `anomaly_unacknowledged`: an open anomaly not acknowledged for
  2 working days (seed: « une organisation réactive en cas de détection d'anomalies »);
- `workstation_silent`: a workstation that sent no trace for 2 working days (`domain.watch`);
- `survey_missing`: a user who has not answered the questionnaire, from 7 days before the planned end, again at
  3 days and at the end (`domain.survey`'s reminders; C5 needs every user's answer).

An alert's *state* is what must change for it to be sent again: the rate's ten-point band (a rate that moves by a
point is the same news), an anomaly's fix, a workstation's last batch, the reminder reached.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from preserie.domain.access import Caller, Role
from preserie.domain.as_of import PARIS
from preserie.domain.registry import AnomalyRecord
from preserie.domain.results import Assessment, RegistrationRate
from preserie.domain.survey import paris_day, reminder_stage
from preserie.domain.watch import Silence, working_days_since
from preserie.french import count, date, percent

WEEKS_OF_USE = 2
UNACKNOWLEDGED_WORKING_DAYS = 2
REGISTRATION_WINDOW_DAYS = 7
ALERT_LABELS: dict[str, str] = {
    "usage_low": "Médecin sous le seuil d'ordonnances numériques",
    "registration_low": "Enregistrement dans la base sous le seuil (7 derniers jours)",
    "anomaly_blocking": "Anomalie bloquante ouverte",
    "anomaly_unacknowledged": "Anomalie non prise en compte",
    "workstation_silent": "Poste silencieux",
    "survey_missing": "Questionnaire sans réponse",
}
_SEVERITY = {"blocking": "bloquante", "major": "majeure", "minor": "mineure"}
_OPERATION = {"create": "« créer »", "consult": "« consulter »", "search": "« rechercher »"}


@dataclass(frozen=True)
class Alert:
    kind: str  # one of ALERT_LABELS
    subject: str  # what it is about: a practitioner's id, an anomaly's, a workstation's number ("" the pilot)
    detail: str  # the facts, in French
    what_to_do: str  # in French
    state: tuple[str, ...]  # what must change for the alert to be sent again
    department: str | None = None  # the CPAM of the practitioner it is about (None: the pilot as a whole)
    whole_pilot: bool = False  # a figure of the bilan, not a CPAM's to read (domain.access.sees_whole_pilot)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.subject}"

    @property
    def title(self) -> str:
        return ALERT_LABELS[self.kind]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256("\x1f".join((self.key, *self.state)).encode()).hexdigest()


@dataclass(frozen=True)
class User:
    """An equipped practitioner as the registry knows them."""

    ref: str
    department: str
    installed_on: dt.date | None = None
    invited_until: dt.datetime | None = None  # their live survey link's expiry (None: no live link)


@dataclass(frozen=True)
class PilotFacts:
    now: dt.datetime
    users: Sequence[User]
    departments: Mapping[str, str]  # every practitioner's CPAM, by id
    anomalies: Sequence[AnomalyRecord]
    silences: Sequence[Silence]
    planned_end: dt.date | None
    assessment: Assessment | None = None  # None: no bilan (the présérie is not under way)
    registration_before: RegistrationRate | None = None  # C2 as of the bilan's as_of less 7 days


def alerts(facts: PilotFacts) -> list[Alert]:
    """Every alert of the pilot now, in a stable order (by kind as in ALERT_LABELS, then subject)."""
    found = [*_anomalies(facts), *_silences(facts), *_survey(facts)]
    if facts.assessment is not None:
        found += [*_usage(facts, facts.assessment), *_registration(facts.assessment, facts.registration_before)]
    order = list(ALERT_LABELS)
    return sorted(found, key=lambda a: (order.index(a.kind), a.subject))


def _band(rate: float) -> str:
    """The ten-point band of a rate: « 30 » for 30 % to 39.9 %."""
    return str(min(int(rate * 10), 9) * 10)


def _usage(facts: PilotFacts, assessment: Assessment) -> Iterable[Alert]:
    usage = assessment.criteria.usage_rate
    as_of = dt.datetime.fromisoformat(assessment.as_of) if assessment.as_of else facts.now
    installed = {u.ref: u.installed_on for u in facts.users}
    for row in usage.practitioners:
        department = facts.departments.get(row.id)
        if row.window_start is None or row.rate is None:
            since = installed.get(row.id)
            if since is None or paris_day(as_of) < since + dt.timedelta(weeks=WEEKS_OF_USE):
                continue
            yield Alert("usage_low", row.id, f"{row.id} : aucune ordonnance numérique depuis son installation le "
                        f"{date(since)}", "Contacter le médecin et son assistance : poste, formation, habitudes ; "
                        "l'accompagner jusqu'à ses premières ordonnances numériques.", ("none",), department, True)
            continue
        start = dt.datetime.fromisoformat(row.window_start)
        if as_of - start < dt.timedelta(weeks=WEEKS_OF_USE) or row.rate >= usage.threshold:
            continue
        yield Alert("usage_low", row.id, f"{row.id} : {percent(row.rate, 0)} d'ordonnances numériques "
                    f"({row.digital} sur {row.total}) depuis le {date(start.astimezone(PARIS).date())} ; seuil "
                    f"{percent(usage.threshold, 0)}", "Appeler le médecin : ce qui le retient de l'ordonnance "
                    "numérique (catégories, lenteur, formation) ; lui proposer une séance d'accompagnement.",
                    (_band(row.rate),), department, True)


def _registration(assessment: Assessment, before: RegistrationRate | None) -> Iterable[Alert]:
    now = assessment.criteria.registration_rate
    created = now.created - (before.created if before else 0)
    registered = now.registered - (before.registered if before else 0)
    if created <= 0:
        return
    rate = registered / created
    if rate >= now.threshold:
        return
    yield Alert("registration_low", "", f"{percent(rate, 0)} des ordonnances numériques créées ces "
                f"{REGISTRATION_WINDOW_DAYS} derniers jours enregistrées dans la base ({registered} sur {created}) ; "
                f"seuil {percent(now.threshold, 0)}", "Lire les rejets de la base (codes de rejet) et les erreurs "
                "de l'opération « créer » ; vérifier que l'extrait de la base déposé est récent.",
                (_band(rate),), None, True)


def _anomalies(facts: PilotFacts) -> Iterable[Alert]:
    today = paris_day(facts.now)
    for a in facts.anomalies:
        if (a.closed_on is not None and a.closed_on <= today) or a.opened_on > today:
            continue
        department = facts.departments.get(a.practitioner) if a.practitioner else None
        named = _OPERATION.get(a.operation or "")
        operation = f"opération {named}" if named else "toutes opérations"
        what = f"{a.ref} ({_SEVERITY.get(a.severity, a.severity)}, {operation}) ouverte le {date(a.opened_on)}"
        if a.severity == "blocking":
            fixed = a.fixed_in_version or ""
            yield Alert("anomaly_blocking", a.ref, what + (f", corrigée en version {fixed}" if fixed else ""),
                        "Déployer la version corrigée chez les médecins touchés, vérifier, puis clore l'anomalie."
                        if fixed else "L'éditeur corrige en priorité et tient informés les médecins touchés ; "
                        "la présérie ne peut être validée tant qu'elle est ouverte.", ("open", fixed),
                        department)
        if a.acknowledged_at is None:
            opened = dt.datetime.combine(a.opened_on, dt.time(12), PARIS)
            days = working_days_since(opened, facts.now)
            if days >= UNACKNOWLEDGED_WORKING_DAYS:
                yield Alert("anomaly_unacknowledged", a.ref, f"{what}, sans prise en compte depuis "
                            f"{count(days, 'jour ouvré', 'jours ouvrés')}", "L'éditeur la prend en compte dans le "
                            "registre et recontacte le médecin qui l'a signalée.", ("unacknowledged",), department)


def _silences(facts: PilotFacts) -> Iterable[Alert]:
    for s in facts.silences:
        since = (f"dernier envoi le {date(s.last_batch_at.astimezone(PARIS))}" if s.last_batch_at
                 else "aucun envoi depuis son inscription")
        days = f", {count(s.working_days, 'jour ouvré', 'jours ouvrés')}" if s.working_days is not None else ""
        yield Alert("workstation_silent", str(s.workstation), f"poste n° {s.workstation} de {s.practitioner} : "
                    f"{since}{days}", "Vérifier avec le médecin que le poste est allumé et que l'envoi des traces "
                    "est actif (réseau, version du logiciel).",
                    (s.last_batch_at.isoformat() if s.last_batch_at else "never",),
                    facts.departments.get(s.practitioner))


def _survey(facts: PilotFacts) -> Iterable[Alert]:
    stage = reminder_stage(facts.planned_end, paris_day(facts.now))
    if stage is None or facts.assessment is None or facts.planned_end is None:
        return
    missing = set(facts.assessment.criteria.satisfaction.missing)
    when = (f"fin prévue de la présérie le {date(facts.planned_end)}" if stage else
            f"fin prévue de la présérie dépassée ({date(facts.planned_end)})")
    for user in facts.users:
        if user.ref not in missing:
            continue
        if user.invited_until is not None and user.invited_until > facts.now:
            todo = (f"Relancer le médecin : son lien personnel vaut jusqu'au "
                    f"{date(user.invited_until.astimezone(PARIS).date())} ; sans réponse, le critère de "
                    "satisfaction n'est pas atteint.")
        else:
            todo = ("L'inviter au questionnaire (preserie survey invite) et lui transmettre son lien personnel ; "
                    "sans réponse, le critère de satisfaction n'est pas atteint.")
        yield Alert("survey_missing", user.ref, f"{user.ref} n'a pas répondu au questionnaire ; {when}", todo,
                    (str(stage),), user.department)


# ── who reads what, and what is sent ─────────────────────────────────────────────────────────────────────
def visible_to(alert: Alert, caller: Caller) -> bool:
    """A CPAM reads its zone's alerts and the pilot's that name no practitioner, never a figure of the bilan;
    the others read every alert of a pilot they see.

    >>> cpam = Caller(1, Role.CPAM, "CPAM", department="33")
    >>> visible_to(Alert("workstation_silent", "4", "", "", (), "33"), cpam)
    True
    >>> visible_to(Alert("workstation_silent", "5", "", "", (), "44"), cpam)
    False
    """
    if caller.role != Role.CPAM:
        return True
    return not alert.whole_pilot and alert.department in (None, caller.department)


def party_of(caller: Caller) -> str:
    """The party an account speaks for, as the digest names it: one e-mail per party, not per person.

    >>> vendor, cpam = Caller(1, Role.VENDOR, "x", vendor="LogiMed SAS"), Caller(2, Role.CPAM, "y", department="33")
    >>> party_of(vendor), party_of(cpam)
    ('vendor:LogiMed SAS', 'cpam:33')
    """
    if caller.role == Role.VENDOR:
        return f"vendor:{caller.vendor}"
    if caller.role == Role.CPAM:
        return f"cpam:{caller.department}"
    return caller.role.value


@dataclass(frozen=True)
class Delivery:
    """What to send a party now: the alerts new or changed since it was last told, and the keys of those told
    before that are no longer current (forgotten, so that the same alert coming back is sent again)."""

    send: tuple[Alert, ...]
    cleared: tuple[str, ...]


def to_send(current: Sequence[Alert], sent: Mapping[str, str]) -> Delivery:
    """``sent``: key → fingerprint of what the party was last sent."""
    keys = {a.key for a in current}
    return Delivery(tuple(a for a in current if sent.get(a.key) != a.fingerprint),
                    tuple(sorted(k for k in sent if k not in keys)))
