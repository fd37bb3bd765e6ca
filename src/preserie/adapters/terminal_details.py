"""The full tables of the assessment for the terminal (`preserie assess --details`), readable at 80 columns.

Figures never wrap (their columns are no_wrap) and the wide tables are turned on their side: C3 has one row per
result of a call and one column per operation, instead of eleven columns that an 80-column terminal cuts.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from preserie import french as fr
from preserie import labels
from preserie.adapters.terminal import marked, wrap
from preserie.domain.criteria import CRITERIA
from preserie.domain.results import Assessment

REJECTIONS_SHOWN = 10


def _table(*headers: str, first_left: int = 1) -> Table:
    """A borderless table whose figures are right-aligned and never cut across two lines."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < first_left else "right", no_wrap=True)
    return table


def _heading(criterion_id: str, result: Assessment, width: int) -> Text:
    criterion = next(c for c in CRITERIA if c.id == criterion_id)
    met = result.criteria.by_id(criterion_id).met
    return wrap(Text.assemble(f"\n{criterion.code} {fr.typography(criterion.label)} — ",
                              (labels.met_label(met), "bold green" if met else "bold red"), style="bold"), width)


def _dossier(result: Assessment, console: Console) -> None:
    console.print(Text("\nDossier de la présérie", style="bold"))
    for check in result.dossier:
        status = labels.status_labels()[check.status]
        console.print(marked(check.status, f"{labels.check_label(check.check)} ({status}) : {check.detail}",
                             console.width))


def _usage(result: Assessment, console: Console) -> None:
    c = result.criteria.usage_rate
    console.print(_heading("usage_rate", result, console.width))
    table = _table("Médecin", "Depuis", "Numériques", "Total", "Taux", "IC 95 %", "Atteint", first_left=2)
    for row in c.practitioners:
        ci = row.rate_ci95
        low = " *" if row.low_volume and row.total else ""
        table.add_row(row.id, fr.short_date(row.window_start), fr.integer(row.digital),
                      fr.integer(row.total), fr.percent(row.rate) + low,
                      f"{fr.percent(ci[0], 0)} – {fr.percent(ci[1], 0)}" if ci else "—",
                      Text(labels.yes_no(row.met), style="" if row.met else "red"))
    console.print(table)
    below = result.policy.low_volume_below
    console.print(wrap(f"Seuil : {fr.percent_auto(c.threshold)} par médecin ; * faible volume (moins de "
                       f"{below} prescriptions) : le taux informe, l'intervalle dit combien il est sûr.",
                       console.width, style="dim"))


def _registration(result: Assessment, console: Console) -> None:
    c = result.criteria.registration_rate
    console.print(_heading("registration_rate", result, console.width))
    table = _table("Ordonnances numériques", "Nombre")
    rows = [("créées", c.created), ("enregistrées", c.registered),
            ("rejetées par la base", c.rejected), ("inconnues de la base", c.unknown),
            ("orphelines (dans l'extrait, pas dans les traces)", c.orphans)]
    for label, value in rows:
        if value is not None:
            table.add_row(label, fr.integer(value))
    table.add_row(Text("taux d'enregistrement", style="bold"),
                  Text(fr.percent(c.rate), style="bold"))
    console.print(table)
    source = labels.source_labels().get(c.source, c.source)
    console.print(wrap(f"Seuil : {fr.percent_auto(c.threshold)} ; source : {source}.", console.width,
                       style="dim"))


