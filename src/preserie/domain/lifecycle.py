"""The présérie's life cycle in the registry, from the seed's « Modalités » and « Bilan », as a pure state machine.

    draft ──submit──▶ submitted ──accept──▶ accepted ──launch──▶ running ──decide deploy──▶ deploy_approved
      ▲                   │                                        │  ▲                          │
      └──────return───────┘                                        │  └──decide extend (phase+1)  └─kick-off─▶ deployed
                                                                   └──────────────────────────────┘

Each transition names the steps it needs; a refused one says, in French, which step is missing (the API answers
409 with it). The seed's lines, in order: the vendor identifies its volunteers after their agreement in principle
and checks their equipment (draft), sends the list to the GIE SESAM-Vitale and the Cnam (submit), the Cnam informs
the CPAMs (accept), a launch meeting is held (launch), installations and traces follow (running), the bilan ends in
a decision: deploy, or prolong / extend to other doctors after the vendor's fixes (a new phase).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    RUNNING = "running"
    DEPLOY_APPROVED = "deploy_approved"
    DEPLOYED = "deployed"


STATUS_LABELS: dict[str, str] = {
    Status.DRAFT: "en préparation",
    Status.SUBMITTED: "envoyée au GIE SESAM-Vitale et à la Cnam",
    Status.ACCEPTED: "acceptée par la Cnam",
    Status.RUNNING: "en cours",
    Status.DEPLOY_APPROVED: "généralisation validée",
    Status.DEPLOYED: "généralisée",
}


class Transition(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    ACCEPT = "accept"
    LAUNCH = "launch"
    DECIDE_DEPLOY = "decide_deploy"
    DECIDE_EXTEND = "decide_extend"
    KICK_OFF = "kick_off"


@dataclass(frozen=True)
class Rule:
    source: tuple[Status, ...]
    target: Status
    roles: tuple[str, ...]
    label: str  # what the step is called, in French, when another step needs it


RULES: dict[Transition, Rule] = {
    Transition.SUBMIT: Rule((Status.DRAFT,), Status.SUBMITTED, ("vendor",), "l'envoi de la présérie par l'éditeur"),
    Transition.RETURN: Rule((Status.SUBMITTED,), Status.DRAFT, ("cnam",), "le renvoi à l'éditeur"),
    Transition.ACCEPT: Rule((Status.SUBMITTED,), Status.ACCEPTED, ("cnam",), "l'acceptation par la Cnam"),
    Transition.LAUNCH: Rule((Status.ACCEPTED,), Status.RUNNING, ("cnam",), "la réunion de lancement"),
    Transition.DECIDE_DEPLOY: Rule((Status.RUNNING,), Status.DEPLOY_APPROVED, ("cnam",),
                                   "la décision de généralisation de la Cnam"),
    Transition.DECIDE_EXTEND: Rule((Status.RUNNING,), Status.RUNNING, ("cnam",),
                                   "la décision de prolongation de la Cnam"),
    Transition.KICK_OFF: Rule((Status.DEPLOY_APPROVED,), Status.DEPLOYED, ("vendor", "cnam"),
                              "le lancement de la généralisation"),
}

# The step that leads into each status: what is missing when a transition is asked too early.
_REACHED_BY: dict[Status, Transition] = {Status.SUBMITTED: Transition.SUBMIT, Status.ACCEPTED: Transition.ACCEPT,
                                         Status.RUNNING: Transition.LAUNCH,
                                         Status.DEPLOY_APPROVED: Transition.DECIDE_DEPLOY,
                                         Status.DEPLOYED: Transition.KICK_OFF}
_ORDER = (Status.DRAFT, Status.SUBMITTED, Status.ACCEPTED, Status.RUNNING, Status.DEPLOY_APPROVED, Status.DEPLOYED)


class TransitionRefused(Exception):
    """A transition the life cycle does not allow now; the message names the missing step (French)."""


def next_status(current: Status, transition: Transition) -> Status:
    """The status after ``transition``, or `TransitionRefused` saying what is missing.

    >>> next_status(Status.DRAFT, Transition.SUBMIT)
    <Status.SUBMITTED: 'submitted'>
    >>> next_status(Status.SUBMITTED, Transition.LAUNCH)
    Traceback (most recent call last):
    ...
    preserie.domain.lifecycle.TransitionRefused: la réunion de lancement demande d'abord l'acceptation par la Cnam
    (présérie envoyée au GIE SESAM-Vitale et à la Cnam)
    """
    rule = RULES[transition]
    if current in rule.source:
        return rule.target
    raise TransitionRefused(refusal(current, transition))


def refusal(current: Status, transition: Transition) -> str:
    """Why ``transition`` cannot happen in ``current``: the step missing before it, or that it is too late."""
    rule = RULES[transition]
    earliest = min(_ORDER.index(s) for s in rule.source)
    where = f"présérie {STATUS_LABELS[current]}"
    if _ORDER.index(current) < earliest:
        missing = _REACHED_BY[_ORDER[_ORDER.index(current) + 1]]
        return f"{rule.label} demande d'abord {RULES[missing].label} ({where})"
    return f"{rule.label} n'est plus possible : {where}"


def may(role: str, transition: Transition) -> bool:
    return role in RULES[transition].roles


# What the vendor may change, by status: its declaration while drafting; its planning, installations, anomalies,
# survey answers and traces once the Cnam has accepted, until deployment.
DECLARATION_EDITABLE = (Status.DRAFT,)
PRACTITIONERS_EDITABLE = (Status.DRAFT, Status.RUNNING)  # a new phase extends the présérie to other doctors
FOLLOW_UP_OPEN = (Status.ACCEPTED, Status.RUNNING)
TRACES_OPEN = (Status.RUNNING, Status.DEPLOY_APPROVED)  # switched off at deployment (the collector answers 410)


def refused_unless(current: Status, allowed: Sequence[Status], what: str) -> None:
    """`TransitionRefused` when ``what`` cannot be done in ``current``.

    >>> refused_unless(Status.SUBMITTED, DECLARATION_EDITABLE, "modifier la déclaration")
    Traceback (most recent call last):
    ...
    preserie.domain.lifecycle.TransitionRefused: modifier la déclaration : impossible quand la présérie est envoyée
    au GIE SESAM-Vitale et à la Cnam (possible : en préparation)
    """
    if current not in allowed:
        possible = ", ".join(STATUS_LABELS[s] for s in allowed)
        raise TransitionRefused(f"{what} : impossible quand la présérie est {STATUS_LABELS[current]} "
                                f"(possible : {possible})")
