"""Check digits of French health identifiers: N° AM, RPPS, FINESS and NIR.

Pure functions, standard library only. Values are always strings (a N° AM may
start with 0). A NIR is normalised first (spaces and dots, as printed on a card,
are dropped, as python-stdnum's `fr.nir.compact` does); the other numbers are
ids matched elsewhere in a pilot, so a space in them is reported, not dropped.
Reasons are French sentences meant for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "IdentifierCheck",
    "IdentifierKind",
    "check_am",
    "check_finess",
    "check_nir",
    "check_rpps",
    "luhn_is_valid",
    "luhn_key",
    "normalise_nir",
]

IdentifierKind = Literal["am", "rpps", "finess", "nir"]

_DIGITS = frozenset("0123456789")
# Departments accepted in a N° AM or a FINESS number: metropolitan 01-95, overseas 97.
_DEPARTMENTS = frozenset({f"{n:02d}" for n in range(1, 96)} | {"97"})
_TEST_DEPARTMENT = "99"
# ASSUMPTION, to be confirmed against the ANS test-card catalogue (IGC-Santé):
# RPPS numbers of test cards are taken to start with 8997.
_RPPS_TEST_PREFIX = "8997"
_NIR_SEXES = frozenset("123478")
_NIR_MONTHS = frozenset({f"{n:02d}" for n in range(1, 13)} | {f"{n:02d}" for n in range(20, 100)})
# For the NIR key, Corsica's 2A and 2B are replaced by 19 and 18.
_CORSICA = {"2A": "19", "2B": "18"}
# A FINESS number of Corsica begins with its department, 2A or 2B; for the Luhn key they are read as 21 and 22.
# Source: the validator of the GIP Plateforme de l'inclusion (github.com/gip-inclusion/pilotage,
# pilotage/itoutils/validators.py: `finess.replace("2A", "21").replace("2B", "22")`), and the five real Corsican
# establishments of the arrêté of 4 March 2015 (2A0000154, 2B0004246, 2B0000038, 2B0005342, 2B0005359) all pass
# their key read so, and under no other reading tried (20, 19/18, 0, 1/2: tests/unit/test_identifiers.py).
# A N° AM has no such case: the ANS describes it as « 9 caractères numériques » (FAQ, RPPS / N° AM / FINESS).
_FINESS_CORSICA = {"2A": "21", "2B": "22"}
# What a NIR may carry as printed: spaces (also the no-break ones a word processor puts in), dots.
_NIR_SEPARATORS = str.maketrans("", "", " .\u00a0\u202f")


@dataclass(frozen=True)
class IdentifierCheck:
    """Outcome of checking one identifier."""

    kind: IdentifierKind
    value: str
    valid: bool
    reason: str | None = None
    # Key that would have made the value valid, when only the key is wrong.
    expected_key: str | None = None
    is_test_identity: bool = False


def _is_ascii_digits(text: str) -> bool:
    return all(char in _DIGITS for char in text)


def _luhn_sum(digits: str, *, double_rightmost: bool) -> int:
    total = 0
    for index, char in enumerate(reversed(digits)):
        digit = ord(char) - ord("0")
        if (index % 2 == 0) == double_rightmost:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total


def luhn_is_valid(digits: str) -> bool:
    """True when ``digits`` (ASCII digits only, non-empty) passes the Luhn test."""
    if not digits or not _is_ascii_digits(digits):
        return False
    return _luhn_sum(digits, double_rightmost=False) % 10 == 0


def luhn_key(payload: str) -> str:
    """Return the check digit that makes ``payload + key`` Luhn-valid."""
    if not _is_ascii_digits(payload):
        raise ValueError(f"chiffres attendus, reçu {payload!r}")
    return str((10 - _luhn_sum(payload, double_rightmost=True) % 10) % 10)


def _found(count: int) -> str:
    return f"{count} trouvé" if count < 2 else f"{count} trouvés"


def _bad_char(char: str, position: int, allowed: str) -> str:
    if char.isspace():
        return f"espace en position {position} : saisir le numéro sans espaces"
    return f"caractère « {char} » non autorisé en position {position} ({allowed})"


def _key_reason(expected: str, found: str) -> str:
    return f"clé de contrôle incorrecte : {expected} attendu, {found} trouvé"


def _invalid(kind: IdentifierKind, value: str, reason: str, *, is_test: bool = False) -> IdentifierCheck:
    return IdentifierCheck(kind, value, False, reason, None, is_test)


def _check_luhn_identifier(
    kind: IdentifierKind,
    value: str,
    *,
    length: int,
    with_department: bool,
    test_prefix: str,
    test_label: str,
    allow_test: bool,
    corsica: dict[str, str] | None = None,
) -> IdentifierCheck:
    """`corsica` maps the letters a department may have in first position to the digits read for the key."""
    letters = corsica is not None and value[:2] in corsica
    for position, char in enumerate(value, start=1):
        if char not in _DIGITS and not (letters and position == 2):
            allowed = "chiffres, ou 2A/2B pour la Corse" if corsica is not None else "chiffres uniquement"
            return _invalid(kind, value, _bad_char(char, position, allowed))
    if len(value) != length:
        return _invalid(kind, value, f"{length} caractères attendus, {_found(len(value))}" if corsica is not None
                        else f"{length} chiffres attendus, {_found(len(value))}")
    department = value[:2]
    if with_department and not letters and department not in _DEPARTMENTS and department != _TEST_DEPARTMENT:
        return _invalid(kind, value, f"département {department} inconnu : 01 à 95, 2A, 2B ou 97 attendu"
                        if corsica is not None else f"département {department} inconnu : 01 à 95 ou 97 attendu")
    is_test = value.startswith(test_prefix)
    digits = corsica[department] + value[2:] if letters and corsica is not None else value
    expected = luhn_key(digits[:-1])
    if expected != value[-1]:
        reason = _key_reason(expected, value[-1])
        return IdentifierCheck(kind, value, False, reason, expected, is_test)
    if is_test and not allow_test:
        reason = f"identité de test ({test_label}) refusée sans --test-identities"
        return _invalid(kind, value, reason, is_test=True)
    return IdentifierCheck(kind, value, True, None, None, is_test)


def check_am(value: str, *, allow_test: bool = False) -> IdentifierCheck:
    """N° AM (Assurance Maladie number of a liberal doctor): 8 digits + Luhn key."""
    return _check_luhn_identifier(
        "am",
        value,
        length=9,
        with_department=True,
        test_prefix=_TEST_DEPARTMENT,
        test_label="département 99",
        allow_test=allow_test,
    )


def check_rpps(value: str, *, allow_test: bool = False) -> IdentifierCheck:
    """RPPS number: 11 digits, the last one a Luhn key."""
    return _check_luhn_identifier(
        "rpps",
        value,
        length=11,
        with_department=False,
        test_prefix=_RPPS_TEST_PREFIX,
        test_label=f"plage {_RPPS_TEST_PREFIX}",
        allow_test=allow_test,
    )


def check_finess(value: str, *, allow_test: bool = False) -> IdentifierCheck:
    """FINESS number: 9 characters (department first: digits, or 2A / 2B in Corsica), the last one a Luhn key.

    >>> check_finess("2A0000154").valid, check_finess("330800872").valid
    (True, False)
    """
    return _check_luhn_identifier(
        "finess",
        value,
        length=9,
        with_department=True,
        test_prefix=_TEST_DEPARTMENT,
        test_label="département 99",
        allow_test=allow_test,
        corsica=_FINESS_CORSICA,
    )


def normalise_nir(value: str) -> str:
    """A NIR as printed (`2 79 03 51 215 189 89`, `2.79.03.2a…`) as its 15 characters, letters upper-case.

    >>> normalise_nir("2 79 03 51 215 189 89")
    '279035121518989'
    """
    return value.translate(_NIR_SEPARATORS).upper()


def check_nir(value: str) -> IdentifierCheck:
    """NIR (social security number): 13 characters + 2-digit key = 97 - (number mod 97). Spaces and dots are
    dropped first (`normalise_nir`); the result's `value` is the normalised NIR."""
    value = normalise_nir(value)
    for position, char in enumerate(value, start=1):
        corsica = position == 7 and value[5:7] in _CORSICA
        if char not in _DIGITS and not corsica:
            return _invalid("nir", value, _bad_char(char, position, "chiffres, ou 2A/2B pour le département"))
    if len(value) != 15:
        return _invalid("nir", value, f"15 caractères attendus, {_found(len(value))}")
    if value[0] not in _NIR_SEXES:
        return _invalid("nir", value, f"premier chiffre {value[0]} invalide : 1, 2, 3, 4, 7 ou 8 attendu")
    if value[3:5] not in _NIR_MONTHS:
        return _invalid("nir", value, f"mois {value[3:5]} invalide : 01 à 12 ou 20 à 99 attendu")
    department = _CORSICA.get(value[5:7], value[5:7])
    number = int(value[:5] + department + value[7:13])
    expected = f"{97 - number % 97:02d}"
    if expected != value[13:]:
        return IdentifierCheck("nir", value, False, _key_reason(expected, value[13:]), expected, False)
    return IdentifierCheck("nir", value, True)
