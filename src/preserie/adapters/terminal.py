"""The assessment as a readable French summary in the terminal (rich), compact by default.

The default fits a screen: the decision and its reasons, one line per criterion with its key figure, the dossier
checks that fail or warn, one line on the data. `--details` adds the full tables (terminal_details.py).
Lines are wrapped here, at ordinary spaces only: rich would break « 1 805 » or « 8,7 % » at their narrow
no-break spaces (Python counts them as whitespace), and a figure cut in two is a figure misread.
"""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.text import Text

from preserie import french as fr
from preserie import labels
from preserie.domain.accounting import Step
from preserie.domain.criteria import CRITERIA
from preserie.domain.results import (
    Assessment,
    CriterionResult,
    Operations,
    Prerequisites,
    RegistrationRate,
    UsageRate,
)

MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "warn": ("!", "yellow")}
BOX_MARGIN = 4  # a panel's two borders and two spaces of padding


def wrap(text: str | Text, width: int, indent: int = 2, style: str = "") -> Text:
    """One paragraph cut at ordinary spaces into lines of at most `width` cells, the next ones indented."""
    line = Text(fr.typography(text), style=style) if isinstance(text, str) else text
    plain, breaks, start, room = line.plain, [], 0, width
    while len(plain) - start > room:
        cut = plain.rfind(" ", start, start + room + 1)
        start = cut + 1 if cut > start else start + room  # a word longer than the line (a path) is cut
        breaks.append(start)
        room = width - indent
    parts = line.divide(breaks) if breaks else [line]
    out = Text(no_wrap=True, overflow="ignore")
    for i, part in enumerate(parts):
        part.rstrip()
        out.append_text(Text("\n" + " " * indent) + part if i else part)
    return out


def marked(status: str, text: str, width: int) -> Text:
    """A line that begins with the mark of its status (✓ ✗ !) and goes on under its text."""
    mark, style = MARKS[status]
    return wrap(Text.assemble((mark, f"bold {style}"), " ", fr.typography(text)), width)


def decision_panel(result: Assessment, width: int) -> Panel:
    """The decision, its reasons and the thresholds it was reached with."""
    deploy = result.is_deploy
    inner = width - BOX_MARGIN
    lines: list[Text] = [Text(f"Décision : {'DÉPLOIEMENT' if deploy else 'PROLONGATION'}",
                              style="bold green" if deploy else "bold red")]
    if deploy:
        lines.append(wrap("Tous les critères sont atteints et le dossier est conforme : la remontée des traces "
                          "postes peut être désactivée.", inner, indent=0))
    else:
        lines.append(Text(fr.typography("À corriger :")))
        lines += [wrap(f"• {reason.message}", inner) for reason in result.reasons]
    lines.append(_policy_line(result, inner))
    title = f"Présérie {result.pilot} — bilan au {fr.date(result.as_of)}"
    return Panel(Group(*lines), title=fr.typography(title), width=width, border_style="green" if deploy else "red")


def _policy_line(result: Assessment, width: int) -> Text:
    check = result.check("policy_overrides")
    policy = result.policy
    if check is not None and check.status != "pass":
        return marked("warn", f"Seuils de la politique {policy.version} : {check.detail}", width)
    if check is None and policy.overridden:  # an assessment made before the check existed
        names = ", ".join(labels.threshold_labels().get(n, n) for n in policy.overridden)
        return marked("warn", f"Seuils modifiés par la présérie : {names}", width)
    return wrap(f"Seuils par défaut de la politique {policy.version} ; référentiel "
                f"{result.reference_version}.", width, style="dim")


def key_figure(c: CriterionResult) -> str:
    """The one figure that says why a criterion is met or not."""
    if isinstance(c, UsageRate):
        return _usage_figure(c)
    if isinstance(c, RegistrationRate):
        if not c.created:
            return "aucune ordonnance numérique créée"
        return (f"{fr.percent(c.rate)} enregistrées ({fr.integer(c.registered)} sur "
                f"{fr.integer(c.created)}) ; seuil {fr.percent_auto(c.threshold)}")
    if isinstance(c, Operations):
        return _operations_figure(c)
    if isinstance(c, Prerequisites):
        missing, suspects = len(c.users_without_snapshot), len(c.suspects)
        return (f"{fr.count(len(c.declared), 'prérequis déclaré')} ; {fr.count(missing, 'médecin')} sans "
                f"poste décrit ; {fr.count(suspects, 'configuration suspecte', 'configurations suspectes')}")
    blocking = f" ; {fr.count(len(c.blocking_issues), 'frein bloquant', 'freins bloquants')}" \
        if c.blocking_issues else ""
    return (f"note moyenne {fr.decimal(c.mean_overall)} sur 5 (seuil {fr.decimal(c.threshold)}) ; "
            f"{fr.count(c.responses, 'réponse')} sur {c.expected}{blocking}")


