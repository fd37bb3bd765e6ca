"""The dossier checks: the seed's prerequisites and terms of a présérie (SPEC §6), each with a fixed id."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from preserie import french as fr
from preserie.domain.identifiers import IdentifierCheck, check_am, check_finess, check_rpps
from preserie.domain.pilot import AUDIENCE_LABELS, Audience, PilotDeclaration, Situation
from preserie.domain.policy import Policy
from preserie.domain.reference import Reference

PASS, FAIL, WARN = "pass", "fail", "warn"

# The French name of each check, for screens and reports.
CHECK_LABELS: dict[str, str] = {
    "cnda_authorization": "Autorisation CNDA", "readiness_support": "Support aux professionnels de santé",
    "readiness_installation_and_training": "Installation et formation", "readiness_kit": "Kit d'accompagnement",
    "cpam_count": "Nombre de CPAM", "cpam_referent": "CPAM référentes", "practitioner_count": "Nombre de médecins",
    "situations": "Situations d'exercice", "identifiers": "Identifiants (N° AM, RPPS, FINESS)",
    "zone": "Zone géographique", "group_practice": "Cabinet de groupe ou MSP", "planning": "Planning",
    "traces_received": "Traces reçues", "duration": "Durée", "traces_readable": "Fichiers de traces lisibles",
    "input_rows": "Lignes des fichiers d'anomalies et du questionnaire",
    "policy_overrides": "Seuils de la politique",
}

# What each threshold of the policy is, in the words of the criteria (for the policy_overrides check).
THRESHOLD_LABELS: dict[str, str] = {
    "usage_rate_min": "C1, taux minimal d'ordonnances numériques par médecin",
    "registration_rate_min": "C2, part minimale d'ordonnances enregistrées",
    "software_error_rate_max": "C3, taux maximal d'erreurs du logiciel",
    "satisfaction_min": "C5, note globale moyenne minimale",
    "count_out_of_scope": "C1, prescriptions d'imagerie et de transport",
    "low_volume_below": "C1, seuil de faible volume",
    "suspect_min_calls": "C4, créations minimales d'une configuration suspecte",
    "suspect_rate_factor": "C4, facteur d'échec d'une configuration suspecte",
    "suspect_rate_margin": "C4, écart d'échec d'une configuration suspecte",
}


@dataclass(frozen=True)
class DossierContext:
    """What the checks need beyond the declaration."""

    reference: Reference
    as_of: dt.datetime | None
    earliest_window_start: dt.datetime | None
    active_users: frozenset[str]
    allow_test_identities: bool = False
    unreadable_files: tuple[str, ...] = ()
    dropped_rows: tuple[str, ...] = ()  # "anomalies.csv ligne 4" ... rows that could not be used
    policy: Policy | None = None


@dataclass(frozen=True)
class CheckResult:
    check: str
    status: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        return cls(check=data["check"], status=data["status"], detail=data["detail"])


def _names(ids: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" et {len(ids) - limit} autres" if len(ids) > limit else "")


def cnda_authorization(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when `software.cnda_authorization` is present and not empty."""
    ref = (p.software.cnda_authorization or "").strip()
    if ref:
        return CheckResult("cnda_authorization", PASS, f"logiciel autorisé par le CNDA ({ref})")
    return CheckResult("cnda_authorization", FAIL, "aucune autorisation CNDA déclarée (software.cnda_authorization)")


def _readiness(item: str, label: str) -> Callable[[PilotDeclaration, DossierContext], CheckResult]:
    def check(p: PilotDeclaration, c: DossierContext) -> CheckResult:
        if getattr(p.readiness, item):
            return CheckResult(f"readiness_{item}", PASS, f"{label} : prêt")
        return CheckResult(f"readiness_{item}", FAIL, f"{label} : non prêt (readiness.{item})")

    check.__name__ = f"readiness_{item}"
    check.__doc__ = f"Pass when `readiness.{item}` is true ({label})."
    return check


