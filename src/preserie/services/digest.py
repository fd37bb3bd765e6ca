"""Use case: the digest (`preserie digest`), one French e-mail per party (the vendor, the Cnam, the GIE, each CPAM
for its zone) with the alerts of its préséries that are new or changed since it was last sent one, and the
questionnaire's reminder schedule; written to an outbox folder, or sent through SMTP when configured.

An alert is recorded as sent to a party once its e-mail is written or accepted by the server, so that a failed
sending loses nothing; an alert no longer current is forgotten, so that it is sent again if it comes back. No
free text of the registry goes into an e-mail (anomaly summaries, the doctors' comments): no patient's
identifier can travel in one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from preserie.adapters.db.survey_repository import SqlAlerts
from preserie.adapters.mail import DEFAULT_FROM, message, smtp_send, write_eml
from preserie.domain.access import Caller, PilotScope, Role, may_see
from preserie.domain.alerts import Delivery, party_of, to_send
from preserie.domain.as_of import PARIS
from preserie.domain.lifecycle import FOLLOW_UP_OPEN
from preserie.domain.registry import PilotRecord
from preserie.french import count, date
from preserie.services.alerts import PilotAlerts, SurveySchedule, alerts_for, pilot_alerts
from preserie.services.registry import Registry


@dataclass(frozen=True)
class Section:
    pilot: PilotRecord
    delivery: Delivery
    still: int  # alerts still current that the party was told before
    survey: SurveySchedule


@dataclass
class Digest:
    party: str
    label: str
    recipients: tuple[str, ...]
    sections: list[Section] = field(default_factory=list)

    @property
    def news(self) -> int:
        return sum(len(s.delivery.send) for s in self.sections)


@dataclass(frozen=True)
class Sent:
    party: str
    alerts: int
    where: str  # the .eml file, or "SMTP : address, …"


def parties(registry: Registry) -> list[Caller]:
    """Every party with an account or a digest address: one vendor per vendor name, one CPAM per department."""
    found: dict[str, Caller] = {}
    for a in registry.repo.accounts():
        caller = Caller(0, Role(a["role"]), a["name"], vendor=a["vendor"], department=a["department"])
        found.setdefault(party_of(caller), caller)
    for party in SqlAlerts(registry.repo.engine).recipients():
        role, _, speaks = party.partition(":")
        if party not in found and role in {r.value for r in Role if r != Role.PRACTITIONER}:
            found[party] = Caller(0, Role(role), party, vendor=speaks if role == Role.VENDOR else None,
                                  department=speaks if role == Role.CPAM else None)
    return [found[k] for k in sorted(found)]


def label(caller: Caller) -> str:
    return {Role.CNAM: "la Cnam", Role.GIE: "le GIE SESAM-Vitale", Role.VENDOR: f"l'éditeur {caller.vendor}",
            Role.CPAM: f"la CPAM {caller.department}"}.get(caller.role, caller.name)


def compose(registry: Registry) -> list[Digest]:
    """Each party's digest (those with nothing new have no section); each pilot's alerts are computed once."""
    store = SqlAlerts(registry.repo.engine)
    addresses = store.recipients()
    pilots = [(p, zones) for p, zones in registry.repo.pilots() if p.status in FOLLOW_UP_OPEN]
    computed: dict[int, PilotAlerts] = {}
    digests = []
    for caller in parties(registry):
        party = party_of(caller)
        digest = Digest(party, label(caller), tuple(addresses.get(party, ())))
        for pilot, zones in pilots:
            if not may_see(caller, PilotScope(pilot.vendor, pilot.status, zones)):
                continue
            if pilot.id not in computed:
                computed[pilot.id] = pilot_alerts(registry, pilot)
            theirs = alerts_for(registry, pilot, computed[pilot.id], caller)
            delivery = to_send(theirs.alerts, store.sent(party, pilot.id))
            digest.sections.append(Section(pilot, delivery, len(theirs.alerts) - len(delivery.send), theirs.survey))
        digests.append(digest)
    return digests


def body(digest: Digest, today: dt.date) -> str:
    lines = ["Bonjour,", "", f"Voici, pour {digest.label}, les alertes nouvelles ou qui ont changé depuis le "
             f"dernier courriel ({date(today)}).", ""]
    for section in digest.sections:
        if not section.delivery.send:
            continue
        p = section.pilot
        lines += [f"Présérie {p.ref} — {p.declaration['software']['name']} ({p.vendor}), identifiant {p.key}", ""]
        for alert in section.delivery.send:
            lines += [f"  • {alert.title} : {alert.detail}", f"    À faire : {alert.what_to_do}", ""]
        lines += _schedule(section.survey)
        if section.still:
            lines += [f"  Toujours d'actualité, déjà signalées : {count(section.still, 'alerte')}.", ""]
    lines += ["Les alertes de chaque présérie se lisent aussi dans le registre (GET /api/v1/pilots/<identifiant>"
              "/alerts).", "", "Ce courriel est envoyé par preserie ; il ne contient aucune donnée de patient."]
    return "\n".join(lines) + "\n"


def _schedule(survey: SurveySchedule) -> list[str]:
    if survey.planned_end is None:
        return []
    reminders = " et ".join(f"le {date(d)} (J-{(survey.planned_end - d).days})" for d in survey.reminders)
    if not survey.missing:
        return [f"  Questionnaire : tous les médecins ont répondu ; fin prévue le {date(survey.planned_end)}.", ""]
    return [f"  Questionnaire : {count(len(survey.missing), 'médecin')} sans réponse ({', '.join(survey.missing)}) ; "
            f"fin prévue le {date(survey.planned_end)} ; relances {reminders}.", ""]


def send(registry: Registry, *, outbox: Path, smtp_url: str | None = None, sender: str | None = None,
         digests: Sequence[Digest] | None = None) -> list[Sent]:
    """Write (or send) each party's digest that has news, then record what it was told. A party without an
    address gets its e-mail in the outbox even when SMTP is configured."""
    now = registry.now()
    today = now.astimezone(PARIS).date()
    store = SqlAlerts(registry.repo.engine)
    done = []
    for digest in compose(registry) if digests is None else digests:
        if digest.news:
            mail = message(sender=sender or DEFAULT_FROM, to=digest.recipients,
                           subject=f"preserie : {count(digest.news, 'alerte nouvelle', 'alertes nouvelles')} sur "
                                   f"vos préséries ({date(today)})", body=body(digest, today),
                           headers={"X-Preserie-Party": digest.party}, at=now)
            if smtp_url and digest.recipients:
                smtp_send(smtp_url, [mail])
                where = "SMTP : " + ", ".join(digest.recipients)
            else:
                where = str(write_eml(outbox, f"{now.astimezone(PARIS):%Y%m%dT%H%M%S}-{digest.party}", mail))
            done.append(Sent(digest.party, digest.news, where))
        with registry.repo.writing() as conn:
            for section in digest.sections:
                store.record(conn, digest.party, section.pilot.id,
                             [(a.key, a.fingerprint) for a in section.delivery.send], section.delivery.cleared, now)
    return done

