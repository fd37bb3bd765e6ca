"""`preserie assess|report --server URL --pilot ID`: the bilan of a registered pilot, computed by the registry
service (the same engine) and shown as for a folder. The token comes from $PRESERIE_TOKEN only: an option would
land in the shell's history."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from preserie.adapters.registry_client import RegistryClient
    from preserie.domain.inputs import FileIssue
    from preserie.domain.results import Assessment

EXIT_UNUSABLE = 2

ServerOption = Annotated[str | None, typer.Option(
    "--server", metavar="URL", help="Au lieu d'un DOSSIER : l'adresse du registre (http://hôte:8800), qui établit "
                                    "le bilan ; jeton dans $PRESERIE_TOKEN.")]
PilotOption = Annotated[str | None, typer.Option("--pilot", metavar="ID", help="Avec --server : l'identifiant de "
                                                 "la présérie (celui qu'imprime preserie pilots import).")]
PhaseOption = Annotated[int | None, typer.Option("--phase", min=1, max=1000, help="Avec --server : la phase "
                                                 "(défaut : la phase en cours).")]


@dataclass(frozen=True)
class Remote:
    """Where a bilan is to be fetched: the registry, the pilot and its phase."""

    client: RegistryClient
    pilot: str
    phase: int | None


@dataclass(frozen=True)
class FetchedBilan:
    """An assessment as the service computed it: the object (for the terminal) and its JSON, as sent."""

    assessment: Assessment
    result: dict[str, Any]

    @property
    def issues(self) -> tuple[FileIssue, ...]:
        return self.assessment.data_quality.file_issues

    @property
    def decision(self) -> str:
        return self.assessment.decision

    @property
    def has_input_problems(self) -> bool:
        return bool(self.assessment.data_quality.rejected) or any(i.level == "error" for i in self.issues)


def fail(message: str) -> NoReturn:
    typer.echo(f"erreur : {message}", err=True)
    raise typer.Exit(EXIT_UNUSABLE)


def remote(folder: Path | None, server: str | None, pilot: str | None, phase: int | None, *,
           folder_only: tuple[str, ...] = ()) -> Remote | None:
    """None for a folder; the service to ask otherwise; exit 2 when the arguments are neither (`folder_only`:
    the options given that only a folder can take)."""
    if folder is not None:
        if server is not None or pilot is not None:
            fail("un DOSSIER ou --server URL --pilot ID, pas les deux")
        if phase is not None:
            fail("--phase ne va qu'avec --server URL --pilot ID (un dossier n'a qu'une phase)")
        return None
    if server is None:
        fail("--pilot ne va qu'avec --server URL" if pilot else
             "indiquer le DOSSIER de la présérie, ou --server URL --pilot ID pour un bilan du registre")
    if pilot is None:
        fail("--server demande --pilot ID (l'identifiant qu'imprime preserie pilots import)")
    if not server.startswith(("http://", "https://")):
        fail(f"--server {server} : URL http:// ou https:// attendue")
    for option in folder_only:
        fail(f"{option} ne va qu'avec un DOSSIER : le registre établit le bilan avec ses propres données")
    from preserie.adapters.registry_client import TOKEN_VARIABLE, RegistryClient

    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        fail(f"jeton du registre manquant : le mettre dans la variable d'environnement {TOKEN_VARIABLE} "
             "(preserie accounts create l'imprime) ; jamais en option, il resterait dans l'historique du shell")
    return Remote(RegistryClient(server, token), pilot, phase)


def fetch_bilan(where: Remote, as_of: str | None) -> FetchedBilan:
    """The bilan the service computes, or exit 2 with the server's message (or why it could not be reached)."""
    from preserie.adapters.registry_client import ServiceUnavailable
    from preserie.domain.results import Assessment

    try:
        data = where.client.assessment(where.pilot, as_of=as_of, phase=where.phase)
    except ServiceUnavailable as error:
        fail(str(error))
    try:
        return FetchedBilan(Assessment.from_dict(data), data)
    except (KeyError, TypeError, ValueError, IndexError) as error:
        fail(f"registre {where.client.url} : bilan illisible par cette version de preserie ({error!r:.80})")


def write_reports(where: Remote, as_of: str | None, output: Path, pdf: Path | None) -> None:
    """The service's report.html (and report.pdf) written to `output` (and `pdf`), or exit 2."""
    from preserie.adapters.registry_client import ServiceUnavailable

    for kind, path in (("html", output), ("pdf", pdf)):
        if path is None:
            continue
        try:
            content = where.client.report(where.pilot, kind, as_of=as_of, phase=where.phase)
        except ServiceUnavailable as error:
            fail(str(error))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        except OSError as error:
            fail(f"{path} : écriture impossible ({error.strerror or error})")
