"""Use cases: the présérie's steps, in the seed's order: the vendor sends (after each doctor's agreement in
principle and the check of their equipment), the Cnam accepts or sends back and informs the CPAMs, the launch
meeting, the Cnam's decision on the bilan (stored with the assessment it rests on), the deployment's kick-off.

Every step is checked against the life cycle (`domain.lifecycle`) and written to the pilot's history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from preserie.domain.access import Caller, Role
from preserie.domain.lifecycle import RULES, Transition, TransitionRefused, may, next_status
from preserie.domain.registry import DecisionRecord, PilotRecord
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry

PARTIES = ("vendor", "cnam", "gie", "cpam")
DECISIONS = {"deploy": Transition.DECIDE_DEPLOY, "extend": Transition.DECIDE_EXTEND}


def allowed_step(registry: Registry, caller: Caller, key: str, transition: Transition) -> PilotRecord:
    pilot = registry.visible(caller, key)
    rule = RULES[transition]
    if not may(caller.role, transition) or (caller.role == Role.VENDOR and caller.vendor != pilot.vendor):
        raise RegistryError("FORBIDDEN_ROLE", f"{rule.label} : réservé à "
                            + " ou ".join({"vendor": "l'éditeur", "cnam": "la Cnam"}[r] for r in rule.roles))
    try:
        next_status(pilot.status, transition)
    except TransitionRefused as error:
        raise RegistryError("TRANSITION_REFUSED", str(error)) from error
    return pilot


def submit(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    """Send the présérie to the GIE SESAM-Vitale and the Cnam: every doctor's agreement in principle recorded,
    every equipped doctor's equipment and software checked compatible (seed, « Modalités »)."""
    pilot = allowed_step(registry, caller, key, Transition.SUBMIT)
    missing = []
    for p in registry.repo.practitioners(pilot.id):
        if p.agreement_on is None:
            missing.append(f"{p.ref} : accord de principe non enregistré")
        if p.equipped and p.compatible is not True:
            missing.append(f"{p.ref} : compatibilité du poste et de la version non vérifiée" if p.compatible is None
                           else f"{p.ref} : poste ou version déclaré incompatible")
    if missing:
        raise RegistryError("TRANSITION_REFUSED", "l'envoi demande d'abord, pour chaque médecin volontaire : "
                            + " ; ".join(missing), details=[{"message": m} for m in missing])
    return _move(registry, caller, pilot, Transition.SUBMIT)


def send_back(registry: Registry, caller: Caller, key: str, reason: str) -> PilotRecord:
    pilot = allowed_step(registry, caller, key, Transition.RETURN)
    return _move(registry, caller, pilot, Transition.RETURN, detail=reason)


def accept(registry: Registry, caller: Caller, key: str, *, reduced_minimum: bool | None = None) -> PilotRecord:
    """The Cnam accepts the présérie; from then on the CPAMs of its doctors see it. It may grant the reduced
    minimum of 3 doctors (« pourra être revu », for a market share below 1 %)."""
    pilot = allowed_step(registry, caller, key, Transition.ACCEPT)
    zones = sorted(registry.repo.departments(pilot.id))
    detail = "CPAM informées : " + ", ".join(zones)
    if reduced_minimum is not None:
        detail += " ; minimum réduit à 3 médecins : " + ("accordé" if reduced_minimum else "refusé")
    return _move(registry, caller, pilot, Transition.ACCEPT, detail=detail,
                 values={} if reduced_minimum is None else {"reduced_minimum": reduced_minimum})


def launch(registry: Registry, caller: Caller, key: str, held_on: dt.date,
           participants: list[dict[str, str]]) -> PilotRecord:
    """The launch meeting (vendor, Cnam, GIE SESAM-Vitale, CPAMs) is held: the présérie runs."""
    pilot = allowed_step(registry, caller, key, Transition.LAUNCH)
    bad = [p for p in participants if p.get("party") not in PARTIES or not str(p.get("name", "")).strip()]
    if bad:
        raise RegistryError("INVALID_REQUEST", "participants : chacun avec « party » (vendor, cnam, gie ou cpam) "
                            "et « name »", field="participants")
    with registry.repo.writing() as conn:
        registry.repo.add_meeting(conn, pilot.id, held_on=held_on, participants=participants,
                                  recorded_by=caller.account_id, recorded_at=registry.now())
    return _move(registry, caller, pilot, Transition.LAUNCH, detail=f"réunion de lancement du {held_on.isoformat()}")


def decide(registry: Registry, caller: Caller, key: str, decision: str, justification: str | None,
           assessment: dict[str, Any]) -> DecisionRecord:
    """The Cnam's decision on the current phase, kept with the assessment it rests on (its JSON and SHA-256).
    ``extend`` opens the next phase (new practitioners, the vendor's fixed version); ``deploy`` approves."""
    transition = DECISIONS[decision]
    pilot = allowed_step(registry, caller, key, transition)
    if decision != assessment["decision"] and not (justification or "").strip():
        raise RegistryError("INVALID_REQUEST", f"la décision « {decision} » s'écarte du bilan (« "
                            f"{assessment['decision']} ») : la justifier", field="justification")
    text = json.dumps(assessment, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    now = registry.now()
    version = next(p.software_version for p in registry.repo.phases(pilot.id) if p.number == pilot.phase)
    with registry.repo.writing() as conn:
        decision_id = registry.repo.add_decision(
            conn, pilot.id, phase=pilot.phase, decision=decision, decided_at=now, decided_by=caller.account_id,
            justification=justification, assessment=text,
            assessment_sha256=hashlib.sha256(text.encode()).hexdigest())
        if transition == Transition.DECIDE_EXTEND:
            registry.repo.close_phase(conn, pilot.id, pilot.phase, now)
            registry.repo.add_phase(conn, pilot.id, pilot.phase + 1, version, now)
            registry.repo.set_pilot(conn, pilot.id, phase=pilot.phase + 1)
        registry.record(conn, pilot, caller, transition.value, to=RULES[transition].target,
                        detail=f"phase {pilot.phase}" + (f" ; {justification}" if justification else ""))
    return next(d for d in registry.repo.decisions(pilot.id) if d.id == decision_id)


def kick_off(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    """The deployment starts: the présérie is over and its traces are switched off."""
    pilot = allowed_step(registry, caller, key, Transition.KICK_OFF)
    return _move(registry, caller, pilot, Transition.KICK_OFF)


def _move(registry: Registry, caller: Caller, pilot: PilotRecord, transition: Transition, *,
          detail: str | None = None, values: dict[str, Any] | None = None) -> PilotRecord:
    with registry.repo.writing() as conn:
        if values:
            registry.repo.set_pilot(conn, pilot.id, **values)
        registry.record(conn, pilot, caller, transition.value, to=RULES[transition].target, detail=detail)
    found = registry.repo.pilot(pilot.key)
    assert found is not None
    return found
