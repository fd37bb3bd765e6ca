"""The doctors' questionnaire (issue 12), as pure rules: when the présérie is planned to end, how long a personal
link lives, when the doctors who have not answered are reminded, and what a submitted form must hold.

The présérie lasts « quelques semaines, à compter de la date d'envoi des premières ordonnances numériques par le
médecin » (seed): its planned end is the first e-prescription of its users plus `planned_weeks`; before any, the
launch meeting stands in for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from preserie.domain.as_of import PARIS, end_of_paris_day

LINK_DAYS_AFTER_END = 14  # a doctor may still answer two weeks after the planned end (the bilan comes after it)
REMINDER_DAYS = (7, 3)  # reminders 7 and 3 days before the planned end
SCORES = ("ease", "speed", "integration", "training", "support", "overall")
SCORE_QUESTIONS: dict[str, str] = {
    "ease": "Facilité d'utilisation de l'ordonnance numérique",
    "speed": "Rapidité pour établir une ordonnance numérique",
    "integration": "Intégration dans votre logiciel et votre façon de travailler",
    "training": "Formation reçue",
    "support": "Assistance de l'éditeur en cas de difficulté",
    "overall": "Satisfaction générale",
}
SCALE_WORDS = {1: "pas du tout satisfait", 2: "peu satisfait", 3: "moyennement satisfait", 4: "satisfait",
               5: "très satisfait"}
MAX_TEXT = {"blocking_issue_text": 2000, "comment": 5000}


def planned_end(weeks: int, first_e_prescription: dt.date | None, launch: dt.date | None) -> dt.date | None:
    """The day the présérie is planned to end; None before both its first e-prescription and its launch meeting.

    >>> planned_end(6, dt.date(2025, 1, 20), dt.date(2025, 1, 8))
    datetime.date(2025, 3, 3)
    >>> planned_end(6, None, dt.date(2025, 1, 8)), planned_end(6, None, None)
    (datetime.date(2025, 2, 19), None)
    """
    start = first_e_prescription or launch
    return None if start is None else start + dt.timedelta(weeks=weeks)


def link_expiry(end: dt.date | None, today: dt.date, weeks: int) -> dt.datetime:
    """When a link made ``today`` stops working: the end of the day, Paris time, two weeks after the planned end
    (after today's planned duration when the end is not known yet), never before two weeks from today.

    >>> link_expiry(dt.date(2025, 3, 3), dt.date(2025, 2, 20), 6).isoformat()
    '2025-03-17T23:59:59.999999+01:00'
    """
    end = end or today + dt.timedelta(weeks=weeks)
    return end_of_paris_day(max(end, today) + dt.timedelta(days=LINK_DAYS_AFTER_END))


def reminder_dates(end: dt.date) -> tuple[dt.date, ...]:
    """>>> [d.isoformat() for d in reminder_dates(dt.date(2025, 3, 14))]
    ['2025-03-07', '2025-03-11']
    """
    return tuple(end - dt.timedelta(days=days) for days in REMINDER_DAYS)


def reminder_stage(end: dt.date | None, today: dt.date) -> int | None:
    """The reminder due today or last due (7, 3 days before the end; 0 once the end is reached); None before the
    first one.

    >>> end = dt.date(2025, 3, 14)
    >>> [reminder_stage(end, dt.date(2025, 3, d)) for d in (6, 7, 10, 11, 14, 20)]
    [None, 7, 7, 3, 0, 0]
    """
    if end is None:
        return None
    if today >= end:
        return 0
    due = [days for days in REMINDER_DAYS if today >= end - dt.timedelta(days=days)]
    return min(due) if due else None


def paris_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(PARIS).date()


# ── the form ───────────────────────────────────────────────────────────────────────────────────────────────
@dataclass(frozen=True)
class FormCheck:
    """What a submitted form gave: the values understood (a draft keeps these), and the errors by field."""

    values: dict[str, object]
    errors: dict[str, str]

    @property
    def complete(self) -> bool:
        return not self.errors


def check_form(form: Mapping[str, str], *, final: bool) -> FormCheck:
    """The questionnaire's fields read from a form: each score 1 to 5, « oui » / « non » for a blocking issue,
    its description when there is one, a comment; ``final``: a submission (every answer required) rather than a
    draft (whatever is given and valid is kept).

    >>> check_form({"ease": "4", "blocking_issue": "non"}, final=False).values
    {'ease': 4, 'blocking_issue': False}
    >>> sorted(check_form({"ease": "9"}, final=True).errors)[:3]
    ['blocking_issue', 'ease', 'integration']
    """
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for score in SCORES:
        given = form.get(score, "").strip()
        if given in ("1", "2", "3", "4", "5"):
            values[score] = int(given)
        elif given or final:
            errors[score] = f"« {SCORE_QUESTIONS[score]} » : choisir une note de 1 à 5"
    blocking = form.get("blocking_issue", "").strip()
    if blocking in ("oui", "non"):
        values["blocking_issue"] = blocking == "oui"
    elif blocking or final:
        errors["blocking_issue"] = "Frein bloquant : répondre oui ou non"
    for name, limit in MAX_TEXT.items():
        text = form.get(name, "").replace("\r\n", "\n").strip()
        if len(text) > limit:
            errors[name] = f"{limit} caractères au plus ({len(text)} saisis)"
            values[name] = text[:limit]
        elif text:
            values[name] = text
    if final and values.get("blocking_issue") is True and not values.get("blocking_issue_text"):
        errors["blocking_issue_text"] = "Décrire le frein bloquant en quelques mots"
    if final and values.get("blocking_issue") is False:
        values.pop("blocking_issue_text", None)  # no issue: a description left from a draft is not kept
    return FormCheck(values, errors)
