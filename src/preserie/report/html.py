"""Rendering the assessment (`preserie.assessment/1`) as one standalone French HTML page.

The page depends only on the assessment and the declaration: the same inputs give the same bytes (no time of
generation in it; the only moment shown is `as_of`).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

import preserie
from preserie import french as fr
from preserie.data import load_reference
from preserie.domain.accounting import STEPS
from preserie.domain.criteria import CRITERIA
from preserie.domain.dossier import CHECK_LABELS
from preserie.domain.pilot import PilotDeclaration
from preserie.report import charts

STATUS_LABELS = {"pass": "conforme", "fail": "non conforme", "warn": "à surveiller"}
# Labels come from the reference data (data/reference.yaml), the one place that names classes and operations.
CLASS_LABELS = {"ok": "réussi", **{c.name: c.label for c in load_reference().error_classes}}
OPERATION_LABELS = load_reference().operations
FIELD_LABELS = {"os": "système", "os_version": "version du système", "card_reader": "lecteur de carte",
                "card_kind": "type de carte", "network": "réseau", "software_version": "version du logiciel"}
SCORE_LABELS = {"ease": "facilité", "speed": "rapidité", "integration": "intégration", "training": "formation",
                "support": "support", "overall": "note globale"}
MAX_REJECTIONS_SHOWN = 500


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("preserie.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(pct=fr.percent, int=fr.integer, dec=fr.decimal, date=fr.date, short_date=fr.short_date)
    return env


def _charts(result: dict[str, Any]) -> dict[str, Any]:
    criteria = result["criteria"]
    usage = criteria["usage_rate"]
    weekly = [charts.weekly_rate(row["id"], row["weekly"], usage["threshold"]) for row in usage["practitioners"]]
    reg = criteria["registration_rate"]
    funnel_items = [("créées", reg["created"], "#1565c0"), ("enregistrées", reg["registered"], "#2e7d32")]
    if reg["source"] == "registrations":
        funnel_items += [("rejetées", reg["rejected"], "#c62828"), ("inconnues du registre", reg["unknown"], "#90a4ae")]
    funnel = charts.bars("Ordonnances numériques créées et enregistrées", funnel_items,
                         max(reg["created"], 1), [fr.integer(v) for _, v, _ in funnel_items])
    rows = [(OPERATION_LABELS[name], [(c, op["ok"] if c == "ok" else op[c]) for c in CLASS_LABELS])
            for name, op in criteria["operations"]["operations"].items()]
    operations = charts.stacked("Appels au téléservice par résultat", rows, CLASS_LABELS)
    scores = criteria["satisfaction"]["mean_scores"]
    survey = charts.bars("Notes moyennes du questionnaire (sur 5)",
                         [(SCORE_LABELS[k], v, "#1565c0" if k != "overall" else "#2e7d32") for k, v in scores.items()],
                         5, [fr.decimal(v) for v in scores.values()],
                         marker=criteria["satisfaction"]["threshold"]) if scores else ""
    return {"weekly": weekly, "funnel": funnel, "operations": operations, "survey": survey}


def render_html(result: dict[str, Any], pilot: PilotDeclaration) -> str:
    """The report as one HTML document (UTF-8 text)."""
    quality = result["data_quality"]
    return _environment().get_template("report.html.j2").render(
        r=result, pilot=pilot, criteria={c.id: c for c in CRITERIA}, charts=_charts(result), steps=STEPS,
        check_labels=CHECK_LABELS, status_labels=STATUS_LABELS, class_labels=CLASS_LABELS,
        operation_labels=OPERATION_LABELS, field_labels=FIELD_LABELS,
        rejections=quality["rejections"][:MAX_REJECTIONS_SHOWN],
        hidden_rejections=max(0, len(quality["rejections"]) - MAX_REJECTIONS_SHOWN), version=preserie.__version__,
    )
