"""The sandbox's commands, `preserie teleservice …`: serve it, issue a token, export registrations.csv.

preserie's command line adds this group (`preserie/cli.py`); like the rest of the sandbox it imports nothing of
preserie but the identifier checks, and its modules are imported when a command runs, not when --help is shown.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_UNUSABLE = 2  # as preserie's own commands: the input cannot be used

teleservice_app = typer.Typer(help="Bac à sable du téléservice de l'ordonnance numérique : une simulation, pas le "
                              "service national.", no_args_is_help=True)


@teleservice_app.command("serve")
def teleservice_serve(
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.")] = 8700,
    database: Annotated[str | None, typer.Option("--database", help="Fichier SQLite ou URL SQLAlchemy "
                                                 "(postgresql+psycopg://…) ; défaut : "
                                                 "preserie-teleservice.db.")] = None,
    faults: Annotated[str | None, typer.Option("--faults", help="Profil de pannes à injecter : pilot, flaky, "
                                               "rate-limited, outage, slow-database, ou un fichier YAML du même "
                                               "format (aucune panne par défaut).")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Processus servant le même port ; chacun "
                                         "traite ses appels l'un après l'autre sur un cœur : un par cœur en "
                                         "charge.")] = 1,
    stateless: Annotated[bool, typer.Option("--stateless", help="Sans base de données : réponses préparées et "
                                            "valides pour chaque exemple documenté (docs/teleservice.md), rien "
                                            "n'est gardé ; pour l'intégration continue d'un module.")] = False,
) -> None:
    """Lancer le bac à sable (API JSON sous /v1, OpenAPI sur /openapi.json).

    Secret des jetons : PRESERIE_TELESERVICE_SECRET (obligatoire). Code de sortie 2 sans secret ou avec un profil
    de pannes inutilisable."""
    from preserie.teleservice.app import serve
    from preserie.teleservice.settings import Settings, SettingsError

    if stateless and database is not None:
        typer.echo("erreur : --stateless ne prend pas de --database : rien n'est gardé", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        settings = Settings.from_env(database=database, faults=faults, stateless=stateless)
    except SettingsError as error:
        typer.echo(f"erreur : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    serve(settings, host=host, port=port, workers=workers)


@teleservice_app.command("token")
def teleservice_token(
    professional_id: Annotated[str, typer.Option("--id", help="Identifiant du professionnel (RPPS…).")],
    role: Annotated[str, typer.Option("--role", help="prescriber, une profession prescrite (pharmacist, nurse, "
                                      "physiotherapist, …), ou registry : le lecteur du registre national, qui "
                                      "ne prend que registrations.csv (GET /v1/registrations).")],
    ttl: Annotated[int, typer.Option("--ttl", help="Durée de validité en secondes.")] = 3600,
) -> None:
    """Imprimer un jeton porteur signé (tient lieu de la carte CPS). Secret : PRESERIE_TELESERVICE_SECRET."""
    from preserie.teleservice.settings import Settings, SettingsError
    from preserie.teleservice.tokens import issue_token

    try:
        secret = Settings.from_env().secret
        typer.echo(issue_token(secret, professional_id, role, ttl=ttl))
    except (SettingsError, ValueError) as error:
        typer.echo(f"erreur : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error


@teleservice_app.command("export-registrations")
def teleservice_export_registrations(
    database: Annotated[str | None, typer.Option("--database", help="La base du bac à sable : fichier SQLite ou "
                                                 "URL SQLAlchemy ; défaut : preserie-teleservice.db.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier à écrire (registrations.csv) ; "
                                                "défaut : la sortie standard.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Seulement les créations à partir de cet instant "
                                              "(ISO 8601, heure de Paris si sans décalage).")] = None,
    practitioners: Annotated[list[str] | None, typer.Option("--practitioner", help="Seulement ce prescripteur "
                                                            "(option répétable).")] = None,
) -> None:
    """Écrire registrations.csv (docs/pilot-folder.md) depuis la base du bac à sable.

    Chaque ordonnance qu'une création acceptée (201) y a stockée y figure : enregistrée, ou rejetée avec un code
    quand le profil de pannes du bac à sable le demande. Code de sortie 2 si la base est introuvable ou
    illisible."""
    import datetime as dt
    from contextlib import nullcontext

    from sqlalchemy.exc import SQLAlchemyError

    from preserie.teleservice.registrations import PARIS, export_registrations
    from preserie.teleservice.settings import DEFAULT_DATABASE, database_url

    url = database_url(database or DEFAULT_DATABASE)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        typer.echo(f"erreur : base du bac à sable introuvable : {url.removeprefix('sqlite:///')}", err=True)
        raise typer.Exit(EXIT_UNUSABLE)
    try:
        start = dt.datetime.fromisoformat(since) if since else None
    except ValueError as error:
        typer.echo(f"erreur : --since {since} : date ISO 8601 attendue (2025-01-13 ou 2025-01-13T08:00)", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=PARIS)
    try:
        with output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout) as out:
            rows = export_registrations(url, out, since=start, practitioners=practitioners or ())
    except (SQLAlchemyError, OSError) as error:
        typer.echo(f"erreur : export impossible : {error}", err=True)
        raise typer.Exit(EXIT_UNUSABLE) from error
    typer.echo(f"{rows} enregistrement(s) exporté(s){f' dans {output}' if output else ''}", err=True)




@teleservice_app.command("new-id")
def teleservice_new_id(
    count: Annotated[int, typer.Option("--count", "-n", min=1, max=10_000, help="Nombre d'identifiants.")] = 1,
    check: Annotated[str | None, typer.Option("--check", help="Contrôler cet identifiant au lieu d'en créer : code "
                                              "de sortie 2 et la raison s'il est invalide.")] = None,
) -> None:
    """Imprimer un identifiant de prescription neuf, comme le logiciel du prescripteur le génère : 17 caractères
    aléatoires puis un caractère de contrôle (ISO/IEC 7064 MOD 37,36) ; ou en contrôler un (--check)."""
    from preserie.teleservice.ids import new_prescription_id, prescription_id_problem

    if check is not None:
        problem = prescription_id_problem(check)
        if problem is not None:
            typer.echo(f"erreur : identifiant {check!r} invalide : {problem}", err=True)
            raise typer.Exit(EXIT_UNUSABLE)
        typer.echo(f"{check} : identifiant valide")
        return
    for _ in range(count):
        typer.echo(new_prescription_id())
