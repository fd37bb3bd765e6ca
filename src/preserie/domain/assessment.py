"""The assessment (bilan) of a pilot: criteria, dossier checks and the decision, as one pure function."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from preserie import french as fr
from preserie.domain import criteria as c
from preserie.domain.accounting import DataQuality
from preserie.domain.dossier import CHECK_LABELS, FAIL, DossierContext, check_dossier
from preserie.domain.facts import TraceFacts
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.pilot import PilotDeclaration
from preserie.domain.policy import Policy
from preserie.domain.reference import Reference
from preserie.domain.results import (
    DEPLOY,
    EXTEND,
    SCHEMA,
    Assessment,
    CriteriaResults,
    CriterionResult,
    Operations,
    Prerequisites,
    Reason,
    RegistrationRate,
    Satisfaction,
    UsageRate,
)

__all__ = ["DEPLOY", "EXTEND", "SCHEMA", "Assessment", "Evidence", "assess"]


@dataclass(frozen=True)
class Evidence:
    """Everything the assessment is a function of."""

    pilot: PilotDeclaration
    policy: Policy
    reference: Reference
    as_of: dt.datetime | None
    data_quality: DataQuality
    facts: TraceFacts
    anomalies: Sequence[Anomaly]
    answers: Sequence[SurveyAnswer]
    allow_test_identities: bool = False
    unreadable_files: tuple[str, ...] = ()
    dropped_rows: tuple[str, ...] = ()


def _operation_reasons(result: Operations, labels: dict[str, str]) -> str:
    parts = []
    for name, op in result.operations.items():
        if op.met:
            continue
        causes = []
        if op.ok < 1:
            causes.append("aucun appel réussi")
        if op.software_error_rate > result.threshold:
            causes.append(f"{fr.percent(op.software_error_rate)} d'erreurs du logiciel")
        if op.open_blocking_anomalies:
            ids = ", ".join(a.id for a in op.open_blocking_anomalies)
            causes.append(f"anomalie bloquante ouverte ({ids})")
        parts.append(f"« {labels.get(name, name)} » : {', '.join(causes)}")
    return " ; ".join(parts)


def _satisfaction_reason(result: Satisfaction) -> str:
    parts = []
    if result.missing:
        parts.append(f"{len(result.missing)} médecin(s) sans réponse au questionnaire")
    if result.mean_overall is not None and result.mean_overall < result.threshold:
        parts.append(f"note globale moyenne de {fr.decimal(result.mean_overall)} sous le seuil de "
                     f"{fr.decimal(result.threshold)}")
    if result.blocking_issues:
        parts.append(f"{len(result.blocking_issues)} frein(s) bloquant(s) signalé(s)")
    if result.after_as_of_answers:
        parts.append(f"{result.after_as_of_answers} réponse(s) postérieure(s) à la date du bilan, non comptée(s)")
    return " ; ".join(parts) or "aucune réponse"


def _criterion_reason(result: CriterionResult, reference: Reference) -> str:
    if isinstance(result, UsageRate):
        below = [r.id for r in result.practitioners if not r.met]
        threshold = fr.percent(result.threshold, 0)
        return f"{len(below)} médecin(s) utilisateur(s) sous le seuil de {threshold} : " + ", ".join(below)
    if isinstance(result, RegistrationRate):
        if not result.created:
            return "aucune ordonnance numérique créée"
        return (f"{result.registered} ordonnances enregistrées sur {result.created} créées, "
                f"sous le seuil de {fr.percent(result.threshold, 0)}")
    if isinstance(result, Operations):
        return _operation_reasons(result, reference.operations)
    if isinstance(result, Prerequisites):
        parts = []
        if not result.declared:
            parts.append("aucun prérequis technique déclaré")
        if result.users_without_snapshot:
            parts.append("poste non décrit pour : " + ", ".join(result.users_without_snapshot))
        return " ; ".join(parts)
    return _satisfaction_reason(result)


def assess(evidence: Evidence) -> Assessment:
    """The assessment of a pilot (SPEC §6); `as_dict()` gives the `preserie.assessment/1` object (SPEC §7)."""
    pilot, policy, facts = evidence.pilot, evidence.policy, evidence.facts
    users = pilot.users
    results = CriteriaResults(
        usage_rate=c.usage_rate(users, facts, policy),
        registration_rate=c.registration_rate(facts, policy),
        operations=c.operations(facts, evidence.anomalies, evidence.as_of, evidence.reference, policy),
        prerequisites=c.prerequisites(users, pilot.technical_prerequisites, facts, policy),
        satisfaction=c.satisfaction(users, evidence.answers, policy, evidence.as_of),
    )
    starts = [u.window_start for u in facts.usage.values() if u.window_start is not None]
    context = DossierContext(
        reference=evidence.reference, as_of=evidence.as_of, earliest_window_start=min(starts, default=None),
        active_users=facts.active_users, allow_test_identities=evidence.allow_test_identities,
        unreadable_files=evidence.unreadable_files, dropped_rows=evidence.dropped_rows, policy=policy,
    )
    dossier = tuple(check_dossier(pilot, context))
    reasons: list[Reason] = []
    for criterion in c.CRITERIA:
        result = results.by_id(criterion.id)
        if not result.met:
            reasons.append(Reason("criterion", criterion.id, f"{criterion.code} {criterion.label} : "
                                  f"{_criterion_reason(result, evidence.reference)}"))
    for check in dossier:
        if check.status == FAIL:
            label = CHECK_LABELS.get(check.check, check.check)
            reasons.append(Reason("dossier", check.check, f"{label} : {check.detail}"))
    return Assessment(pilot=pilot.id, as_of=c.iso_paris(evidence.as_of), decision=EXTEND if reasons else DEPLOY,
                      reasons=tuple(reasons), dossier=dossier, criteria=results, data_quality=evidence.data_quality,
                      policy=policy, reference_version=evidence.reference.version)
