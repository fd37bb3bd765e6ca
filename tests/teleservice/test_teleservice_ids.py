"""The prescription id's rule (ids.py): what its check character catches, and the command that makes and checks
ids as the prescriber's software would."""

from __future__ import annotations

import random
import subprocess
import sys

from preserie.teleservice.ids import (
    ALPHABET,
    ID_LENGTH,
    is_prescription_id,
    new_prescription_id,
    prescription_id_problem,
    with_check_character,
)

RNG = random.Random(13)
IDS = [with_check_character("".join(RNG.choice(ALPHABET) for _ in range(ID_LENGTH - 1))) for _ in range(2000)]


def test_every_substituted_character_is_caught() -> None:
    for made in IDS[:200]:
        for position in range(ID_LENGTH):
            for char in ALPHABET.replace(made[position], ""):
                assert not is_prescription_id(made[:position] + char + made[position + 1:])


def test_nearly_every_swap_of_two_neighbours_is_caught() -> None:
    """ISO 7064's hybrid systems do not promise every transposition: 59 of 33,039 pass here (0.18 %)."""
    swapped = [made[:k] + made[k + 1] + made[k] + made[k + 2:] for made in IDS for k in range(ID_LENGTH - 1)
               if made[k] != made[k + 1]]
    missed = sum(is_prescription_id(text) for text in swapped)
    assert len(swapped) == 33_039 and missed == 59


def test_fresh_ids_are_valid_and_distinct() -> None:
    made = {new_prescription_id() for _ in range(1000)}
    assert len(made) == 1000 and all(is_prescription_id(text) for text in made)


def test_a_problem_is_said_in_french_for_what_it_is() -> None:
    assert prescription_id_problem("01S2TBPZ2JCNZZYG-T") == "lettres majuscules et chiffres uniquement (A-Z, 0-9)"
    assert prescription_id_problem("01s2tbpz2jcnzzyght") == "majuscules attendues : 01S2TBPZ2JCNZZYGHT"


def test_the_new_id_command_makes_ids_and_checks_one() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "preserie", "teleservice", "new-id", *args],
                              capture_output=True, text=True, timeout=60)

    made = run("--count", "3").stdout.split()
    assert len(made) == 3 and all(is_prescription_id(text) for text in made)
    assert run("--check", made[0]).returncode == 0
    refused = run("--check", "01S2TBPZ2JCNZZYGHZ")
    assert refused.returncode == 2 and "caractère de contrôle incorrect" in refused.stderr