def _usage_figure(c: UsageRate) -> str:
    rows, threshold = c.practitioners, fr.percent_auto(c.threshold)
    below = [r for r in rows if not r.met]
    judged = below or rows  # the lowest rate among those below the threshold, else among all
    rates = [r.rate for r in judged if r.rate is not None]
    text = (f"{fr.count(len(below), 'médecin')} sur {len(rows)} sous {threshold}" if below
            else f"{fr.count(len(rows), 'médecin')} sur {len(rows)} à {threshold} ou plus")
    if rates:
        text += f" ; le plus bas : {fr.percent(min(rates))}"
    silent = [r.id for r in below if r.rate is None]
    if silent:
        text += f" ; sans ordonnance numérique : {', '.join(silent)}"
    return text


def _operations_figure(c: Operations) -> str:
    operations = labels.operation_labels()
    failing = []
    for name, op in c.operations.items():
        if op.met:
            continue
        causes = [] if op.ok else ["aucun appel réussi"]
        if op.software_error_rate > c.threshold:
            causes.append(f"{fr.percent(op.software_error_rate)} d'erreurs du logiciel")
        causes += [f"anomalie {a.id} ouverte" for a in op.open_blocking_anomalies]
        failing.append(f"« {operations.get(name, name)} » : {', '.join(causes)}")
    if failing:
        return " ; ".join(failing)
    worst = max((op.software_error_rate for op in c.operations.values()), default=0.0)
    return f"erreurs du logiciel : {fr.percent(worst)} au plus (seuil {fr.percent_auto(c.threshold)})"


def criteria_lines(result: Assessment, width: int) -> list[Text]:
    short = labels.criterion_short_labels()
    lines = []
    for criterion in CRITERIA:
        c = result.criteria.by_id(criterion.id)
        text = f"{criterion.code} {short[criterion.id]} : {labels.met_label(c.met)} — {key_figure(c)}"
        lines.append(marked("pass" if c.met else "fail", text, width))
    return lines


def dossier_lines(result: Assessment, width: int) -> list[Text]:
    dossier = result.dossier
    passed = sum(c.status == "pass" for c in dossier)
    failed = sum(c.status == "fail" for c in dossier)
    text = f"Dossier : {fr.count(passed, 'vérification conforme', 'vérifications conformes')} sur {len(dossier)}"
    if failed:  # the failed checks are reasons of the decision, each told once, in the box above
        text += f" ; {fr.count(failed, 'non conforme', 'non conformes')} : voir « À corriger » ci-dessus"
    lines = [wrap(text, width, style="bold")]
    for check in dossier:
        if check.status == "warn":
            lines.append(marked(check.status, f"{labels.check_label(check.check)} : {check.detail}", width))
    return lines


def quality_line(result: Assessment, width: int) -> Text:
    q = result.data_quality
    short = labels.step_short_labels()
    set_aside = [f"{fr.integer(q.counts[name])} {label}" for name, label in short.items() if q.counts[name]]
    text = f"Traces : {fr.integer(q.events_read)} lues, {fr.integer(q.counts[Step.USED])} retenues"
    if set_aside:
        text += " ; écartées : " + ", ".join(set_aside)
    if q.file_issues:
        text += f" ; {fr.count(len(q.file_issues), 'remarque')} sur les fichiers"
    return wrap(text, width, style="yellow" if q.rejected or q.file_issues else "")


def render(result: Assessment, console: Console, *, details: bool = False) -> None:
    """The summary (or, with `details`, every table) at the console's width."""
    width = console.width
    console.print(decision_panel(result, width))
    if details:
        from preserie.adapters.terminal_details import render_details

        render_details(result, console)
        return
    console.print(Text("Critères", style="bold"))
    for line in [*criteria_lines(result, width), *dossier_lines(result, width), quality_line(result, width)]:
        console.print(line)
    console.print(wrap("Tableaux complets : assess --details ; bilan complet : assess --json ou report.", width,
                       style="dim"))
