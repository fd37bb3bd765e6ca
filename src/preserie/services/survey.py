"""Use cases of the doctors' questionnaire (issue 12): the vendor or the Cnam invites a pilot's users, each gets a
personal link that opens once; the doctor answers from it, saving drafts, and submits once. The answer is a
survey answer like an imported one: C5 counts it at once (the pilot's kept bilan no longer stands).

A link's token and a cookie's are shown once and kept only as their HMAC-SHA256 under the data directory's
secret, like the accounts' tokens (`services.accounts`). The link's token is exchanged, at its first opening, for
the cookie's: it never stays in the address bar, the history or a log.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from preserie.adapters.db.survey_repository import SqlSurvey
from preserie.domain.access import Caller, Role
from preserie.domain.lifecycle import FOLLOW_UP_OPEN
from preserie.domain.registry import PilotRecord, PractitionerRecord
from preserie.domain.results import Assessment
from preserie.domain.survey import FormCheck, check_form, link_expiry, paris_day, planned_end
from preserie.services.accounts import digest
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry

LINK_PREFIX, SESSION_PREFIX = "prq_", "prc_"
_LINK = re.compile(r"prq_[A-Za-z0-9_-]{43}")
_SESSION = re.compile(r"prc_[A-Za-z0-9_-]{43}")
PATH = "/questionnaire"


@dataclass(frozen=True)
class Invitation:
    practitioner: str
    token: str  # shown once
    expires_at: dt.datetime

    @property
    def link(self) -> str:
        return f"{PATH}/{self.token}"


# ── planning ──────────────────────────────────────────────────────────────────────────────────────────────
def users(registry: Registry, pilot: PilotRecord) -> list[PractitionerRecord]:
    """The pilot's users up to its current phase: the equipped practitioners, whose answers C5 expects."""
    return [p for p in registry.repo.practitioners(pilot.id) if p.equipped and p.phase <= pilot.phase]


def first_e_prescription(assessment: Assessment | None) -> dt.date | None:
    starts = [p.window_start for p in assessment.criteria.usage_rate.practitioners if p.window_start] \
        if assessment is not None else []
    return paris_day(dt.datetime.fromisoformat(min(starts))) if starts else None


def end_of(registry: Registry, pilot: PilotRecord, assessment: Assessment | None = None) -> dt.date | None:
    """The pilot's planned end (`domain.survey.planned_end`): its users' first e-prescription (from the bilan,
    the kept one when given none) or its launch meeting, plus its planned weeks."""
    if assessment is None:
        from preserie.services.bilan import assess_registered

        try:
            assessment = assess_registered(registry, pilot).assessment
        except RegistryError:  # a bilan that cannot be made: the launch meeting stands in
            assessment = None
    meetings = registry.repo.meetings(pilot.id)
    return planned_end(int(pilot.declaration["planned_weeks"]), first_e_prescription(assessment),
                       meetings[0].held_on if meetings else None)


# ── invitations ───────────────────────────────────────────────────────────────────────────────────────────
def invite(registry: Registry, caller: Caller, key: str, secret: bytes,
           practitioners: Sequence[str] | None = None) -> dict[str, Any]:
    """Personal links for the pilot's users (the vendor or the Cnam): by default every user who has neither
    answered in this phase nor a link still open; the ones named get a new link (any earlier one stops
    working)."""
    pilot = registry.coordinated(caller, key, (Role.VENDOR, Role.CNAM), "inviter au questionnaire")
    if caller.role == Role.VENDOR:
        pilot = registry.writable(caller, key, FOLLOW_UP_OPEN, "inviter au questionnaire")
    else:
        registry.in_status(pilot, FOLLOW_UP_OPEN, "inviter au questionnaire")
    return issue(registry, pilot, secret, practitioners, caller=caller)


