"""The bilan on a pilot's page: the decision banner (or the interim one, with what is still missing), the dossier
checks to fix, the five criterion cards (status, key figure, threshold and its source, trend over a week) and the
charts. Everything here reads an `Assessment` the engine made; nothing is counted again."""

from __future__ import annotations

from dataclasses import dataclass

from preserie import french as fr
from preserie import labels
from preserie.adapters.export_tables import tables
from preserie.adapters.terminal import key_figure
from preserie.data import load_policy_sources
from preserie.domain.criteria import CRITERIA
from preserie.domain.dossier import CheckResult
from preserie.domain.results import Assessment, CriterionResult, KnownAnswer
from preserie.report import charts
from preserie.report.html import funnel_chart, operations_chart, survey_chart

SEED = "règles de l'Assurance Maladie (janvier 2025)"
THRESHOLDS = {"usage_rate": "usage_rate_min", "registration_rate": "registration_rate_min",
              "operations": "software_error_rate_max", "satisfaction": "satisfaction_min"}
MINUS = "\u2212"


@dataclass(frozen=True)
class Banner:
    kind: str  # "deploy", "extend" or "interim"
    title: str
    summary: str
    missing: tuple[str, ...]  # what to fix, or what is still missing (the bilan's reasons)


@dataclass(frozen=True)
class Card:
    id: str
    code: str
    label: str
    met: bool
    figure: str
    threshold: str
    source: str
    trend: str
    direction: str  # "better", "worse", "same", "none"


@dataclass(frozen=True)
class BilanView:
    result: Assessment
    banner: Banner
    cards: tuple[Card, ...]
    to_fix: tuple[CheckResult, ...]  # the dossier checks that fail or warn
    passed: tuple[CheckResult, ...]
    weekly: tuple[str, ...]  # one SVG per doctor
    funnel: str
    operations: str
    survey: str
    comments: tuple[KnownAnswer, ...]
    exports: tuple[tuple[str, str], ...]  # each CSV table of the export: (file stem, what it holds)

    @property
    def response_rate(self) -> float | None:
        s = self.result.criteria.satisfaction
        return s.responses / s.expected if s.expected else None


def banner(result: Assessment) -> Banner:
    """Deploy or extend; « interim » while the planned weeks have not gone by (the duration check warns)."""
    when = fr.date(result.as_of)
    reasons = tuple(r.message for r in result.reasons)
    duration = result.check("duration")
    if result.as_of is None or (duration is not None and duration.status == "warn"):
        said = duration.detail if duration is not None else "aucune donnée encore"
        summary = (f"{said[:1].upper()}{said[1:]}. " +
                   ("Les critères sont atteints à ce jour ; le bilan sera définitif une fois la durée écoulée."
                    if result.is_deploy else "Ce qui manque encore :"))
        title = f"Bilan intermédiaire au {when}" if result.as_of else "Bilan intermédiaire : rien d'enregistré encore"
        return Banner("interim", title, summary, reasons)
    if result.is_deploy:
        return Banner("deploy", f"Bilan au {when} : déploiement",
                      "Tous les critères du bilan sont atteints et le dossier est conforme : une réunion de démarrage "
                      "du déploiement peut être organisée, et l'éditeur désactive l'envoi des traces postes.", ())
    return Banner("extend", f"Bilan au {when} : prolongation de la présérie", "À corriger :", reasons)


def _threshold(criterion: str, result: Assessment) -> str:
    c, policy = result.criteria, result.policy
    texts = {
        "usage_rate": f"au moins {fr.percent_auto(policy.usage_rate_min)} d'ordonnances numériques pour chaque "
                      "médecin utilisateur",
        "registration_rate": f"au moins {fr.percent_auto(policy.registration_rate_min)} des ordonnances numériques "
                             "créées enregistrées",
        "operations": f"pour chaque opération : au moins un appel réussi, au plus "
                      f"{fr.percent_auto(policy.software_error_rate_max)} d'erreurs du logiciel, aucune anomalie "
                      "bloquante du logiciel ouverte",
        "prerequisites": "des prérequis déclarés, et un poste décrit pour chaque médecin utilisateur",
        "satisfaction": f"tous les médecins ont répondu, note globale moyenne d'au moins "
                        f"{fr.decimal(c.satisfaction.threshold)} sur 5, aucun frein bloquant",
    }
    return texts[criterion]