def cpam_count(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass with 1 to 3 CPAMs (seed: « Dans 1 à 3 CPAM »)."""
    low, high = c.reference.cpam_count
    n = len(set(p.cpams))
    status = PASS if low <= n <= high else FAIL
    return CheckResult("cpam_count", status, f"{n} CPAM déclarée(s) ; attendu de {low} à {high}")


def cpam_referent(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every pilot CPAM is a referent CPAM (reference data)."""
    outside = [cpam for cpam in p.cpams if cpam not in c.reference.referent_cpams]
    if outside:
        return CheckResult("cpam_referent", FAIL, f"CPAM hors de la liste des CPAM référentes : {_names(outside)}")
    names = ", ".join(f"{cpam} {c.reference.referent_cpams[cpam]}" for cpam in p.cpams)
    return CheckResult("cpam_referent", PASS, f"CPAM référentes : {names}" if names else "aucune CPAM déclarée")


def practitioner_count(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass with 5 to 10 users (liberal, mixed), or 1 to 5 centres and at least 5 users (health_center);
    the minimum is 3 below 1 % market share."""
    rules = c.reference.practitioner_counts
    users = len(p.users)
    share = p.software.market_share_percent
    small = share is not None and share < rules["small_market"]["below_share_percent"]
    note = f" (part de marché {share} % < 1 % : minimum 3)" if small else ""
    if p.reduced_minimum is not None:  # the Cnam decided it: its decision, not the market share, says
        small = p.reduced_minimum
        note = " (minimum réduit à 3 par décision de la Cnam)" if small else ""
    if p.software.audience == Audience.HEALTH_CENTER:
        hc = rules["health_center"]
        minimum = rules["small_market"]["min"] if small else hc["min_users"]
        centres = len(p.health_centers)
        ok = hc["min_centers"] <= centres <= hc["max_centers"] and users >= minimum
        detail = (f"{centres} centre(s) de santé (attendu de {hc['min_centers']} à {hc['max_centers']}), "
                  f"{users} médecin(s) équipé(s) (au moins {minimum}){note}")
        return CheckResult("practitioner_count", PASS if ok else FAIL, detail)
    rule = rules[p.software.audience.value]
    minimum = rules["small_market"]["min"] if small else rule["min"]
    ok = minimum <= users <= rule["max"]
    detail = f"{users} médecin(s) utilisateur(s) ; attendu de {minimum} à {rule['max']}{note}"
    return CheckResult("practitioner_count", PASS if ok else FAIL, detail)


def situations(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every practitioner's situation is allowed by the audience (mixed allows both)."""
    audience = p.software.audience
    allowed = {Situation.LIBERAL, Situation.HEALTH_CENTER} if audience == Audience.MIXED else {Situation(audience)}
    wrong = [pr.id for pr in p.practitioners if pr.situation not in allowed]
    label = AUDIENCE_LABELS[audience]
    if wrong:
        return CheckResult("situations", FAIL, f"situation d'exercice non prévue par l'audience « {label} » : "
                           f"{_names(wrong)}")
    return CheckResult("situations", PASS, f"situations d'exercice conformes à l'audience « {label} »")


def identifiers(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every FINESS, N° AM (liberal) and RPPS (health_center, with a declared centre) is valid."""
    problems: list[str] = []
    tests = 0
    allow = c.allow_test_identities

    def note(label: str, result: IdentifierCheck) -> None:
        nonlocal tests
        tests += result.is_test_identity and result.valid
        if not result.valid:
            problems.append(f"{label} {result.value} : {result.reason}")

    centres = {hc.finess for hc in p.health_centers}
    for hc in p.health_centers:
        note("FINESS", check_finess(hc.finess, allow_test=allow))
    for pr in p.practitioners:
        if pr.situation == Situation.LIBERAL:
            note("N° AM", check_am(pr.id, allow_test=allow))
        else:
            note("RPPS", check_rpps(pr.id, allow_test=allow))
            if pr.health_center not in centres:
                problems.append(f"RPPS {pr.id} : centre de santé {pr.health_center or '(absent)'} non déclaré "
                                "dans health_centers")
    if problems:
        return CheckResult("identifiers", FAIL, " ; ".join(problems))
    suffix = f" ({tests} identité(s) de test acceptée(s) par --test-identities)" if tests else ""
    return CheckResult("identifiers", PASS, "N° AM, RPPS et FINESS valides" + suffix)


def zone(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every practitioner's CPAM is one of the pilot's."""
    outside = [pr.id for pr in p.practitioners if pr.cpam not in p.cpams]
    if outside:
        return CheckResult("zone", FAIL, f"médecins rattachés à une CPAM hors présérie : {_names(outside)}")
    return CheckResult("zone", PASS, "tous les médecins sont rattachés à une CPAM de la présérie")


def group_practice(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when a user practises in a group or MSP; warn otherwise; always pass for a health_center audience."""
    if p.software.audience == Audience.HEALTH_CENTER:
        return CheckResult("group_practice", PASS, "sans objet pour une présérie en centre de santé")
    grouped = [u.id for u in p.users if u.practice in ("group", "msp")]
    if grouped:
        return CheckResult("group_practice", PASS, f"{len(grouped)} médecin(s) en cabinet de groupe ou MSP")
    return CheckResult("group_practice", WARN, "aucun cabinet de groupe ni MSP (« si possible » selon les règles)")


def planning(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every user has `installed_on` and `trained_on`."""
    missing = [u.id for u in p.users if u.installed_on is None or u.trained_on is None]
    if missing:
        return CheckResult("planning", FAIL, f"date d'installation ou de formation manquante : {_names(missing)}")
    return CheckResult("planning", PASS, "installation et formation planifiées pour chaque médecin utilisateur")


def traces_received(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every user has at least one used trace record."""
    silent = [u.id for u in p.users if u.id not in c.active_users]
    if silent:
        return CheckResult("traces_received", FAIL, f"aucune trace retenue pour : {_names(silent)}")
    return CheckResult("traces_received", PASS, "des traces ont été reçues de chaque médecin utilisateur")


def duration(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass after `planned_weeks` weeks from the earliest window start to as_of; warn before (interim assessment)."""
    if c.earliest_window_start is None or c.as_of is None:
        return CheckResult("duration", WARN, "aucune ordonnance numérique encore : la présérie n'a pas commencé")
    elapsed = c.as_of - c.earliest_window_start
    weeks = elapsed.days // 7
    if elapsed >= dt.timedelta(weeks=p.planned_weeks):
        return CheckResult("duration", PASS, f"{weeks} semaine(s) écoulée(s) ; {p.planned_weeks} prévue(s)")
    return CheckResult("duration", WARN, f"{weeks} semaine(s) écoulée(s) sur {p.planned_weeks} prévue(s) : "
                       "bilan intermédiaire")


def traces_readable(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every trace file could be read (beyond the Assurance Maladie's rules: a decision never rests on
    unread files)."""
    if c.unreadable_files:
        files = _names(list(c.unreadable_files))
        return CheckResult("traces_readable", FAIL, f"fichiers de traces illisibles : {files}")
    return CheckResult("traces_readable", PASS, "tous les fichiers de traces ont été lus")


def input_rows(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when every row of anomalies.csv and survey.csv is valid (beyond the Assurance Maladie's rules: a
    dropped row could hide a blocking issue)."""
    if c.dropped_rows:
        return CheckResult("input_rows", FAIL, f"lignes inutilisables : {_names(list(c.dropped_rows))}")
    return CheckResult("input_rows", PASS, "toutes les lignes des fichiers anomalies et questionnaire sont valides")


def _threshold(name: str, value: float | int | bool) -> str:
    """A threshold as a reader says it: 20 %, 3,5 sur 5, 10 points, × 2, 20, comptées dans le total."""
    if isinstance(value, bool):
        return "comptées dans le total" if value else "hors du total"
    if isinstance(value, int):
        return fr.integer(value)
    if name == "satisfaction_min":
        return f"{fr.decimal(value)} sur 5"
    if name == "suspect_rate_factor":
        return f"× {fr.decimal(value, 0 if value == int(value) else 1)}"
    digits = 0 if round(value * 100, 6) == int(round(value * 100, 6)) else 1
    if name == "suspect_rate_margin":
        return f"{fr.decimal(value * 100, digits)} points"
    return fr.percent(value, digits)


def policy_overrides(p: PilotDeclaration, c: DossierContext) -> CheckResult:
    """Pass when the pilot keeps the default thresholds; warn for each one it changes under `policy:`
    (beyond the Assurance Maladie's rules: a verdict reached with other thresholds says so where the verdict
    is read)."""
    policy = c.policy
    defaults = dict(policy.defaults) if policy else {}
    changed = [(name, getattr(policy, name), defaults[name]) for name in Policy.threshold_names()
               if name in defaults and getattr(policy, name) != defaults[name]]
    if not changed:
        version = f" (politique {policy.version})" if policy else ""
        return CheckResult("policy_overrides", PASS, f"seuils par défaut{version}")
    details = [f"seuil modifié par la présérie : {_threshold(name, value)} au lieu de {_threshold(name, default)} "
               f"({THRESHOLD_LABELS.get(name, name)})" for name, value, default in changed]
    return CheckResult("policy_overrides", WARN, " ; ".join(details))


CHECKS: tuple[Callable[[PilotDeclaration, DossierContext], CheckResult], ...] = (
    cnda_authorization,
    _readiness("support", "support aux professionnels de santé"),
    _readiness("installation_and_training", "modalités d'installation et de formation"),
    _readiness("kit", "kit d'accompagnement"),
    cpam_count, cpam_referent, practitioner_count, situations, identifiers, zone, group_practice, planning,
    traces_received, duration, traces_readable, input_rows, policy_overrides,
)


def check_dossier(pilot: PilotDeclaration, context: DossierContext) -> list[CheckResult]:
    return [check(pilot, context) for check in CHECKS]
