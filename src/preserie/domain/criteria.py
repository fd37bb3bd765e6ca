"""The five criteria of the assessment (SPEC §6), each a pure function of facts and policy.

Comparisons with thresholds are made on exact fractions, so that a doctor at exactly 50 % meets 50 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from zoneinfo import ZoneInfo

from preserie.domain.facts import ConfigurationStats, TraceFacts
from preserie.domain.feedback import SCORES, Anomaly, SurveyAnswer
from preserie.domain.pilot import Practitioner
from preserie.domain.policy import Policy
from preserie.domain.reference import Reference
from preserie.domain.results import (
    BlockingAnomaly,
    BlockingIssue,
    KnownAnswer,
    OperationResult,
    Operations,
    Prerequisites,
    RegistrationRate,
    Satisfaction,
    Suspect,
    UsageRate,
    UserUsage,
    WeekCounts,
)
from preserie.domain.stats import wilson_interval

PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class Criterion:
    id: str
    code: str
    label: str
    seed: str


CRITERIA: tuple[Criterion, ...] = (
    Criterion("usage_rate", "C1", "Taux d'ordonnances numériques par médecin utilisateur",
              "taux d'ordonnances numériques minimum de 50 % par médecin utilisateur par rapport à toutes ses "
              "prescriptions, toutes prestations confondues établi à partir des traces postes"),
    Criterion("registration_rate", "C2", "Ordonnances numériques enregistrées dans la base de l'Assurance Maladie",
              "70 % des ordonnances numériques créées sont enregistrées dans la base de l'Assurance Maladie "
              "avec succès"),
    Criterion("operations", "C3", "Opérations créer, consulter, rechercher sans anomalie bloquante du logiciel",
              "absence d'anomalies intrinsèques au logiciel empêchant une utilisation nominale de chacune des "
              "opérations de l'ordonnance numérique (appels réussis des services « créer », « consulter » et "
              "« rechercher »)"),
    Criterion("prerequisites", "C4", "Prérequis techniques au déploiement identifiés",
              "identification des prérequis techniques au déploiement"),
    Criterion("satisfaction", "C5", "Satisfaction des médecins utilisateurs, sans frein bloquant",
              "satisfaction des médecins utilisateurs mesurée par un questionnaire, sans remontée de frein "
              "bloquant pour le déploiement"),
)


def _at_least(numerator: int, denominator: int, threshold: float) -> bool:
    return Fraction(numerator, denominator) >= Fraction(str(threshold))


def iso_paris(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(PARIS).isoformat()


def usage_rate(users: Sequence[Practitioner], facts: TraceFacts, policy: Policy) -> UsageRate:
    """C1: each user's share of e-prescriptions since their first one, up to as_of."""
    rows: list[UserUsage] = []
    weekly: dict[str, list[WeekCounts]] = {}
    for practitioner, week, digital, total in facts.weekly:
        weekly.setdefault(practitioner, []).append(WeekCounts(week=week, digital=digital, total=total))
    for user in users:
        counts = facts.usage.get(user.id)
        weeks = tuple(weekly.get(user.id, ()))
        if counts is None:
            rows.append(UserUsage(id=user.id, window_start=None, digital=0, total=None, rate=None, rate_ci95=None,
                                  low_volume=True, met=False, weekly=weeks))
            continue
        rows.append(UserUsage(
            id=user.id, window_start=iso_paris(counts.window_start), digital=counts.digital, total=counts.total,
            rate=counts.digital / counts.total, rate_ci95=wilson_interval(counts.digital, counts.total),
            low_volume=counts.total < policy.low_volume_below,
            met=_at_least(counts.digital, counts.total, policy.usage_rate_min), weekly=weeks))
    return UsageRate(met=bool(rows) and all(r.met for r in rows), threshold=policy.usage_rate_min,
                     count_out_of_scope=policy.count_out_of_scope, practitioners=tuple(rows))


def registration_rate(facts: TraceFacts, policy: Policy) -> RegistrationRate:
    """C2: the share of created e-prescriptions that the national registry holds."""
    reg = facts.registration
    met = reg.created > 0 and _at_least(reg.registered, reg.created, policy.registration_rate_min)
    return RegistrationRate(met=met, threshold=policy.registration_rate_min, created=reg.created,
                            registered=reg.registered, rate=reg.registered / reg.created if reg.created else None,
                            source=reg.source, orphans=reg.orphans, rejected=reg.rejected, unknown=reg.unknown)


