"""The questionnaire's and the alerts' commands: `preserie survey invite`, `preserie digest`, `preserie recipients`.

Like `preserie accounts`, they act on the data directory and database directly (the registry's administrator
runs them, on the machine that serves it); the parties themselves invite through the service with their tokens
(`POST /api/v1/pilots/{id}/survey/invitations`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import typer

from preserie.cli_french import FrenchGroup
from preserie.cli_registry import DatabaseOption, DataOption, _fail, _registry

survey_app = typer.Typer(help="Questionnaire de satisfaction des médecins : leurs liens personnels.",
                         cls=FrenchGroup, no_args_is_help=True, subcommand_metavar="COMMANDE [ARGUMENTS]...")
recipients_app = typer.Typer(help="Adresses auxquelles preserie digest envoie la synthèse de chaque partie.",
                             cls=FrenchGroup, no_args_is_help=True, subcommand_metavar="COMMANDE [ARGUMENTS]...")
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


@survey_app.command("invite")
def invite(
    pilot: Annotated[str, typer.Argument(help="Identifiant de la présérie.", metavar="ID")],
    practitioner: Annotated[list[str] | None, typer.Option(
        "--practitioner", help="Le médecin à inviter (N° AM ou RPPS ; répétable) : un nouveau lien remplace le "
        "sien. Défaut : chaque médecin utilisateur qui n'a ni répondu ni de lien en cours.")] = None,
    base_url: Annotated[str, typer.Option("--base-url", help="L'adresse du registre telle que les médecins "
                                          "l'ouvrent.")] = "http://127.0.0.1:8800",
    data: DataOption = None,
    database: DatabaseOption = None,
) -> None:
    """Créer le lien personnel de chaque médecin (à usage unique) et l'imprimer, une seule fois."""
    from preserie.services.errors import RegistryError
    from preserie.services.survey import issue

    settings, registry = _registry(data, database)
    record = registry.repo.pilot(pilot)
    if record is None:
        _fail(f"aucune présérie « {pilot} »")
    try:
        made = issue(registry, record, settings.secret(), practitioner or None, caller=None)
    except RegistryError as error:
        _fail(error.message)
    for skipped in made["skipped"]:
        typer.echo(f"{skipped['practitioner']} : pas de nouveau lien ({skipped['reason']})", err=True)
    for invitation in made["invitations"]:
        typer.echo(f"{invitation.practitioner}\t{base_url.rstrip('/')}{invitation.link}\t"
                   f"{invitation.expires_at:%Y-%m-%d}")
    typer.echo(f"{len(made['invitations'])} lien(s) créé(s), à transmettre à chaque médecin ; ils ne seront "
               "plus affichés", err=True)


def digest(
    data: DataOption = None,
    database: DatabaseOption = None,
    outbox: Annotated[Path | None, typer.Option("--outbox", metavar="DOSSIER", help="Où écrire les courriels "
                                                "(.eml) ; défaut : DONNÉES/outbox. Avec PRESERIE_SMTP_URL, "
                                                "ceux des parties sans adresse seulement.")] = None,
) -> None:
    """Écrire (ou envoyer par SMTP, PRESERIE_SMTP_URL) un courriel par partie avec ses alertes nouvelles."""
    from preserie.adapters.mail import FROM_ENV, SMTP_ENV, MailError
    from preserie.services.digest import send

    settings, registry = _registry(data, database)
    try:
        sent = send(registry, outbox=outbox or settings.data / "outbox", smtp_url=os.environ.get(SMTP_ENV) or None,
                    sender=os.environ.get(FROM_ENV) or None)
    except MailError as error:
        _fail(str(error))
    for mail in sent:
        typer.echo(f"{mail.party}\t{mail.alerts} alerte(s)\t{mail.where}")
    typer.echo(f"{len(sent)} courriel(s) ; les alertes déjà signalées ne sont pas répétées", err=True)


def _party(role: str, vendor: str | None, cpam: str | None) -> str:
    from preserie.domain.access import Caller, Role
    from preserie.domain.alerts import party_of

    try:
        kind = Role(role)
    except ValueError:
        _fail(f"--role {role} : cnam, gie, vendor ou cpam attendu")
    if kind == Role.PRACTITIONER or (kind == Role.VENDOR) != bool(vendor) or (kind == Role.CPAM) != bool(cpam):
        _fail("--role cnam|gie, --role vendor --vendor NOM ou --role cpam --cpam DÉPARTEMENT")
    return party_of(Caller(0, kind, role, vendor=vendor, department=cpam))


RoleOption = Annotated[str, typer.Option("--role", help="cnam, gie, vendor ou cpam.")]
VendorOption = Annotated[str | None, typer.Option("--vendor", help="Pour un éditeur : son nom (vendor).")]
CpamOption = Annotated[str | None, typer.Option("--cpam", help="Pour une CPAM : son département.")]
EmailArgument = Annotated[str, typer.Argument(help="Adresse électronique.", metavar="ADRESSE")]


@recipients_app.command("add")
def recipients_add(email: EmailArgument, role: RoleOption, vendor: VendorOption = None, cpam: CpamOption = None,
                   data: DataOption = None, database: DatabaseOption = None) -> None:
    """Ajouter une adresse à la synthèse d'une partie."""
    from preserie.adapters.db.survey_repository import SqlAlerts

    if not _EMAIL.fullmatch(email) or len(email) > 254:
        _fail(f"{email} : adresse électronique invalide (nom@domaine.fr)")
    party = _party(role, vendor, cpam)
    _, registry = _registry(data, database)
    store = SqlAlerts(registry.repo.engine)
    if email in store.recipients().get(party, []):
        _fail(f"{email} reçoit déjà la synthèse de {party}")
    with registry.repo.writing() as conn:
        store.add_recipient(conn, party, email, registry.now())
    typer.echo(f"{party}\t{email}")


@recipients_app.command("remove")
def recipients_remove(email: EmailArgument, role: RoleOption, vendor: VendorOption = None, cpam: CpamOption = None,
                      data: DataOption = None, database: DatabaseOption = None) -> None:
    """Retirer une adresse de la synthèse d'une partie."""
    from preserie.adapters.db.survey_repository import SqlAlerts

    party = _party(role, vendor, cpam)
    _, registry = _registry(data, database)
    with registry.repo.writing() as conn:
        removed = SqlAlerts.remove_recipient(conn, party, email)
    if not removed:
        _fail(f"{email} ne reçoit pas la synthèse de {party}")
    typer.echo(f"{party}\t{email} retirée")


@recipients_app.command("list")
def recipients_list(data: DataOption = None, database: DatabaseOption = None) -> None:
    """Les adresses de chaque partie."""
    from preserie.adapters.db.survey_repository import SqlAlerts

    _, registry = _registry(data, database)
    for party, emails in SqlAlerts(registry.repo.engine).recipients().items():
        for email in emails:
            typer.echo(f"{party}\t{email}")
