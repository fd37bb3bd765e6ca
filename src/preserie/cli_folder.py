"""The assessment of a pilot folder on the command line, without typer: what `preserie assess DOSSIER` does once
its arguments are known, shared by the typer command (`cli.py`) and the entry point's direct path (`entry.py`).

Messages go to standard error in French; an unusable input ends with `SystemExit(2)`, which typer passes
through like its own `Exit`.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from preserie.adapters.errors import UnusableInput

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Sequence
    from pathlib import Path

    from preserie.domain.inputs import FileIssue
    from preserie.domain.results import Assessment
    from preserie.services.assess import AssessmentRun

EXIT_DEPLOY, EXIT_EXTEND, EXIT_UNUSABLE = 0, 1, 2


class Run(Protocol):
    """A bilan, from a folder (`AssessmentRun`) or from the registry (`cli_server.FetchedBilan`)."""

    @property
    def assessment(self) -> Assessment: ...
    @property
    def result(self) -> dict[str, Any]: ...
    @property
    def issues(self) -> Sequence[FileIssue]: ...
    @property
    def decision(self) -> str: ...
    @property
    def has_input_problems(self) -> bool: ...


def say(message: str) -> None:
    """One line on standard error."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def parsed_as_of(as_of: str | None) -> dt.datetime | None:
    """The moment --as-of names, or exit 2 saying why it names none."""
    from preserie.domain.as_of import parse_as_of

    try:
        return parse_as_of(as_of) if as_of else None
    except ValueError as error:
        say(f"erreur : --as-of {as_of} : {error}")
        raise SystemExit(EXIT_UNUSABLE) from error


def assess_or_exit(folder: Path, as_of: str | None, *, test_identities: bool = False) -> AssessmentRun:
    """The assessment of a folder, or exit status 2 with what to fix (the same for every command)."""
    from preserie.services.assess import assess_folder

    moment = parsed_as_of(as_of)
    try:
        if not sys.stderr.isatty():
            return assess_folder(folder, as_of=moment, test_identities=test_identities)
        from rich.console import Console

        # A long run (10 M records: ten seconds) says what it is doing, on the terminal only and without a trace.
        with Console(stderr=True).status("bilan de la présérie…") as status:
            return assess_folder(folder, as_of=moment, test_identities=test_identities, progress=status.update)
    except UnusableInput as error:
        say_unusable(error)
        raise SystemExit(EXIT_UNUSABLE) from error


def say_unusable(error: UnusableInput) -> None:
    """Every problem of an unusable folder, one line each, so that all are fixed in one go."""
    for problem in error.problems:
        say(f"erreur : {problem}")


def exit_if_unreadable(run: Run) -> None:
    """Exit 2 when an input could not be opened at all (permissions, a folder or a pipe in place of a file): what
    was written stands for what could be read, but no bilan stands on a file nobody could read."""
    unreadable = sorted({i.file for i in run.issues if i.unreadable})
    if unreadable:
        say(f"erreur : illisible(s) : {', '.join(unreadable)} ; corriger les droits ou le chemin, puis "
            "relancer (code de sortie 2)")
        raise SystemExit(EXIT_UNUSABLE)


def exit_with_decision(run: Run) -> NoReturn:
    exit_if_unreadable(run)
    raise SystemExit(EXIT_DEPLOY if run.decision == "deploy" else EXIT_EXTEND)


def show(run: Run, *, as_json: bool, strict: bool, details: bool) -> NoReturn:
    """Print the bilan (JSON, or the French summary), say the input problems, and exit with the decision."""
    if as_json:
        sys.stdout.write(json.dumps(run.result, ensure_ascii=False, indent=2) + "\n")
    else:
        from rich.console import Console

        from preserie.adapters.terminal import render

        render(run.assessment, Console(), details=details)
    sys.stdout.flush()
    for issue in run.issues:
        if issue.level == "error":
            say(f"erreur : {issue.where} : {issue.message}")
    rejected = run.assessment.data_quality.rejected
    if rejected:
        say(f"attention : {rejected} trace(s) rejetée(s) ; détail dans data_quality.rejections")
    if strict and run.has_input_problems:
        say("--strict : données imparfaites, code de sortie 2")
        raise SystemExit(EXIT_UNUSABLE)
    exit_with_decision(run)


def assess(folder: Path, *, as_of: str | None, as_json: bool, strict: bool, test_identities: bool,
           details: bool) -> NoReturn:
    """`preserie assess DOSSIER …`, its arguments parsed."""
    show(assess_or_exit(folder, as_of, test_identities=test_identities), as_json=as_json, strict=strict,
         details=details)
