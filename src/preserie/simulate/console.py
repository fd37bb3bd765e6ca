"""What `preserie simulate` needs around the generator: option checks, a progress bar, a French summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from preserie.simulate.cast import AUDIENCES
from preserie.simulate.collector import CollectorOptions
from preserie.simulate.scenarios import SCENARIOS
from preserie.simulate.writers import EXTENSIONS

FORMATS: tuple[str, ...] = (*EXTENSIONS, "mixed")
MIN_RECORDS = 1_000
MAX_WEEKS = 104  # planned_weeks of pilot.yaml (SPEC §4)
DECISIONS = {"deploy": "déploiement", "extend": "prolongation"}


def _number(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _choice(option: str, value: str, allowed: tuple[str, ...] | list[str]) -> list[str]:
    if value in allowed:
        return []
    return [f"{option} : valeur inconnue « {value} » ; valeurs possibles : {', '.join(allowed)}"]


def option_problems(out: Path, *, audience: str, scenario: str, fmt: str, records: int, practitioners: int,
                    weeks: int) -> list[str]:
    """French messages, one per problem; empty when the simulation can start. Nothing is written."""
    problems = _choice("--audience", audience, AUDIENCES) + _choice("--scenario", scenario, list(SCENARIOS))
    problems += _choice("--format", fmt, FORMATS)
    if records < MIN_RECORDS:
        problems.append(f"--records : au moins {_number(MIN_RECORDS)} traces pour une présérie réaliste")
    if practitioners < 1:
        problems.append("--practitioners : au moins 1 médecin")
    if not 1 <= weeks <= MAX_WEEKS:
        problems.append(f"--weeks : de 1 à {MAX_WEEKS} semaines")
    if out.exists() and not out.is_dir():
        problems.append(f"{out} existe et n'est pas un dossier : choisir un dossier vide ou inexistant")
    elif out.is_dir() and any(out.iterdir()):
        problems.append(f"{out} n'est pas vide : choisir un dossier vide ou inexistant (rien n'a été écrit)")
    return problems


def collector_options(url: str | None, pilot: str | None, *, teleservice: str | None, token: str | None,
                      spool: Path | None, batch_records: int, patience: float) -> tuple[CollectorOptions | None,
                                                                                      list[str]]:
    """The options of `--collector`, or the French problems that keep it from starting."""
    if url is None:
        extra = [name for name, value in (("--pilot", pilot), ("--spool", spool)) if value is not None]
        return None, [f"{name} ne va qu'avec --collector" for name in extra]
    problems = []
    if not url.startswith(("http://", "https://")):
        problems.append(f"--collector {url} : URL http:// ou https:// attendue")
    if teleservice is None:
        problems.append("--collector ne va qu'avec --teleservice : seuls les postes qui appellent un téléservice "
                        "ont des traces à envoyer au fil de l'eau")
    if not pilot:
        problems.append("--collector : --pilot ID attendu (l'identifiant de la présérie dans le registre)")
    if not token:
        problems.append("--collector : jeton de l'éditeur attendu dans PRESERIE_TOKEN (pour inscrire les postes)")
    if problems or pilot is None or token is None:
        return None, problems
    return CollectorOptions(url, pilot, token, spool=spool, batch_records=batch_records, patience=patience), []


@contextmanager
def writing_progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on stderr while the traces are written, only when stderr is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("Simulation des traces"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("traces", total=total)
        yield lambda done: bar.advance(task, done)


def count_warning(audience: str, doctors: int) -> str | None:
    """A French warning when the number of doctors breaks the seed's rule (dossier check practitioner_count)."""
    from preserie.data import load_reference

    rules = load_reference().practitioner_counts
    if audience == "health_center":
        low, high = rules["health_center"]["min_users"], None
    else:
        low, high = rules[audience]["min"], rules[audience]["max"]
    if doctors >= low and (high is None or doctors <= high):
        return None
    expected = f"au moins {low}" if high is None else f"de {low} à {high}"
    return (f"attention : {doctors} médecin(s) pour l'audience {audience} ({expected} attendus) : le contrôle "
            "practitioner_count du bilan échouera")


def describe(summary: dict[str, Any], program: str = "preserie") -> str:
    """The French summary printed once the folder is written; `program` is how the user runs preserie."""
    scenario = SCENARIOS[summary["scenario"]]
    decision = DECISIONS[scenario.decision]
    if scenario.failing:
        decision += f" (critère non atteint : {', '.join(scenario.failing)})"
    files = summary["files"]
    formats = sorted({name.split(".", 1)[1] for name in files})
    lines = [
        f"Présérie simulée dans {Path(summary['folder']).resolve()}",
        f"  scénario : {scenario.name} — {scenario.summary}",
        f"  décision attendue : {decision}",
        f"  {len(summary['practitioners'])} médecin(s) ({summary['audience']}), {summary['workstations']} poste(s), "
        f"{_number(summary['records'])} traces dans {len(files)} fichier(s) ({', '.join(formats)})",
        f"  dont {_number(summary['duplicates'])} doublon(s) renvoyé(s) et {_number(summary['other_situation'])} "
        "trace(s) d'une autre situation d'exercice",
        f"Bilan : {program} assess {summary['folder']}",
    ]
    if summary.get("collector"):
        lines.insert(-1, describe_collector(summary["collector"]))
    warning = count_warning(summary["audience"], len(summary["practitioners"]))
    return "\n".join([*lines, warning] if warning else lines)


def describe_collector(reported: dict[str, Any]) -> str:
    """What became of the batches the workstations posted to the collector, in French."""
    if reported["closed"]:
        state = "traces désactivées par le collecteur (HTTP 410) : les postes ont cessé de les envoyer"
    elif reported["left_in_spool"]:
        state = f"{_number(reported['left_in_spool'])} lot(s) restent dans le spool, à renvoyer"
    else:
        state = "tous les lots sont acquittés"
    lines = [f"  collecteur {reported['url']} (présérie {reported['pilot']}) : {reported['workstations']} poste(s) "
             f"inscrit(s), {_number(reported['acknowledged'] + reported['replayed'])} lot(s) acquitté(s) "
             f"({_number(reported['accepted'])} traces acceptées, {_number(reported['duplicated'])} déjà reçues, "
             f"{_number(reported['rejected'])} rejetées) ; {state}"]
    lines += [f"  attention : {problem}" for problem in reported["problems"]]
    return "\n".join(lines)
