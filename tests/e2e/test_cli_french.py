"""The command line's own words (usage, help panels, defaults, errors) are French, like its screens."""

from __future__ import annotations

import pytest
from preserie_cli import CASES, run

from preserie.cli_french import CATALOGUE, compile_catalogue

ENGLISH = ("Usage", "Show this message", "Missing argument", "Missing option", "No such option", "Try '",
           "[default", "[required]", "Commands", "Error", "Invalid value", "Got unexpected", "requires an argument",
           "<str>", "<path>", "<bool>", "<int>", "Input should")


@pytest.mark.parametrize("args", [("--help",), ("assess", "--help"), ("export", "--help"), ("simulate", "--help"),
                                  ("teleservice", "--help"), ("teleservice", "serve", "--help")])
def test_help_has_no_english_chrome(args: tuple[str, ...]) -> None:
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert "Utilisation" in done.stdout and "Afficher cette aide et quitter." in done.stdout
    assert [word for word in ENGLISH if word in done.stdout] == []


@pytest.mark.parametrize(("args", "french"), [
    (("export",), "argument manquant : « DOSSIER »"),  # assess and report: DOSSIER or --server
    (("assess", str(CASES / "nominal"), "--bogus"), "option inconnue : --bogus"),
    (("export", str(CASES / "nominal"), "--format", "ods"),
     "« ods » n'est pas une valeur possible (valeurs : csv, xlsx)"),
    (("assess", "--as-of"), "l'option --as-of attend une valeur"),
    (("assess", "a", "b"), "argument(s) en trop : b"),
    (("demo", "--records", "5"), "1000 au moins"),
    (("teleservice", "token"), "option manquante : « --id »"),
    (("nope",), "commande inconnue : « nope »"),
])
def test_usage_errors_are_french_and_exit_2(args: tuple[str, ...], french: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    text = done.stderr.replace("\u202f", " ").replace("\u00a0", " ")
    assert french in text and "Erreur" in text
    assert [word for word in ENGLISH if word in text] == []


def test_the_compiled_catalogue_is_the_po_file() -> None:
    assert CATALOGUE.with_suffix(".mo").read_bytes() == compile_catalogue(CATALOGUE.read_text(encoding="utf-8")), \
        "run: python -m preserie.cli_french"
