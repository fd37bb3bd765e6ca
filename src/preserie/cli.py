"""The command line: assess, report, export, demo, simulate, teleservice (`preserie --help`)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from preserie.adapters.errors import UnusableInput
from preserie.cli_folder import EXIT_DEPLOY, EXIT_EXTEND, EXIT_UNUSABLE, show
from preserie.cli_folder import assess as assess_folder_command
from preserie.cli_folder import assess_or_exit as _assess_or_exit
from preserie.cli_folder import exit_if_unreadable as _exit_if_unreadable
from preserie.cli_folder import exit_with_decision as _exit_with_decision
from preserie.cli_folder import parsed_as_of as _parsed_as_of
from preserie.cli_folder import say_unusable as _say_unusable
from preserie.cli_french import FrenchGroup
from preserie.cli_server import PhaseOption, PilotOption, ServerOption, fetch_bilan, remote, write_reports

if TYPE_CHECKING:  # the service is imported when a command runs, not when --help is shown

    from preserie.cli_server import FetchedBilan
    from preserie.services.assess import AssessmentRun
    from preserie.simulate.live import LiveOptions

app = typer.Typer(help="preserie : conduire et juger la présérie de l'ordonnance numérique.", cls=FrenchGroup,
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  subcommand_metavar="COMMANDE [ARGUMENTS]...")



def _print_version(asked: bool) -> None:
    if asked:
        import preserie

        typer.echo(f"preserie {preserie.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Afficher la version de preserie et quitter.")] = False,
) -> None:
    """preserie : conduire et juger la présérie de l'ordonnance numérique."""


FolderArgument = Annotated[Path, typer.Argument(help="Dossier de la présérie (pilot.yaml, traces/, …).",
                                                metavar="DOSSIER")]
FolderOrServer = Annotated[Path | None, typer.Argument(help="Dossier de la présérie (pilot.yaml, traces/, …) ; ou "
                                                       "--server et --pilot.", metavar="DOSSIER",
                                                       show_default=False)]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Date du bilan : ISO 8601 avec décalage, ou date "
                                                "seule (fin de journée, heure de Paris) ; défaut : dernière trace.")]


@app.command()
def assess(
    folder: FolderOrServer = None,
    server: ServerOption = None,
    pilot: PilotOption = None,
    phase: PhaseOption = None,
    as_of: AsOfOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Imprimer le bilan en JSON (preserie.assessment/1).")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="Code de sortie 2 dès qu'une trace est rejetée "
                                         "ou qu'un fichier est illisible.")] = False,
    test_identities: Annotated[bool, typer.Option("--test-identities", help="Accepter les identités de test "
                                                  "(département 99…), en le signalant.")] = False,
    details: Annotated[bool, typer.Option("--details", help="Imprimer tous les tableaux du bilan (par médecin, "
                                          "par opération…), pas seulement le résumé.")] = False,
) -> None:
    """Établir le bilan d'une présérie : d'un dossier, ou d'une présérie du registre (--server, --pilot ; le
    service l'établit). Code de sortie : 0 déploiement, 1 prolongation, 2 données inutilisables (pilot.yaml hors
    contrat, fichier ou dossier illisible : le bilan de ce qui a pu être lu est quand même écrit ; registre
    injoignable ou requête refusée)."""
    where = remote(folder, server, pilot, phase, folder_only=("--test-identities",) if test_identities else ())
    if where is None:
        assert folder is not None  # remote() exits when there is neither
        assess_folder_command(folder, as_of=as_of, as_json=as_json, strict=strict, test_identities=test_identities,
                              details=details)
    _parsed_as_of(as_of)
    show(fetch_bilan(where, as_of), as_json=as_json, strict=strict, details=details)


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