def issue(registry: Registry, pilot: PilotRecord, secret: bytes, practitioners: Sequence[str] | None, *,
          caller: Caller | None) -> dict[str, Any]:
    """The links of `invite` (``caller`` None: the registry's administrator, `preserie survey invite`)."""
    registry.in_status(pilot, FOLLOW_UP_OPEN, "inviter au questionnaire")
    known = {p.ref: p for p in registry.repo.practitioners(pilot.id) if p.phase <= pilot.phase}
    now = registry.now()
    store = SqlSurvey(registry.repo.engine)
    skipped: list[dict[str, str]] = []
    if practitioners is None:
        answered = {a["practitioner"] for a in registry.repo.answers(pilot.id) if a["phase"] == pilot.phase}
        open_links = {i["practitioner"] for i in store.invitations(pilot.id) if i["phase"] == pilot.phase
                      and i["revoked_at"] is None and i["answer_id"] is None and i["expires_at"] > now}
        chosen = []
        for user in users(registry, pilot):
            if user.ref in answered or user.ref in open_links:
                skipped.append({"practitioner": user.ref, "reason": "a déjà répondu" if user.ref in answered
                                else "a déjà un lien en cours"})
            else:
                chosen.append(user.ref)
    else:
        chosen = list(dict.fromkeys(practitioners))
        for ref in chosen:
            if ref not in known:
                raise RegistryError("NOT_FOUND", f"aucun médecin « {ref} » dans cette présérie",
                                    field="practitioners")
            if not known[ref].equipped:
                raise RegistryError("INVALID_REQUEST", f"{ref} n'est pas équipé (equipped: false) : le "
                                    "questionnaire est celui des médecins utilisateurs", field="practitioners")
    expires = link_expiry(end_of(registry, pilot), paris_day(now), int(pilot.declaration["planned_weeks"]))
    made = [Invitation(ref, LINK_PREFIX + secrets.token_urlsafe(32), expires.astimezone(dt.UTC)) for ref in chosen]
    with registry.repo.writing() as conn:
        for invitation in made:
            store.revoke_live(conn, pilot.id, invitation.practitioner, now)
            store.add_invitation(conn, pilot_id=pilot.id, phase=pilot.phase, practitioner=invitation.practitioner,
                                 digest=digest(secret, invitation.token), created_at=now,
                                 created_by=caller.account_id if caller else 0, expires_at=invitation.expires_at)
        if made:
            registry.record(conn, pilot, caller, "survey_invited",
                            detail=", ".join(i.practitioner for i in made)[:1000])
    return {"invitations": made, "skipped": skipped}


def invitations(registry: Registry, caller: Caller, key: str) -> list[dict[str, Any]]:
    """Each link of the pilot and where it stands (a CPAM: its zone's), never its token."""
    from preserie.domain.access import sees_practitioner

    pilot = registry.visible(caller, key)
    zone = {p.ref: p.cpam for p in registry.repo.practitioners(pilot.id)}
    now = registry.now()
    return [{"practitioner": i["practitioner"], "phase": i["phase"], "created_at": i["created_at"],
             "expires_at": i["expires_at"], "state": state(i, now)}
            for i in SqlSurvey(registry.repo.engine).invitations(pilot.id)
            if sees_practitioner(caller, zone.get(i["practitioner"], ""))]


def state(invitation: Mapping[str, Any], now: dt.datetime) -> str:
    if invitation["answer_id"] is not None:
        return "answered"
    if invitation["revoked_at"] is not None:
        return "replaced"
    if invitation["expires_at"] <= now:
        return "expired"
    return "opened" if invitation["exchanged_at"] is not None else "sent"


# ── the doctor's side ─────────────────────────────────────────────────────────────────────────────────────
class SurveyRefused(Exception):
    """Why a doctor's link or cookie does not open the questionnaire (`web.survey` says it in French)."""

    def __init__(self, kind: str, invitation: Mapping[str, Any] | None = None) -> None:
        super().__init__(kind)
        self.kind, self.invitation = kind, invitation


@dataclass(frozen=True)
class Respondent:
    """A doctor holding an opened link: their invitation, its pilot."""

    invitation: Mapping[str, Any]
    pilot: PilotRecord

    @property
    def practitioner(self) -> str:
        return str(self.invitation["practitioner"])

    @property
    def answered(self) -> bool:
        return self.invitation["answer_id"] is not None


def open_link(registry: Registry, secret: bytes, token: str, *, session: str | None = None) -> tuple[str, Respondent]:
    """The link's first opening: a new cookie token (shown once) for its respondent. A second opening is refused
    (`used`), unless it comes with that link's own cookie (the doctor clicked twice): then that cookie stands."""
    store = SqlSurvey(registry.repo.engine)
    found = store.invitation(digest=digest(secret, token)) if _LINK.fullmatch(token) else None
    if found is None:
        raise SurveyRefused("unknown")
    if found["exchanged_at"] is not None:
        if session is not None and _SESSION.fullmatch(session) \
                and hmac.compare_digest(found["session_digest"] or "", digest(secret, session)):
            return session, respondent(registry, secret, session)
        raise SurveyRefused("used", found)
    _usable(registry, found)
    cookie = SESSION_PREFIX + secrets.token_urlsafe(32)
    with registry.repo.writing() as conn:
        if not store.exchange(conn, found["id"], digest(secret, cookie), registry.now()):
            raise SurveyRefused("used", found)
    return cookie, respondent(registry, secret, cookie)


