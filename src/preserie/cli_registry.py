"""The registry's commands: `preserie serve`, `preserie accounts …`, `preserie pilots import|export`.

They act on the data directory and database directly (the machine's administrator runs them); the parties
themselves go through the service with their tokens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from preserie.cli_french import FrenchGroup

DataOption = Annotated[Path | None, typer.Option("--data", help="Dossier de données du registre (défaut : "
                                                 "$PRESERIE_DATA, sinon ./preserie-data).", metavar="DOSSIER")]
DatabaseOption = Annotated[str | None, typer.Option("--database", help="Base : URL SQLAlchemy (postgresql+psycopg://…)"
                                                    " ; défaut : $PRESERIE_DATABASE, sinon SQLite dans --data.",
                                                    metavar="URL")]
EXIT_REFUSED = 2


def _registry(data: Path | None, database: str | None):  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import SQLAlchemyError

    from preserie.bootstrap import build_registry
    from preserie.config import ServiceSettings, SettingsError

    settings = ServiceSettings.from_env(data=data, database=database)
    try:
        return settings, build_registry(settings)
    except SettingsError as error:
        _fail(str(error))
    except SQLAlchemyError as error:
        _fail(f"base {settings.database_url.split('@')[-1]} : inaccessible ({type(error).__name__})")


def _fail(message: str) -> typer.Exit:
    typer.echo(f"erreur : {message}", err=True)
    raise typer.Exit(EXIT_REFUSED)


def serve(
    data: DataOption = None,
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option("--host", help="Adresse d'écoute.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute.", min=1, max=65535)] = 8800,
) -> None:
    """Servir le registre de la présérie : API JSON sous /api/v1 (OpenAPI : /openapi.json) et pages web
    (/connexion)."""
    from preserie.api.app import serve as run

    settings, registry = _registry(data, database)
    registry.repo.engine.dispose()  # migrated; the app builds its own at start-up
    typer.echo(f"registre : http://{host}:{port}/api/v1 ; pages : http://{host}:{port}/connexion ; données : "
               f"{settings.data}", err=True)
    run(settings, host=host, port=port)


accounts_app = typer.Typer(help="Comptes et jetons du registre (Cnam, GIE, éditeurs, CPAM).", cls=FrenchGroup,
                           no_args_is_help=True, subcommand_metavar="COMMANDE [ARGUMENTS]...")


@accounts_app.command("create")
def accounts_create(
    role: Annotated[str, typer.Option("--role", help="cnam, gie, vendor ou cpam.")],
    name: Annotated[str, typer.Option("--name", help="Nom de la personne ou du service.")],
    vendor: Annotated[str | None, typer.Option("--vendor", help="Pour un éditeur : son nom, tel que ses pilot.yaml "
                                               "l'écrivent (vendor).")] = None,
    cpam: Annotated[str | None, typer.Option("--cpam", help="Pour une CPAM : son département (69, 2A…).")] = None,
    days: Annotated[int, typer.Option("--days", help="Validité du jeton, en jours.")] = 90,
    data: DataOption = None,
    database: DatabaseOption = None,
) -> None:
    """Créer un compte et imprimer son jeton, une seule fois (le registre n'en garde que l'empreinte)."""
    from preserie.services.accounts import create_account
    from preserie.services.errors import RegistryError

    settings, registry = _registry(data, database)
    try:
        made = create_account(registry.repo, settings.secret(), role=role, name=name, vendor=vendor,
                              department=cpam, days=days)
    except RegistryError as error:
        _fail(f"--{error.field} : {error.detail}" if error.field else error.message)
    typer.echo(f"compte n° {made.account_id} ; jeton valable jusqu'au {made.expires_at:%d/%m/%Y} :", err=True)
    typer.echo(made.token)


def _read_password() -> str:
    """The new password: typed twice, hidden, at a terminal; else the first line of standard input (a script's
    pipe). Never an argument: arguments are seen by every user of the machine (ps) and kept in shell histories."""
    import sys

    if sys.stdin.isatty():
        typed: str = typer.prompt("Nouveau mot de passe", hide_input=True, confirmation_prompt=True,
                                  prompt_suffix=" : ")
        return typed
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


@accounts_app.command("password")
def accounts_password(
    name: Annotated[str, typer.Argument(help="Nom du compte : c'est l'identifiant de connexion aux pages web.",
                                        metavar="NOM")],
    account: Annotated[int | None, typer.Option("--account", help="Numéro du compte, quand plusieurs portent ce "
                                                "nom.", metavar="N")] = None,
    data: DataOption = None,
    database: DatabaseOption = None,
) -> None:
    """Donner un mot de passe à un compte pour les pages web (lu au clavier, ou sur l'entrée standard) ; ses
    sessions ouvertes se terminent."""
    import datetime as dt

    from preserie.adapters.db.people_repository import SqlPeople
    from preserie.services.errors import RegistryError
    from preserie.services.sessions import set_password

    _, registry = _registry(data, database)
    password = _read_password()
    try:
        made = set_password(SqlPeople(registry.repo.engine), registry.repo.accounts(), name, password,
                            number=account, now=dt.datetime.now(dt.UTC))
    except RegistryError as error:
        _fail(error.detail if error.code in ("NOT_FOUND", "INVALID_REQUEST", "ALREADY_EXISTS") and error.detail
              else error.message)
    typer.echo(f"compte n° {made['id']} ({made['name']}) : mot de passe enregistré ; identifiant de connexion : "
               f"« {made['name']} »", err=True)


@accounts_app.command("revoke")
def accounts_revoke(
    account: Annotated[int, typer.Argument(help="Numéro du compte.", metavar="COMPTE")],
    data: DataOption = None,
    database: DatabaseOption = None,
) -> None:
    """Révoquer un compte : tous ses jetons, son mot de passe et ses sessions web, à l'instant."""
    from preserie.services.accounts import revoke
    from preserie.services.errors import RegistryError

    _, registry = _registry(data, database)
    try:
        count = revoke(registry.repo, account)
    except RegistryError as error:
        _fail(error.detail or error.message)
    typer.echo(f"compte n° {account} révoqué : {count} jeton(s), son mot de passe et ses sessions web")


@accounts_app.command("list")
def accounts_list(data: DataOption = None, database: DatabaseOption = None) -> None:
    """Les comptes du registre."""
    from preserie.domain.access import ROLE_LABELS

    _, registry = _registry(data, database)
    for a in registry.repo.accounts():
        speaks = a["vendor"] or a["department"] or ""
        typer.echo(f"{a['id']}\t{ROLE_LABELS[a['role']]}\t{a['name']}\t{speaks}")


pilots_app = typer.Typer(help="Préséries du registre : importer un dossier, exporter une présérie en dossier.",
                         cls=FrenchGroup, no_args_is_help=True, subcommand_metavar="COMMANDE [ARGUMENTS]...")


@pilots_app.command("import")
def pilots_import(
    folder: Annotated[Path, typer.Argument(help="Dossier de la présérie.", metavar="DOSSIER")],
    data: DataOption = None,
    database: DatabaseOption = None,
) -> None:
    """Importer un dossier de présérie dans le registre (présérie en cours) ; imprime son identifiant."""
    from preserie.adapters.errors import UnusableInput
    from preserie.services.folder_import import import_folder

    _, registry = _registry(data, database)
    try:
        pilot = import_folder(registry, folder)
    except UnusableInput as error:
        for problem in error.problems:
            typer.echo(f"erreur : {problem}", err=True)
        raise typer.Exit(EXIT_REFUSED) from error
    typer.echo(pilot.key)


@pilots_app.command("export")
def pilots_export(
    pilot: Annotated[str, typer.Argument(help="Identifiant de la présérie.", metavar="ID")],
    folder: Annotated[Path, typer.Argument(help="Dossier à écrire (il ne doit pas exister).", metavar="DOSSIER")],
    phase: Annotated[int | None, typer.Option("--phase", help="La phase (défaut : la phase en cours).")] = None,
    data: DataOption = None,
    database: DatabaseOption = None,
) -> None:
    """Écrire une présérie du registre en dossier de présérie (preserie assess le juge comme le service)."""
    from preserie.services.bilan import export_folder
    from preserie.services.errors import RegistryError

    _, registry = _registry(data, database)
    record = registry.repo.pilot(pilot)
    if record is None:
        _fail(f"aucune présérie « {pilot} »")
    if folder.exists():
        _fail(f"{folder} existe déjà : rien n'est remplacé")
    try:
        export_folder(registry, record, folder, phase=phase)
    except RegistryError as error:
        _fail(error.message)
    typer.echo(str(folder))
