"""Rendering the assessment (`preserie.assessment/1`) as one standalone French HTML page.

The page depends only on the assessment and the declaration: the same inputs give the same bytes (no time of
generation in it; the only moment shown is `as_of`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

import preserie
from preserie import french as fr
from preserie import labels
from preserie.domain.criteria import CRITERIA
from preserie.domain.feedback import SurveyAnswer
from preserie.domain.pilot import PilotDeclaration
from preserie.domain.results import Assessment, Operations, RegistrationRate, Satisfaction
from preserie.report import charts

MAX_REJECTIONS_SHOWN = 500


def filters() -> dict[str, Callable[..., str]]:
    """The French filters of the report's templates (the web pages use the same)."""
    return {"pct": fr.percent, "pct_auto": fr.percent_auto, "int": fr.integer, "dec": fr.decimal, "date": fr.date,
            "short_date": fr.short_date, "operation": labels.operation_label}


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("preserie.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(filters())
    return env


def funnel_chart(reg: RegistrationRate) -> str:
    """C2's prescriptions created, registered (and, from the registry's extract, rejected and unknown)."""
    funnel_items: list[tuple[str, int, str]] = [("créées", reg.created, "#1565c0"),
                                                ("enregistrées", reg.registered, "#2e7d32")]
    if reg.source == "registrations":  # both counted then (never None)
        funnel_items += [("rejetées", reg.rejected or 0, "#c62828"),
                         ("inconnues du registre", reg.unknown or 0, "#90a4ae")]
    return charts.bars("Ordonnances numériques créées et enregistrées", funnel_items,
                       max(reg.created, 1), [fr.integer(v) for _, v, _ in funnel_items])


def operations_chart(operations_result: Operations) -> str:
    """C3's calls of each operation by result: succeeded, or the class of their error."""
    results, operations = labels.call_result_labels(), labels.operation_labels()
    rows = [(operations.get(name, name), [(c, op.count(c)) for c in results])
            for name, op in operations_result.operations.items()]
    return charts.stacked("Appels au téléservice par résultat", rows, results)


def survey_chart(satisfaction: Satisfaction) -> str:
    """C5's mean scores, with the threshold of the overall one; empty without answers."""
    scores, names = satisfaction.mean_scores, labels.score_labels()
    return charts.bars("Notes moyennes du questionnaire (sur 5)",
                       [(names[k], v, "#1565c0" if k != "overall" else "#2e7d32") for k, v in scores.items()],
                       5, [fr.decimal(v) for v in scores.values()], marker=satisfaction.threshold) if scores else ""


def _charts(result: Assessment) -> dict[str, Any]:
    criteria = result.criteria
    usage = criteria.usage_rate
    weekly = [charts.weekly_rate(row.id, row.weekly, usage.threshold) for row in usage.practitioners]
    return {"weekly": weekly, "funnel": funnel_chart(criteria.registration_rate),
            "operations": operations_chart(criteria.operations), "survey": survey_chart(criteria.satisfaction)}


def _comments(result: Assessment) -> list[tuple[SurveyAnswer, bool]]:
    """The users' answers known at the date of the bilan that say something in words (comment or blocking
    issue), by doctor then date, each with whether a later answer replaced it: as C5 decided."""
    return [(known.answer, not known.counted) for known in result.criteria.satisfaction.answers if known.has_words]


def render_html(result: Assessment, pilot: PilotDeclaration) -> str:
    """The report as one HTML document (UTF-8 text), in French typography (no-break spaces before « : ; »)."""
    quality = result.data_quality
    page = _environment().get_template("report.html.j2").render(
        r=result, pilot=pilot, criteria={c.id: c for c in CRITERIA}, charts=_charts(result),
        steps=[(k, v) for k, v in labels.step_labels().items() if k != "events_read"],
        check_labels=labels.check_label, status_labels=labels.status_labels(),
        class_labels=labels.call_result_labels(), operation_labels=labels.operation_labels(),
        field_labels=labels.field_labels(), value_label=labels.configuration_value,
        source_labels=labels.source_labels(), level_labels=labels.level_labels(),
        audience=labels.audience_labels().get(pilot.software.audience.value, pilot.software.audience.value),
        policy_check=result.check("policy_overrides"), comments=_comments(result),
        rejections=quality.rejections[:MAX_REJECTIONS_SHOWN],
        hidden_rejections=max(0, len(quality.rejections) - MAX_REJECTIONS_SHOWN), version=preserie.__version__,
    )
    style, body = page.split("</style>", 1)  # the style sheet keeps its own syntax
    return style + "</style>" + fr.typography(body)