def operations(facts: TraceFacts, anomalies: Sequence[Anomaly], as_of: dt.datetime | None,
               reference: Reference, policy: Policy) -> Operations:
    """C3: each operation succeeds, fails rarely by the software's fault, and has no open blocking anomaly."""
    day = as_of.astimezone(PARIS).date() if as_of else None
    open_anomalies = [a for a in anomalies if day is not None and a.is_open_on(day)]
    result: dict[str, OperationResult] = {}
    for operation in reference.operations:
        counts = facts.operations.get(operation)
        calls = counts.calls if counts else 0
        ok = counts.ok if counts else 0
        errors = {c.name: (counts.errors.get(c.name, 0) if counts else 0) for c in reference.error_classes}
        software = errors.get("software", 0)
        blocking = tuple(BlockingAnomaly(id=a.id, opened_on=a.opened_on.isoformat(), operation=a.operation,
                                         summary=a.summary) for a in open_anomalies if a.blocks(operation))
        rate_ok = calls == 0 or Fraction(software, calls) <= Fraction(str(policy.software_error_rate_max))
        result[operation] = OperationResult(
            calls=calls, ok=ok, errors=errors, software_error_rate=software / calls if calls else 0,
            open_blocking_anomalies=blocking, met=ok >= 1 and rate_ok and not blocking)
    return Operations(met=all(r.met for r in result.values()), threshold=policy.software_error_rate_max,
                      operations=result)


def _is_suspect(stats: ConfigurationStats, calls: int, failures: int, policy: Policy) -> bool:
    if stats.calls < policy.suspect_min_calls:
        return False
    rate = Fraction(stats.failures, stats.calls)
    overall = Fraction(failures, calls) if calls else Fraction(0)
    factor = Fraction(str(policy.suspect_rate_factor))
    return rate >= factor * overall and rate >= overall + Fraction(str(policy.suspect_rate_margin))


def prerequisites(users: Sequence[Practitioner], declared: Sequence[str], facts: TraceFacts,
                  policy: Policy) -> Prerequisites:
    """C4: prerequisites declared, every user's workstation described, suspicious configurations shown."""
    without = tuple(u.id for u in users if u.id not in facts.users_with_snapshot)
    overall = facts.create_failures / facts.create_calls if facts.create_calls else 0.0
    suspects = tuple(
        Suspect(field=s.field, value=s.value, calls=s.calls, failures=s.failures, failure_rate=s.failures / s.calls,
                overall_failure_rate=overall)
        for s in sorted(facts.configurations, key=lambda s: (s.field, s.value))
        if _is_suspect(s, facts.create_calls, facts.create_failures, policy)
    )
    observed = {f: dict(sorted(values.items())) for f, values in facts.observed.items()}
    return Prerequisites(met=bool(declared) and not without, declared=tuple(declared), observed=observed,
                         users_without_snapshot=without, suspects=suspects)


def satisfaction(users: Sequence[Practitioner], answers: Sequence[SurveyAnswer], policy: Policy,
                 as_of: dt.datetime | None = None) -> Satisfaction:
    """C5: every user answered, the mean overall score is high enough, and nobody raised a blocking issue.

    Of a user, only the latest answer by `submitted_on` counts; on a tie, the later row of the file.
    Answers submitted after the day of `as_of` (Paris) are not known yet at that date: they are left out and
    counted apart, as traces and anomalies after as_of are.
    """
    user_ids = [u.id for u in users]
    day = as_of.astimezone(PARIS).date() if as_of else None
    later = [a for a in answers if day is not None and a.submitted_on > day]
    latest: dict[str, SurveyAnswer] = {}
    for answer in answers:  # file order: a later row wins ties
        if answer.practitioner in user_ids and (day is None or answer.submitted_on <= day):
            kept = latest.get(answer.practitioner)
            if kept is None or answer.submitted_on >= kept.submitted_on:
                latest[answer.practitioner] = answer
    counted = [latest[u] for u in user_ids if u in latest]
    mean = sum(a.overall for a in counted) / len(counted) if counted else None
    blocking = tuple(BlockingIssue(practitioner=a.practitioner, text=a.blocking_issue_text)
                     for a in counted if a.blocking_issue)
    missing = tuple(u for u in user_ids if u not in latest)
    mean_ok = bool(counted) and Fraction(sum(a.overall for a in counted), len(counted)) >= Fraction(
        str(policy.satisfaction_min))
    scores = {s: sum(getattr(a, s) for a in counted) / len(counted) for s in SCORES} if counted else {}
    return Satisfaction(met=not missing and mean_ok and not blocking, expected=len(user_ids),
                        responses=len(counted), mean_overall=mean, threshold=policy.satisfaction_min,
                        blocking_issues=blocking, missing=missing, mean_scores=scores,
                        ignored_answers=sum(1 for a in answers if a.practitioner not in user_ids),
                        after_as_of_answers=len(later), answers=_known(user_ids, answers, day, latest))


def _known(user_ids: list[str], answers: Sequence[SurveyAnswer], day: dt.date | None,
           latest: dict[str, SurveyAnswer]) -> tuple[KnownAnswer, ...]:
    """The users' answers known at the date, by doctor then date (the sort is stable: the file's order on a tie,
    so that a doctor's last one is the one C5 counted), each marked counted or replaced."""
    known = sorted((a for a in answers if a.practitioner in user_ids and (day is None or a.submitted_on <= day)),
                   key=lambda a: (user_ids.index(a.practitioner), a.submitted_on))
    return tuple(KnownAnswer(a, counted=a is latest[a.practitioner]) for a in known)