def _source(criterion: str, result: Assessment) -> str:
    name = THRESHOLDS.get(criterion)
    policy = result.policy
    if name is not None and name in policy.overridden:
        default = dict(policy.defaults).get(name)
        was = "" if default is None else f" (au lieu de {_value(name, default)})"
        return f"seuil propre à cette présérie (policy.{name} de sa déclaration){was}"
    source = load_policy_sources().get(name or "", "seed:")
    if source.startswith("seed:"):
        return f"{SEED}, politique {policy.version}"
    return f"règle de preserie, lecture du critère des {SEED} (docs/assessment.md), politique {policy.version}"


def _value(name: str, value: float | int | bool) -> str:
    if name == "satisfaction_min":
        return fr.decimal(float(value))
    return fr.percent_auto(float(value))


def _measure(criterion: str, c: CriterionResult) -> float | None:
    """The criterion's one number the trend follows (None: nothing to measure yet)."""
    from preserie.domain.results import Operations, Prerequisites, RegistrationRate, Satisfaction, UsageRate

    if isinstance(c, UsageRate):  # the lowest user's rate
        rates = [p.rate for p in c.practitioners if p.rate is not None]
        return min(rates) if rates else None
    if isinstance(c, RegistrationRate):
        return c.rate
    if isinstance(c, Operations):  # the highest software error rate
        return float(max((op.software_error_rate for op in c.operations.values()), default=0))
    if isinstance(c, Prerequisites):
        return float(len(c.users_without_snapshot))
    assert isinstance(c, Satisfaction)
    return c.mean_overall


def _trend(criterion: str, now: CriterionResult, before: CriterionResult | None, days: int) -> tuple[str, str]:
    if before is None:
        return "pas de bilan d'une semaine plus tôt", "none"
    then, current = _measure(criterion, before), _measure(criterion, now)
    was = "" if before.met == now.met else f" ; il y a {days} jours : {labels.met_label(before.met)}"
    if then is None or current is None:
        return f"en {days} jours : rien à comparer{was}", "none"
    delta = current - then
    lower_is_better = criterion in ("operations", "prerequisites")
    if criterion in ("usage_rate", "registration_rate", "operations"):
        shown = fr.decimal(abs(delta) * 100)
        amount = f"{shown} point(s)"
    elif criterion == "satisfaction":
        shown = amount = fr.decimal(abs(delta))
    else:
        shown, amount = str(round(abs(delta))), f"{fr.count(round(abs(delta)), 'médecin')} sans poste décrit"
    if shown.strip("0,") == "":  # nothing that shows at the figure's precision
        return f"stable en {days} jours{was}", "same"
    amount = ("+" if delta > 0 else MINUS) + amount
    better = (delta < 0) == lower_is_better
    return f"{amount} en {days} jours{was}", "better" if better else "worse"


def cards(result: Assessment, earlier: Assessment | None, days: int = 7) -> tuple[Card, ...]:
    made = []
    for criterion in CRITERIA:
        c = result.criteria.by_id(criterion.id)
        trend, direction = _trend(criterion.id, c, earlier.criteria.by_id(criterion.id) if earlier else None, days)
        made.append(Card(criterion.id, criterion.code, criterion.label, c.met, key_figure(c),
                         _threshold(criterion.id, result), _source(criterion.id, result), trend, direction))
    return tuple(made)


def _summary(rate: float | None, ci: tuple[float, float] | None, total: int | None, low: bool) -> str:
    if rate is None:
        return "aucune ordonnance numérique encore"
    text = f"{fr.percent(rate)} sur {fr.integer(total)} prescriptions"
    if ci:
        text += f" ; IC 95 % {fr.percent(ci[0], 0)} – {fr.percent(ci[1], 0)}"
    return text + (" (faible volume)" if low else "")


def bilan_view(result: Assessment, earlier: Assessment | None) -> BilanView:
    c = result.criteria
    usage = c.usage_rate
    weekly = tuple(charts.weekly_rate_interval(p.id, p.weekly, usage.threshold,
                                               _summary(p.rate, p.rate_ci95, p.total, p.low_volume))
                   for p in usage.practitioners)
    return BilanView(
        result=result, banner=banner(result), cards=cards(result, earlier),
        to_fix=tuple(check for check in result.dossier if check.status != "pass"),
        passed=tuple(check for check in result.dossier if check.status == "pass"),
        weekly=weekly, funnel=funnel_chart(c.registration_rate), operations=operations_chart(c.operations),
        survey=survey_chart(c.satisfaction), comments=tuple(a for a in c.satisfaction.answers if a.has_words),
        exports=(("sommaire", "le sommaire de l'export"), *((t.name, t.title) for t in tables(result))))
