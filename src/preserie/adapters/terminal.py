"""The assessment as a readable French summary in the terminal (rich)."""

from __future__ import annotations

from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from preserie import french as fr
from preserie.data import load_reference
from preserie.domain.accounting import STEPS
from preserie.domain.criteria import CRITERIA
from preserie.domain.dossier import CHECK_LABELS

STATUS = {"pass": ("conforme", "green"), "fail": ("non conforme", "red"), "warn": ("à surveiller", "yellow")}
MET = {True: Text("atteint", style="bold green"), False: Text("non atteint", style="bold red")}
CLASSES = {c.name: c.label for c in load_reference().error_classes}  # labels from the reference data


def _decision(result: dict[str, Any]) -> Panel:
    deploy = result["decision"] == "deploy"
    title = "DÉPLOIEMENT" if deploy else "PROLONGATION"
    lines = [Text(f"Bilan au {fr.date(result['as_of'])} — décision : {title}",
                  style="bold green" if deploy else "bold red")]
    if deploy:
        lines.append(Text("Tous les critères sont atteints : la remontée des traces postes peut être désactivée."))
    for reason in result["reasons"]:
        lines.append(Text(f"• {reason['message']}"))
    return Panel(Group(*lines), title=f"Présérie {result['pilot']}", border_style="green" if deploy else "red")


def _dossier(result: dict[str, Any]) -> Table:
    table = Table(title="Dossier de présérie", title_justify="left", expand=True)
    table.add_column("Vérification")
    table.add_column("État")
    table.add_column("Détail", ratio=1)
    for check in result["dossier"]:
        label, style = STATUS[check["status"]]
        table.add_row(CHECK_LABELS.get(check["check"], check["check"]), Text(label, style=style), check["detail"])
    return table


def _usage(criterion: dict[str, Any]) -> Table:
    table = Table(title=f"C1 Taux d'ordonnances numériques (seuil {fr.percent(criterion['threshold'], 0)}) — ",
                  title_justify="left")
    table.title = Text.assemble(str(table.title), MET[criterion["met"]])
    for name in ("Médecin", "Depuis", "Numériques", "Total", "Taux", "IC 95 %", "Atteint"):
        table.add_column(name, justify="right" if name not in ("Médecin", "Depuis") else "left")
    for row in criterion["practitioners"]:
        ci = row["rate_ci95"]
        table.add_row(row["id"], fr.short_date(row["window_start"]), fr.integer(row["digital"]),
                      fr.integer(row["total"]),
                      fr.percent(row["rate"]) + (" (faible volume)" if row["low_volume"] and row["total"] else ""),
                      f"{fr.percent(ci[0], 0)} – {fr.percent(ci[1], 0)}" if ci else "—",
                      "oui" if row["met"] else Text("non", style="red"))
    return table


def _registration(criterion: dict[str, Any]) -> Table:
    table = Table(title=Text.assemble(
        f"C2 Enregistrement dans la base de l'Assurance Maladie (seuil {fr.percent(criterion['threshold'], 0)}) — ",
        MET[criterion["met"]]), title_justify="left")
    for name in ("Créées", "Enregistrées", "Rejetées", "Inconnues", "Taux", "Orphelines", "Source"):
        table.add_column(name, justify="right")
    source = "registrations.csv" if criterion["source"] == "registrations" else "traces (appels créer)"
    table.add_row(fr.integer(criterion["created"]), fr.integer(criterion["registered"]),
                  fr.integer(criterion["rejected"]), fr.integer(criterion["unknown"]), fr.percent(criterion["rate"]),
                  fr.integer(criterion["orphans"]), source)
    return table


def _operations(criterion: dict[str, Any]) -> Table:
    table = Table(title=Text.assemble(
        f"C3 Opérations (erreurs logiciel ≤ {fr.percent(criterion['threshold'], 0)}) — ", MET[criterion["met"]]),
        title_justify="left")
    table.add_column("Opération")
    for name in ("Appels", "Réussis", *CLASSES.values(), "Taux logiciel", "Anomalies bloquantes", "Atteint"):
        table.add_column(name, justify="right")
    for name, op in criterion["operations"].items():
        table.add_row(name, fr.integer(op["calls"]), fr.integer(op["ok"]),
                      *(fr.integer(op[c]) for c in CLASSES), fr.percent(op["software_error_rate"]),
                      ", ".join(a["id"] for a in op["open_blocking_anomalies"]) or "—",
                      "oui" if op["met"] else Text("non", style="red"))
    return table