@app.command()
def export(
    folder: FolderArgument,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv (un fichier par tableau) ou xlsx (un "
                                              "classeur).")] = ExportFormat.csv,
    out: Annotated[Path | None, typer.Option("-o", "--out", help="Destination : pour csv, un dossier (un fichier "
                                             "par tableau) ; pour xlsx, le classeur lui-même (nom finissant par "
                                             ".xlsx) ou un dossier où écrire bilan-<id>.xlsx ; défaut : "
                                             "DOSSIER/export. Un fichier existant n'est remplacé qu'avec "
                                             "--force.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Remplacer les fichiers d'export déjà présents.")] = False,
    as_of: AsOfOption = None,
) -> None:
    """Exporter le bilan partie par partie (décision, dossier, C1 à C5, anomalies, données, rejets) : CSV ou
    Excel."""
    from preserie.adapters.exports import destinations, write

    target = out or folder / "export"
    _check_export_target(target, fmt.value)  # before the assessment, which can take seconds
    run = _assess_or_exit(folder, as_of)
    existing = [path for path in destinations(run.assessment, target, fmt.value) if path.exists()]
    if existing and not force:
        for path in existing:
            typer.echo(f"erreur : {path} existe déjà ; --force pour le remplacer", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        written = write(run.assessment, target, fmt.value)
    except OSError as error:
        typer.echo(f"erreur : export impossible dans {target} : {_os_reason(error)}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    for path in written:
        typer.echo(str(path))
    _exit_if_unreadable(run)


def _check_export_target(target: Path, kind: str) -> None:
    """Exit 2 when `target` cannot be what -o names for this format (see the option's help)."""
    problem = None
    is_workbook_name = target.suffix.lower() == ".xlsx"
    if kind == "csv" and target.suffix.lower() in (".csv", ".xlsx") and not target.is_dir():
        problem = "pour csv, -o nomme un dossier (un fichier par tableau)" + (
            " ; pour un classeur Excel : --format xlsx" if is_workbook_name else "")
    elif target.exists() and not target.is_dir() and not (kind == "xlsx" and is_workbook_name):
        problem = "existe et n'est pas un dossier" + (
            " ; pour écrire le classeur lui-même, un nom finissant par .xlsx" if kind == "xlsx" else "")
    elif kind == "xlsx" and is_workbook_name and target.is_dir():
        problem = "est un dossier ; le classeur attendu est un fichier (le supprimer, ou choisir un autre nom)"
    if problem:
        typer.echo(f"erreur : -o {target} : {problem}", err=True)
        raise typer.Exit(EXIT_UNUSABLE)


def _os_reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission refusée"
    if isinstance(error, NotADirectoryError | FileExistsError):
        return "un élément du chemin est un fichier, pas un dossier"
    if isinstance(error, IsADirectoryError):
        return "un dossier porte le nom d'un fichier à écrire"
    return str(error.strerror or error)


@app.command()
def report(
    folder: FolderOrServer = None,
    server: ServerOption = None,
    pilot: PilotOption = None,
    phase: PhaseOption = None,
    as_of: AsOfOption = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Fichier HTML à écrire.")] = Path("report.html"),
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Écrire aussi ce PDF (même contenu).")] = None,
) -> None:
    """Écrire le bilan partagé (HTML autonome, et PDF sur demande), d'un dossier ou d'une présérie du registre
    (--server, --pilot : le rapport du service). Code de sortie comme pour assess."""
    from preserie.services.report import write_report

    where = remote(folder, server, pilot, phase)
    run: AssessmentRun | FetchedBilan
    if where is None:
        assert folder is not None  # remote() exits when there is neither
        run = write_report(folder, output, pdf_path=pdf, run=_assess_or_exit(folder, as_of))
    else:
        _parsed_as_of(as_of)
        run = fetch_bilan(where, as_of)  # the decision (exit status), and every refusal before a file is written
        write_reports(where, as_of, output, pdf)
    typer.echo(str(output))
    if pdf:
        typer.echo(str(pdf))
    _exit_with_decision(run)


@app.command()
def init(folder: Annotated[Path, typer.Argument(help="Dossier à créer : nouveau ou vide.")]) -> None:
    """Écrire un dossier de présérie à remplir : pilot.yaml commenté, fichiers annexes (en-têtes seuls), traces/.

    Code de sortie 2 si FOLDER n'est pas vide : rien n'est remplacé."""
    from preserie.adapters.pilot_template import write_new_pilot

    try:
        written = write_new_pilot(folder)
    except UnusableInput as error:
        _say_unusable(error)
        raise typer.Exit(EXIT_UNUSABLE) from error
    except OSError as error:
        typer.echo(f"erreur : {folder} : écriture impossible : {_os_reason(error)}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    for path in written:
        typer.echo(f"{path}{'/' if path.is_dir() else ''}")
    typer.echo(f"\nÀ faire : remplacer les valeurs d'exemple de {folder / 'pilot.yaml'} (le format : "
               f"docs/pilot-folder.md), puis : {_program()} check {folder}")


@app.command()
def check(
    folder: FolderArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Imprimer la vérification en JSON.")] = False,
    test_identities: Annotated[bool, typer.Option("--test-identities", help="Accepter les identités de test "
                                                  "(département 99…), en le signalant.")] = False,
) -> None:
    """Vérifier un dossier avant l'envoi : le dossier de la présérie et les fichiers, sans lire les traces.

    Code de sortie : 0 prêt, 1 un point du dossier non conforme ou un fichier en erreur, 2 données
    inutilisables (pilot.yaml hors contrat, fichier ou dossier illisible)."""
    from preserie.services.check import check_pilot, describe

    try:
        result = check_pilot(folder, test_identities=test_identities)
    except UnusableInput as error:
        _say_unusable(error)
        raise typer.Exit(EXIT_UNUSABLE) from error
    if as_json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        typer.echo("\n".join(describe(result)))
    if any(i.unreadable for i in result.issues):  # as for assess: fix the permissions or the path first
        raise typer.Exit(EXIT_UNUSABLE)
    raise typer.Exit(EXIT_EXTEND if result.failed else EXIT_DEPLOY)


DEMO_MARKER = ".preserie-demo"


def _program() -> str:
    """How the user can run preserie again, for the commands suggested on screen: `preserie` when that is on the
    PATH, else the script they ran (`.venv/bin/preserie` after `make demo`), else `python -m preserie`."""
    import shutil

    invoked = Path(sys.argv[0])
    if invoked.name != "preserie":
        return f"{Path(sys.executable).name} -m preserie"
    on_path = shutil.which("preserie")
    return "preserie" if on_path and Path(on_path).resolve() == invoked.resolve() else str(invoked)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Dossier où écrire la présérie simulée.")] = Path("preserie-demo"),
    records: Annotated[int, typer.Option("--records", min=1_000, help="Nombre de traces simulées.")] = 200_000,
    seed: Annotated[int, typer.Option("--seed", help="Graine du simulateur.")] = 7,
) -> None:
    """Simuler une présérie nominale dans ./preserie-demo/ puis en établir le bilan (aucun serveur)."""
    import shutil

    from rich.console import Console

    from preserie.adapters.terminal import render
    from preserie.simulate import write_pilot

    console = Console()
    if out.exists():
        if not (out / DEMO_MARKER).is_file():
            typer.echo(f"erreur : {out} existe et n'est pas un dossier de démonstration ; choisir --out", err=True)
            raise typer.Exit(EXIT_UNUSABLE)
        shutil.rmtree(out)
    with console.status(f"Simulation de {records:,} traces…".replace(",", "\u202f")):
        write_pilot(out, seed=seed, records=records, weeks=8)
    (out / DEMO_MARKER).write_text("written by `preserie demo`; removed and rewritten by the next one\n")
    from preserie.services.report import write_report

    with console.status("Bilan et rapport…"):
        run = write_report(out, out / "report.html", pdf_path=out / "report.pdf")
    render(run.assessment, console)
    console.print(f"\nDossier de la présérie simulée : {out.resolve()}")
    console.print(f"Rapport : {(out / 'report.html').resolve()}")
    console.print(f"Rapport PDF : {(out / 'report.pdf').resolve()}")
    console.print(f"Bilan JSON : {_program()} assess {out} --json")


@app.command()
def simulate(
    out: Annotated[Path, typer.Argument(help="Dossier à écrire : vide ou inexistant.")],
    seed: Annotated[int, typer.Option("--seed", help="Graine : même graine et mêmes options, mêmes fichiers "
                                      "octet pour octet.")] = 1,
    practitioners: Annotated[int, typer.Option("--practitioners", help="Nombre de médecins équipés.")] = 8,
    weeks: Annotated[int, typer.Option("--weeks", help="Durée de la présérie en semaines (planned_weeks).")] = 6,
    audience: Annotated[str, typer.Option("--audience", help="Audience : liberal, health_center ou "
                                          "mixed.")] = "liberal",
    records: Annotated[int, typer.Option("--records", help="Nombre de traces postes, doublons renvoyés "
                                         "compris.")] = 100_000,
    scenario: Annotated[str, typer.Option("--scenario", help="Scénario : nominal (déploiement), slow-adopter, "
                                          "registration-failures, broken-search ou unhappy (prolongation, un "
                                          "critère non atteint).")] = "nominal",
    fmt: Annotated[str, typer.Option("--format", help="Format des fichiers de traces : jsonl, csv, parquet, "
                                     "jsonl.gz, ou mixed (les quatre en alternance).")] = "jsonl",
    teleservice: Annotated[str | None, typer.Option("--teleservice", help="URL d'un téléservice (le bac à sable) "
                                                    "que les postes appellent réellement (5 ms au moins par appel : "
                                                    "quelques milliers de traces suffisent) ; secret des jetons : "
                                                    "PRESERIE_TELESERVICE_SECRET.")] = None,
    teleservice_database: Annotated[str | None, typer.Option(
        "--teleservice-database", help="Avec --teleservice : la base du bac à sable, d'où registrations.csv est "
                                       "exporté (sinon pas de registrations.csv).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1, help="Avec --teleservice : délai d'un appel, "
                                           "en secondes, au-delà duquel il est sans réponse.")] = 5.0,
    collector: Annotated[str | None, typer.Option(
        "--collector", metavar="URL", help="Avec --teleservice : le registre (http://hôte:8800) où chaque poste, "
                                           "inscrit par l'éditeur (jeton dans $PRESERIE_TOKEN), envoie ses traces par "
                                           "lots au fil de l'eau, en plus de OUT/traces.")] = None,
    pilot: Annotated[str | None, typer.Option("--pilot", metavar="ID", help="Avec --collector : l'identifiant de "
                                              "la présérie dans le registre.")] = None,
    spool: Annotated[Path | None, typer.Option("--spool", help="Avec --collector : le dossier où les lots "
                                               "attendent leur acquittement (défaut : OUT/spool).")] = None,
    batch_records: Annotated[int, typer.Option("--batch-records", min=1, max=100_000, help="Avec --collector : "
                                               "traces par lot.")] = 1_000,
    patience: Annotated[float, typer.Option("--patience", min=0, help="Avec --collector : secondes qu'un lot "
                                            "attend le collecteur (nouvelles tentatives, Retry-After) avant de "
                                            "rester dans le spool.")] = 30.0,
) -> None:
    """Simuler une présérie réaliste dans OUT ; code de sortie 2 si OUT n'est pas vide.

    OUT reçoit pilot.yaml, traces/, registrations.csv, anomalies.csv et survey.csv, dont le bilan donne la décision
    promise par le scénario. Avec --teleservice, les postes appellent réellement le téléservice et les traces
    disent ce qu'il a répondu ; avec --collector, chaque poste envoie aussi ses traces au registre."""
    import os

    from preserie.adapters.collector_client import CollectorRefused
    from preserie.adapters.registry_client import TOKEN_VARIABLE
    from preserie.simulate import write_pilot
    from preserie.simulate.console import collector_options, describe, option_problems, writing_progress
    from preserie.simulate.folder import weekly_files

    problems = option_problems(out, audience=audience, scenario=scenario, fmt=fmt, records=records,
                               practitioners=practitioners, weeks=weeks)
    reporting, more = collector_options(collector, pilot, teleservice=teleservice, spool=spool,
                                        token=os.environ.get(TOKEN_VARIABLE), batch_records=batch_records,
                                        patience=patience)
    problems += more
    for problem in problems:
        typer.echo(f"erreur : {problem}", err=True)
    live = _live_options(teleservice, teleservice_database, timeout)
    if problems:
        raise typer.Exit(EXIT_UNUSABLE)
    files, formats = weekly_files(records, weeks, fmt)
    try:
        with writing_progress(records) as progress:
            summary = write_pilot(out, seed=seed, practitioners=practitioners, records=records, weeks=weeks,
                                  files=files, formats=formats, scenario=scenario, audience=audience,
                                  progress=progress, live=live, collector=reporting)
    except OSError as error:
        typer.echo(f"erreur : écriture impossible dans {out} : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    except CollectorRefused as error:
        typer.echo(f"erreur : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    typer.echo(describe(summary, _program()))


def _live_options(url: str | None, database: str | None, timeout: float) -> LiveOptions | None:
    """The options of a simulation against a real teleservice, or exit 2 with the reason."""
    from preserie.simulate.live import LiveOptions
    from preserie.teleservice.settings import Settings, SettingsError

    if url is None:
        if database is not None:
            typer.echo("erreur : --teleservice-database ne va qu'avec --teleservice", err=True)
            raise typer.Exit(EXIT_UNUSABLE)
        return None
    if not url.startswith(("http://", "https://")):
        typer.echo(f"erreur : --teleservice {url} : URL http:// ou https:// attendue", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        secret = Settings.from_env().secret
    except SettingsError as error:
        typer.echo(f"erreur : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/v1/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError as error:
        typer.echo(f"erreur : --teleservice {url} ne répond pas (GET /v1/health) : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    return LiveOptions(url, secret, timeout=timeout, database=database)


from preserie.teleservice import cli as teleservice_cli  # noqa: E402  (the sandbox's commands: teleservice/cli.py)

app.add_typer(teleservice_cli.teleservice_app, name="teleservice")

from preserie import cli_registry  # noqa: E402  (the registry's commands, in a module of their own)

app.command("serve")(cli_registry.serve)
app.add_typer(cli_registry.accounts_app, name="accounts")
app.add_typer(cli_registry.pilots_app, name="pilots")

from preserie import cli_survey  # noqa: E402  (the questionnaire's and the alerts' commands)

app.add_typer(cli_survey.survey_app, name="survey")
app.command("digest")(cli_survey.digest)
app.add_typer(cli_survey.recipients_app, name="recipients")
