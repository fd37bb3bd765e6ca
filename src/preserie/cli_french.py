"""The command line's own words in French: usage line, help panels, `[défaut : …]`, error messages.

Typer asks gettext (domain `messages`) for the words of its help panels; a small catalogue answers them
(locale/fr/LC_MESSAGES/messages.po, compiled beside it). The click that typer carries inside it writes its
usage line, its help option and its error messages in English without gettext: a context whose formatter
says « Utilisation », and a group that rewrites the usage errors in French before typer shows them.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import struct
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from typer._click.core import Context
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

LOCALE = Path(__file__).parent / "locale"
CATALOGUE = LOCALE / "fr" / "LC_MESSAGES" / "messages.po"
HELP_TEXT = "Afficher cette aide et quitter."


def install_catalogue() -> None:
    """Point gettext's `messages` domain at our French catalogue, before typer builds its help strings."""
    gettext.bindtextdomain("messages", str(LOCALE))
    os.environ["LANGUAGE"] = "fr"  # gettext picks the language from the environment only; the screens are French


class FrenchFormatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "Utilisation\u00a0: " if prefix is None else prefix)


class FrenchContext(Context):
    formatter_class = FrenchFormatter


# The inner messages of bad values (typer's own types write them), then the usage errors, in French.
VALUE_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"(?:Value error, )?'(.*)' is not one of (.*)\.", "« {0} » n'est pas une valeur possible (valeurs : {1})"),
    (r"'(.*)' is not a valid (?:integer|int)\.?", "« {0} » n'est pas un nombre entier"),
    (r"'(.*)' is not a valid float(?: range)?\.?", "« {0} » n'est pas un nombre"),
    (r"(.*) is not in the range (.*)\.", "{0} n'est pas dans l'intervalle {1}"),
    (r"Input should be greater than or equal to (.*)", "{0} au moins"),
    (r"Input should be less than or equal to (.*)", "{0} au plus"),
    (r"Input should be a valid integer.*", "nombre entier attendu"),
    (r"Input should be a valid number.*", "nombre attendu"),
)
USAGE_MESSAGES: tuple[tuple[str, str], ...] = (
    (r"Option '(.*)' requires an argument\.", "l'option {0} attend une valeur"),
    (r"Option '(.*)' requires (\d+) arguments\.", "l'option {0} attend {1} valeurs"),
    (r"Option '(.*)' does not take a value\.", "l'option {0} ne prend pas de valeur"),
    (r"Got unexpected extra argument(?:\(s\)|s)? \((.*)\)", "argument(s) en trop : {0}"),
    (r"No such command '(.*)'\.?(?: Did you mean (.*)\?)?", "commande inconnue : « {0} »"),
    (r"Missing command\.", "commande manquante"),
)


def _translate(message: str, table: tuple[tuple[str, str], ...]) -> str:
    for pattern, french in table:
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found:
            return french.format(*((g or "").replace("'", "") for g in found.groups()))  # 'csv', 'xlsx
    return message


def _hint(error: BadParameter) -> str:
    """The parameter's name between French guillemets: « --format », « DOSSIER »."""
    if error.param_hint is not None:
        hints = error.param_hint
        hint = hints if isinstance(hints, str) else " / ".join(hints)
    else:
        hint = error.param.get_error_hint() if error.param is not None else ""
    return re.sub(r"'([^']+)'", "«\u202f\\1\u202f»", hint)


def french_message(error: UsageError) -> str:
    """The French text of a usage error (its English one when we do not know it: never lost)."""
    if isinstance(error, MissingParameter):
        kind = "option manquante" if (error.param_type or getattr(error.param, "param_type_name", "")) == "option" \
            else "argument manquant"
        return f"{kind} : {_hint(error)}"
    if isinstance(error, NoSuchOption):
        known = f" (options possibles : {', '.join(sorted(error.possibilities))})" if error.possibilities else ""
        return f"option inconnue : {error.option_name}{known}"
    if isinstance(error, BadParameter):
        return f"valeur invalide pour {_hint(error)} : {_translate(error.message, VALUE_MESSAGES)}"
    if isinstance(error, BadOptionUsage):
        return _translate(error.message, USAGE_MESSAGES)
    return _translate(error.message, USAGE_MESSAGES)


def _commands(command: Any) -> Iterator[Any]:
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from _commands(sub)


TYPE_WORDS = {"<str>": "<texte>", "<path>": "<chemin>", "<int>": "<entier>", "<float>": "<nombre>",
              "<list[str]>": "<texte>…"}


def _french_type(param: Any, ctx: Context) -> str | None:
    """A parameter's type as the help shows it, in French; nothing for a flag (it takes no value)."""
    shown: str | None = param.display_type(ctx)
    if shown == "<bool>" and getattr(param, "is_flag", False):
        return None
    return TYPE_WORDS.get(shown, shown) if shown else shown


class FrenchGroup(TyperGroup):
    """The root group: every command under it speaks French (help option, usage line, usage errors)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in _commands(self):
            command.context_class = FrenchContext
            option = command.get_help_option(FrenchContext(command))
            if option is not None:
                option.help = HELP_TEXT
            for param in [*command.params, *([option] if option is not None else [])]:
                param.display_type_rich = partial(_french_type, param)  # typer asks each parameter

    def main(self, *args: Any, **kwargs: Any) -> Any:
        install_catalogue()
        return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        context: Context = _in_french(lambda: super(FrenchGroup, self).make_context(*args, **kwargs))
        return context

    def invoke(self, ctx: Context) -> Any:
        return _in_french(lambda: super(FrenchGroup, self).invoke(ctx))


def _in_french(step: Callable[[], Any]) -> Any:
    try:
        return step()
    except UsageError as error:
        if getattr(error, "french", False) or isinstance(error, NoArgsIsHelpError):
            raise
        french = UsageError(french_message(error), error.ctx)
        french.french = True  # type: ignore[attr-defined]  # translated once, on the way up nested groups
        raise french from error


def compile_catalogue(po_text: str) -> bytes:
    """The .mo bytes of a .po text (msgid / msgstr pairs, one line each): what msgfmt writes."""
    pairs = dict(re.findall(r'^msgid (".*")\nmsgstr (".*")$', po_text, flags=re.MULTILINE))
    entries = sorted((ast.literal_eval(k), ast.literal_eval(v)) for k, v in pairs.items())
    ids = [k.encode() for k, _ in entries]
    strs = [v.encode() for _, v in entries]
    count, start = len(entries), 7 * 4
    keys_at, values_at = start, start + count * 8
    data_at = values_at + count * 8
    table, data = b"", b""
    for chunk in (*ids, *strs):
        table += struct.pack("<2I", len(chunk), data_at + len(data))
        data += chunk + b"\0"
    header = struct.pack("<7I", 0x950412DE, 0, count, keys_at, values_at, 0, 0)
    return header + table + data


if __name__ == "__main__":  # python -m preserie.cli_french: recompile the catalogue after editing the .po
    CATALOGUE.with_suffix(".mo").write_bytes(compile_catalogue(CATALOGUE.read_text(encoding="utf-8")))
