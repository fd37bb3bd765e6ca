"""The prescription id, made by the prescriber's software: 17 random characters and a check character.

Public descriptions of the French service say that the prescriber's software generates the unique id and its QR
code, then sends the prescription to the base ("Le logiciel métier du prescripteur génère un identifiant unique de
prescription et un QR code", docs/decisions/0007-sandbox-fidelity.md); the national rule (SEL-SFG-023) is given to
vendors only. The sandbox assumes the shape of the one public example, ``01S2TBPZ2JCNZZYGHZ`` (18 upper-case
letters and digits), and adds a check character of its own: ISO/IEC 7064 MOD 37,36, the standard's hybrid system
for an alphanumeric string with an alphanumeric check character. Its peers do the same with another system: NHS
EPS's short-form id ends with an ISO/IEC 7064 MOD 37-2 character, gematik's Rezept-ID with two ISO 7064 digits.
MOD 37,36 catches every substituted character and nearly every swap of two neighbours (all but 59 of 33,039 in
tests/teleservice/test_teleservice_ids.py's count; the hybrid systems of ISO 7064 do not promise them all). The
public example is not a sandbox id: its last character is not our check character.

    >>> prescription_id_problem(with_check_character("01S2TBPZ2JCNZZYGH"))
    >>> prescription_id_problem("01S2TBPZ2JCNZZYGHZ")
    'caractère de contrôle incorrect : 01S2TBPZ2JCNZZYGH + Z, attendu T'
"""

from __future__ import annotations

import secrets
import string

ALPHABET = string.digits + string.ascii_uppercase  # 36 characters: the check system's modulus
ID_LENGTH = 18
PAYLOAD_LENGTH = ID_LENGTH - 1
_VALUE = {char: value for value, char in enumerate(ALPHABET)}


def check_character(payload: str) -> str:
    """The ISO/IEC 7064 MOD 37,36 check character of ``payload`` (upper-case letters and digits).

    >>> check_character("01S2TBPZ2JCNZZYGH")
    'T'
    """
    m = len(ALPHABET)
    p = m
    for char in payload:
        s = (p + _VALUE[char]) % m or m
        p = (2 * s) % (m + 1)
    return ALPHABET[(m + 1 - p) % m]


def with_check_character(payload: str) -> str:
    return payload + check_character(payload)


def new_prescription_id() -> str:
    """A fresh id: 17 characters from the system's secure source (~88 bits: unguessable), then the check one."""
    return with_check_character("".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH)))


def prescription_id_problem(text: str) -> str | None:
    """Why ``text`` cannot be a prescription id (in French, for a person), or None when it can.

    >>> prescription_id_problem("01s2tbpz2jcnzzyght")
    'majuscules attendues : 01S2TBPZ2JCNZZYGHT'
    >>> prescription_id_problem("01S2")
    '18 caractères attendus, 4 reçus'
    """
    if len(text) != ID_LENGTH:
        return f"{ID_LENGTH} caractères attendus, {len(text)} reçus"
    if any(char not in _VALUE for char in text):
        upper = text.upper()
        if upper != text and all(char in _VALUE for char in upper):
            return f"majuscules attendues : {upper}"
        return "lettres majuscules et chiffres uniquement (A-Z, 0-9)"
    expected = check_character(text[:PAYLOAD_LENGTH])
    if text[-1] != expected:
        return f"caractère de contrôle incorrect : {text[:PAYLOAD_LENGTH]} + {text[-1]}, attendu {expected}"
    return None


def is_prescription_id(text: str) -> bool:
    return prescription_id_problem(text) is None