def _prerequisites(criterion: dict[str, Any]) -> Group:
    lines: list[Any] = [Text.assemble("C4 Prérequis techniques — ", MET[criterion["met"]], style="italic")]
    lines.append(Text("Déclarés : " + ("; ".join(criterion["declared"]) or "aucun")))
    for field, values in criterion["observed"].items():
        if values:
            shown = ", ".join(f"{v or '(vide)'} ×{n}" for v, n in values.items())
            lines.append(Text(f"Observé {field} : {shown}"))
    if criterion["users_without_snapshot"]:
        lines.append(Text("Sans description de poste : " + ", ".join(criterion["users_without_snapshot"]),
                          style="red"))
    for s in criterion["suspects"]:
        lines.append(Text(f"Suspect : {s['field']} = {s['value']} — {fr.percent(s['failure_rate'])} d'échecs sur "
                          f"{fr.integer(s['calls'])} créations (global {fr.percent(s['overall_failure_rate'])})",
                          style="yellow"))
    return Group(*lines)


def _satisfaction(criterion: dict[str, Any]) -> Group:
    lines: list[Any] = [Text.assemble("C5 Satisfaction — ", MET[criterion["met"]], style="italic")]
    lines.append(Text(f"Réponses : {criterion['responses']} sur {criterion['expected']} ; note globale moyenne : "
                      f"{fr.decimal(criterion['mean_overall'])} / 5 (seuil {fr.decimal(criterion['threshold'])})"))
    if criterion["missing"]:
        lines.append(Text("Sans réponse : " + ", ".join(criterion["missing"]), style="red"))
    for issue in criterion["blocking_issues"]:
        lines.append(Text(f"Frein bloquant ({issue['practitioner']}) : {issue['text'] or '(sans précision)'}",
                          style="red"))
    return Group(*lines)


def _quality(result: dict[str, Any]) -> Group:
    quality = result["data_quality"]
    table = Table(title=f"Comptabilité des traces : {fr.integer(quality['events_read'])} enregistrements lus",
                  title_justify="left")
    table.add_column("Étape")
    table.add_column("Nombre", justify="right")
    for name, label in STEPS:
        table.add_row(label, fr.integer(quality[name]))
    parts: list[Any] = [table]
    for rejection in quality["rejections"][:10]:
        where = f"{rejection['file']}, ligne {rejection['line']}"
        field = f", champ {rejection['field']}" if rejection["field"] else ""
        parts.append(Text(f"rejet — {where}{field} : {rejection['message']}", style="yellow"))
    if len(quality["rejections"]) > 10:
        parts.append(Text(f"… et {fr.integer(len(quality['rejections']) - 10)} autres rejets (voir --json)"))
    for issue in quality["file_issues"]:
        where = issue["file"] + (f", ligne {issue['line']}" if "line" in issue else "")
        parts.append(Text(f"{issue['level']} — {where} : {issue['message']}",
                          style="red" if issue["level"] == "error" else "yellow"))
    return Group(*parts)


def render(result: dict[str, Any], console: Console) -> None:
    criteria = result["criteria"]
    console.print(_decision(result))
    console.print(_dossier(result))
    console.print(_usage(criteria["usage_rate"]))
    console.print(_registration(criteria["registration_rate"]))
    console.print(_operations(criteria["operations"]))
    console.print(_prerequisites(criteria["prerequisites"]))
    console.print(_satisfaction(criteria["satisfaction"]))
    console.print(_quality(result))
    policy = result["policy"]
    overridden = ", ".join(policy["overridden"]) or "aucun"
    console.print(Text(f"Politique : {policy['version']} (seuils modifiés par la présérie : {overridden}) ; "
                       f"référentiel {result['reference_version']}", style="dim"))


__all__ = ["CRITERIA", "render"]