def respondent(registry: Registry, secret: bytes, session: str | None) -> Respondent:
    """The doctor a cookie stands for. An answered link still shows its thank-you page (`Respondent.answered`)."""
    if not session or not _SESSION.fullmatch(session):
        raise SurveyRefused("no_session")
    found = SqlSurvey(registry.repo.engine).invitation(session=digest(secret, session))
    if found is None:
        raise SurveyRefused("no_session")
    pilot = _usable(registry, found) if found["answer_id"] is None else _pilot(registry, found)
    return Respondent(found, pilot)


def _pilot(registry: Registry, invitation: Mapping[str, Any]) -> PilotRecord:
    from sqlalchemy import select

    from preserie.adapters.db import tables as t

    with registry.repo.engine.connect() as conn:
        key = conn.execute(select(t.pilots.c.key).where(t.pilots.c.id == invitation["pilot_id"])).scalar_one()
    pilot = registry.repo.pilot(key)
    assert pilot is not None
    return pilot


def _usable(registry: Registry, invitation: Mapping[str, Any]) -> PilotRecord:
    if invitation["revoked_at"] is not None:
        raise SurveyRefused("replaced", invitation)
    if invitation["expires_at"] <= registry.now():
        raise SurveyRefused("expired", invitation)
    pilot = _pilot(registry, invitation)
    if pilot.status not in FOLLOW_UP_OPEN or pilot.phase != invitation["phase"]:
        raise SurveyRefused("closed", invitation)
    return pilot


def draft(registry: Registry, who: Respondent) -> dict[str, Any] | None:
    return SqlSurvey(registry.repo.engine).draft(int(who.invitation["id"]))


def save_draft(registry: Registry, who: Respondent, form: Mapping[str, str]) -> FormCheck:
    """Whatever valid the form holds, kept for later (nothing counts until it is submitted)."""
    if who.answered:
        raise SurveyRefused("answered", who.invitation)
    checked = check_form(form, final=False)
    with registry.repo.writing() as conn:
        SqlSurvey.save_draft(conn, int(who.invitation["id"]), checked.values, registry.now())
    return checked


def submit(registry: Registry, who: Respondent, form: Mapping[str, str]) -> FormCheck:
    """The answer, once: recorded as a survey answer of the link's phase, dated today (Paris), in the pilot's
    history (its kept bilan no longer stands: C5 counts it at once). With errors nothing is recorded but the
    draft, so that nothing typed is lost."""
    if who.answered:
        raise SurveyRefused("answered", who.invitation)
    checked = check_form(form, final=True)
    if not checked.complete:
        save_draft(registry, who, form)
        return checked
    now = registry.now()
    values = checked.values
    row = {"pilot_id": who.pilot.id, "phase": who.invitation["phase"], "practitioner": who.practitioner,
           "submitted_on": paris_day(now), "blocking_issue": values["blocking_issue"],
           "blocking_issue_text": values.get("blocking_issue_text"), "comment": values.get("comment"),
           "recorded_by": 0, "recorded_at": now,  # 0: the doctor's own form (its link names the answer)
           **{score: values[score] for score in ("ease", "speed", "integration", "training", "support", "overall")}}
    store = SqlSurvey(registry.repo.engine)
    with registry.repo.writing() as conn:
        answer_id = store.add_answer(conn, **row)
        if not store.answered(conn, int(who.invitation["id"]), answer_id):
            raise SurveyRefused("answered", who.invitation)  # leaving the block rolls the answer back
        registry.record(conn, who.pilot, None, "survey_answered", detail=who.practitioner)
    return checked


def csrf(secret: bytes, session: str) -> str:
    """The form's anti-forgery token: bound to the cookie, so that another site cannot make one."""
    return hmac.new(secret, b"survey-csrf\x00" + session.encode("ascii"), "sha256").hexdigest()


def csrf_ok(secret: bytes, session: str, given: str) -> bool:
    return hmac.compare_digest(csrf(secret, session), given)
