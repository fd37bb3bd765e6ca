"""The `preserie` command's entry point: `preserie assess DOSSIER` with the folder options only goes straight to
the assessment; everything else (help, other commands, --server, a mistyped option) goes to typer (`cli.py`).

Why: typer imports pydantic and scans the installed packages' metadata, about a tenth of a second on this
machine, which is 5 % of a 1 M-record assessment (issue 9: the tool must be no slower than the fastest
hand-written baseline). The direct path accepts exactly what the typer command accepts for a folder, and behaves
the same (tests/e2e/test_entry.py runs both on the same arguments).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

_FLAGS = {"--json": "as_json", "--strict": "strict", "--test-identities": "test_identities", "--details": "details"}


def direct_assess(args: Sequence[str]) -> dict[str, Any] | None:
    """The keyword arguments of `cli_folder.assess` when `args` is a plain folder assessment, else None (typer's).

    >>> found = direct_assess(["assess", "pilote", "--json", "--as-of=2025-03-14"])
    >>> found["folder"], found["as_json"], found["strict"], found["as_of"]
    (PosixPath('pilote'), True, False, '2025-03-14')
    >>> direct_assess(["assess", "--server", "http://x", "--pilot", "p"]) is None
    True
    """
    if len(args) < 2 or args[0] != "assess":
        return None
    found: dict[str, Any] = dict.fromkeys(_FLAGS.values(), False) | {"as_of": None}
    folders: list[str] = []
    rest = iter(args[1:])
    for arg in rest:
        if arg in _FLAGS:
            found[_FLAGS[arg]] = True
        elif arg == "--as-of":
            value = next(rest, None)
            if value is None:
                return None  # typer says what is missing
            found["as_of"] = value
        elif arg.startswith("--as-of="):
            found["as_of"] = arg.removeprefix("--as-of=")
        elif arg.startswith("-") or not arg:
            return None  # --help, --server…, "--", a mistyped option: typer's to answer
        else:
            folders.append(arg)
    if len(folders) != 1:
        return None
    return found | {"folder": Path(folders[0])}


def main() -> None:
    direct = direct_assess(sys.argv[1:])
    if direct is not None:
        from preserie.cli_folder import assess

        assess(**direct)
    from preserie.cli import app

    app(prog_name="preserie")