def _operations(result: Assessment, console: Console) -> None:
    c = result.criteria.operations
    console.print(_heading("operations", result, console.width))
    ops = c.operations
    names = labels.operation_labels()
    table = _table("Appels", *(names.get(n, n) for n in ops))
    table.add_row("appels", *(fr.integer(op.calls) for op in ops.values()))
    for name, label in labels.call_result_labels().items():
        table.add_row(label if name == "ok" else f"erreur {label}", *(fr.integer(op.count(name))
                                                                       for op in ops.values()))
    table.add_row("taux d'erreurs du logiciel", *(fr.percent(op.software_error_rate) for op in ops.values()))
    table.add_row("anomalies bloquantes ouvertes",
                  *(", ".join(a.id for a in op.open_blocking_anomalies) or "—" for op in ops.values()))
    table.add_row(Text("atteint", style="bold"), *(
        Text(labels.yes_no(op.met), style="bold" if op.met else "bold red") for op in ops.values()))
    console.print(table)
    console.print(wrap(f"Au moins un appel réussi, au plus {fr.percent_auto(c.threshold)} d'erreurs du logiciel "
                       "(4xx hors 401, 403, 404, 408 et 429), aucune anomalie bloquante du logiciel ouverte.",
                       console.width, style="dim"))


def _prerequisites(result: Assessment, console: Console) -> None:
    c, width = result.criteria.prerequisites, console.width
    fields = labels.field_labels()
    console.print(_heading("prerequisites", result, width))
    console.print(wrap("Déclarés : " + (" ; ".join(c.declared) or "aucun"), width))
    for field, values in c.observed.items():
        if values:
            shown = ", ".join(f"{labels.configuration_value(field, v)} ×{fr.integer(n)}" for v, n in values.items())
            console.print(wrap(f"Observé, {fields.get(field, field)} : {shown}", width))
    if c.users_without_snapshot:
        console.print(wrap("Sans description de poste : " + ", ".join(c.users_without_snapshot), width,
                           style="red"))
    for s in c.suspects:
        value = labels.configuration_value(s.field, s.value)
        console.print(marked("warn", f"Suspect : {fields.get(s.field, s.field)} = {value} — "
                             f"{fr.percent(s.failure_rate)} d'échecs sur {fr.integer(s.calls)} créations "
                             f"(global {fr.percent(s.overall_failure_rate)})", width))


def _satisfaction(result: Assessment, console: Console) -> None:
    c, width = result.criteria.satisfaction, console.width
    console.print(_heading("satisfaction", result, width))
    console.print(wrap(f"Réponses : {c.responses} sur {c.expected} ; note globale moyenne : "
                       f"{fr.decimal(c.mean_overall)} sur 5 (seuil {fr.decimal(c.threshold)})", width))
    scores = labels.score_labels()
    if c.mean_scores:
        console.print(wrap("Notes moyennes : " + ", ".join(
            f"{scores.get(k, k)} {fr.decimal(v)}" for k, v in c.mean_scores.items()), width))
    if c.missing:
        console.print(wrap("Sans réponse : " + ", ".join(c.missing), width, style="red"))
    for issue in c.blocking_issues:
        console.print(marked("fail", f"Frein bloquant ({issue.practitioner}) : "
                             f"{issue.text or '(sans précision)'}", width))


def _quality(result: Assessment, console: Console) -> None:
    q, width = result.data_quality, console.width
    console.print(wrap(f"\nComptabilité des traces : {fr.integer(q.events_read)} enregistrements lus", width,
                       style="bold"))
    table = _table("Étape", "Nombre")
    for name, label in labels.step_labels().items():
        if name != "events_read":
            table.add_row(fr.typography(label), fr.integer(q.counts[name]))
    console.print(table)
    for r in q.rejections[:REJECTIONS_SHOWN]:
        field = f", champ {r.field}" if r.field else ""
        console.print(marked("warn", f"Rejet — {r.file}, ligne {r.line}{field} : {r.message}", width))
    if len(q.rejections) > REJECTIONS_SHOWN:
        console.print(wrap(f"… et {fr.integer(len(q.rejections) - REJECTIONS_SHOWN)} autres rejets "
                           "(liste complète : preserie export)", width))
    levels = labels.level_labels()
    for issue in q.file_issues:
        where = issue.file + (f", ligne {issue.line}" if issue.line else "")
        console.print(marked("fail" if issue.level == "error" else "warn",
                             f"{levels.get(issue.level, issue.level)} — {where} : {issue.message}", width))


def render_details(result: Assessment, console: Console) -> None:
    for section in (_dossier, _usage, _registration, _operations, _prerequisites, _satisfaction, _quality):
        section(result, console)
