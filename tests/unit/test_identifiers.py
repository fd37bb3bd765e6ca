"""Tests of preserie.domain.identifiers.

Keys are computed here by a separate reference implementation (table-free
Luhn by brute force over the ten candidate digits, and mod 97 for the NIR), so
the tests do not just reuse the module's own arithmetic.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preserie.domain.identifiers import (
    IdentifierCheck,
    check_am,
    check_finess,
    check_nir,
    check_rpps,
    luhn_is_valid,
    luhn_key,
)

# --- reference implementations, independent of the module -------------------


def ref_luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number]
    for i in range(len(digits) - 2, -1, -2):  # every second digit from the right
        digits[i] = sum(int(c) for c in str(digits[i] * 2))
    return sum(digits) % 10 == 0


def ref_luhn_key(payload: str) -> str:
    (key,) = [k for k in "0123456789" if ref_luhn_valid(payload + k)]
    return key


def with_key(payload: str) -> str:
    return payload + ref_luhn_key(payload)


def ref_nir_key(body: str) -> str:
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(body[5:7], body[5:7]) + body[7:]
    return f"{97 - int(numeric) % 97:02d}"


def with_nir_key(body: str) -> str:
    return body + ref_nir_key(body)


def wrong_last_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


AM = with_key("75123456")
AM_LEADING_ZERO = with_key("01234567")
AM_TEST = with_key("99123456")
RPPS = "79927398713"  # the classic Luhn example, RPPS-shaped
RPPS_TEST = with_key("8997000012")
FINESS = with_key("75000001")
FINESS_TEST = with_key("99000001")
# The published example "1 85 05 78 006 084 36" does not verify (mod 97 gives 91).
NIR = "185057800608491"
NIR_2A = with_nir_key("185052A004123")
NIR_2B = with_nir_key("285052B004123")


# --- Luhn --------------------------------------------------------------------


def test_reference_luhn_agrees_on_the_classic_example() -> None:
    assert ref_luhn_valid("79927398713")
    assert not ref_luhn_valid("79927398710")


def test_luhn_accepts_the_classic_example() -> None:
    assert luhn_is_valid("79927398713")


def test_luhn_rejects_a_changed_key() -> None:
    assert not luhn_is_valid("79927398710")


@pytest.mark.parametrize("text", ["", "7992739871a", "7992 739871", "٣", "-1"])
def test_luhn_rejects_empty_or_non_ascii_digit_strings(text: str) -> None:
    assert not luhn_is_valid(text)


def test_luhn_key_completes_the_classic_example() -> None:
    assert luhn_key("7992739871") == "3"


@pytest.mark.parametrize("payload", ["0", "12", "8997000012", "01234567", "33080087"])
def test_luhn_key_agrees_with_the_reference(payload: str) -> None:
    assert luhn_key(payload) == ref_luhn_key(payload)


def test_luhn_key_refuses_non_digits() -> None:
    with pytest.raises(ValueError):
        luhn_key("12a4")


# --- N° AM -------------------------------------------------------------------


def test_am_valid_number_passes() -> None:
    assert check_am(AM) == IdentifierCheck("am", AM, True, None, None, False)


def test_am_with_wrong_key_reports_expected_key() -> None:
    bad = wrong_last_digit(AM)
    result = check_am(bad)
    assert not result.valid
    assert result.expected_key == AM[-1]
    assert result.reason == f"clé de contrôle incorrecte : {AM[-1]} attendu, {bad[-1]} trouvé"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (AM[:-1], "9 chiffres attendus, 8 trouvés"),
        (AM + "0", "9 chiffres attendus, 10 trouvés"),
        ("7", "9 chiffres attendus, 1 trouvé"),
        ("", "9 chiffres attendus, 0 trouvé"),
    ],
)
def test_am_with_wrong_length_is_refused_with_counts(value: str, reason: str) -> None:
    result = check_am(value)
    assert not result.valid
    assert result.reason == reason
    assert result.expected_key is None


def test_am_with_a_letter_names_its_position() -> None:
    result = check_am("751A34567")
    assert not result.valid
    assert result.reason == "caractère « A » non autorisé en position 4 (chiffres uniquement)"


def test_am_with_a_space_names_its_position() -> None:
    result = check_am("75 123456")
    assert not result.valid
    assert result.reason == "espace en position 3 : saisir le numéro sans espaces"


def test_am_with_non_ascii_digit_is_refused() -> None:
    assert not check_am("75123456٣").valid


def test_am_leading_zero_is_preserved() -> None:
    result = check_am(AM_LEADING_ZERO)
    assert result.valid
    assert result.value == AM_LEADING_ZERO
    assert result.value.startswith("01")


def test_am_overseas_department_97_is_accepted() -> None:
    assert check_am(with_key("97123456")).valid


def test_am_department_99_is_refused_without_allow_test() -> None:
    result = check_am(AM_TEST)
    assert not result.valid
    assert result.is_test_identity
    assert result.reason == "identité de test (département 99) refusée sans --test-identities"
    assert result.expected_key is None


def test_am_department_99_is_accepted_with_allow_test() -> None:
    result = check_am(AM_TEST, allow_test=True)
    assert result.valid
    assert result.is_test_identity
    assert result.reason is None


def test_am_test_identity_with_wrong_key_reports_the_key() -> None:
    result = check_am(wrong_last_digit(AM_TEST), allow_test=True)
    assert not result.valid
    assert result.is_test_identity
    assert result.expected_key == AM_TEST[-1]


@pytest.mark.parametrize("department", ["00", "96", "98"])
def test_am_unknown_department_is_refused(department: str) -> None:
    value = with_key(department + "123456")
    result = check_am(value, allow_test=True)
    assert not result.valid
    assert result.reason == f"département {department} inconnu : 01 à 95 ou 97 attendu"
    assert result.expected_key is None
    assert not result.is_test_identity


def test_check_result_is_frozen() -> None:
    result = check_am(AM)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.valid = False  # type: ignore[misc]


# --- RPPS --------------------------------------------------------------------


def test_rpps_classic_luhn_example_passes() -> None:
    result = check_rpps(RPPS)
    assert result.valid
    assert result.kind == "rpps"
    assert not result.is_test_identity


def test_rpps_with_wrong_key_reports_expected_key() -> None:
    result = check_rpps("79927398710")
    assert not result.valid
    assert result.expected_key == "3"
    assert result.reason == "clé de contrôle incorrecte : 3 attendu, 0 trouvé"


def test_rpps_with_wrong_length_is_refused() -> None:
    assert check_rpps(AM).reason == "11 chiffres attendus, 9 trouvés"


def test_rpps_with_a_letter_names_its_position() -> None:
    assert check_rpps("1000000000X").reason == (
        "caractère « X » non autorisé en position 11 (chiffres uniquement)"
    )


def test_rpps_test_range_is_refused_without_allow_test() -> None:
    result = check_rpps(RPPS_TEST)
    assert not result.valid
    assert result.is_test_identity
    assert result.reason == "identité de test (plage 8997) refusée sans --test-identities"


def test_rpps_test_range_is_accepted_with_allow_test() -> None:
    result = check_rpps(RPPS_TEST, allow_test=True)
    assert result.valid
    assert result.is_test_identity


def test_rpps_has_no_department_rule() -> None:
    assert check_rpps(with_key("0000000001")).valid


# --- FINESS ------------------------------------------------------------------


def test_finess_valid_number_passes() -> None:
    result = check_finess(FINESS)
    assert result.valid
    assert result.kind == "finess"


def test_finess_330800872_fails_luhn_and_reports_the_key() -> None:
    # Suggested as a public example, but it does not pass Luhn.
    assert not ref_luhn_valid("330800872")
    result = check_finess("330800872")
    assert not result.valid
    assert result.expected_key == ref_luhn_key("33080087")


def test_finess_with_wrong_key_reports_expected_key() -> None:
    result = check_finess(wrong_last_digit(FINESS))
    assert not result.valid
    assert result.expected_key == FINESS[-1]


def test_finess_leading_zero_is_preserved() -> None:
    value = with_key("01000001")
    assert check_finess(value).valid
    assert check_finess(value).value == value


# Corsican establishments listed in the arrêté of 4 March 2015 (real FINESS numbers).
CORSICAN_FINESS = ("2A0000154", "2B0004246", "2B0000038", "2B0005342", "2B0005359")


@pytest.mark.parametrize("value", CORSICAN_FINESS)
def test_finess_of_a_real_corsican_establishment_is_valid(value: str) -> None:
    assert check_finess(value) == IdentifierCheck("finess", value, True, None, None, False)


@pytest.mark.parametrize("reading", [("20", "20"), ("19", "18"), ("0", "0"), ("1", "2"), ("2", "2")])
def test_no_other_reading_of_2a_2b_makes_the_real_corsican_numbers_pass(reading: tuple[str, str]) -> None:
    # the key rule is a reading of the letters: 2A -> 21, 2B -> 22 is the one under which all five pass
    a, b = reading
    assert not all(ref_luhn_valid(v.replace("2A", a).replace("2B", b)) for v in CORSICAN_FINESS)
    assert all(ref_luhn_valid(v.replace("2A", "21").replace("2B", "22")) for v in CORSICAN_FINESS)


def test_corsican_finess_with_a_wrong_key_says_which_key_was_expected() -> None:
    result = check_finess("2A0000155")
    assert not result.valid
    assert result.expected_key == "4"
    assert result.reason == "clé de contrôle incorrecte : 4 attendu, 5 trouvé"


@pytest.mark.parametrize("value", ["2C0000154", "2a0000154", "3A0000154", "2AA000154"])
def test_finess_letters_other_than_corsica_are_refused(value: str) -> None:
    result = check_finess(value)
    assert not result.valid
    assert result.reason is not None and "non autorisé" in result.reason and "2A/2B" in result.reason


def test_am_has_no_corsican_letters() -> None:
    # the ANS describes the N° AM as nine numeric characters
    assert check_am("2A1234567").reason == "caractère « A » non autorisé en position 2 (chiffres uniquement)"


def test_finess_department_99_is_refused_without_allow_test() -> None:
    result = check_finess(FINESS_TEST)
    assert not result.valid
    assert result.is_test_identity
    assert result.reason == "identité de test (département 99) refusée sans --test-identities"


def test_finess_department_99_is_accepted_with_allow_test() -> None:
    assert check_finess(FINESS_TEST, allow_test=True).valid


def test_finess_department_00_is_refused() -> None:
    assert not check_finess(with_key("00000001"), allow_test=True).valid


# --- NIR ---------------------------------------------------------------------


def test_nir_reference_key_of_the_public_example_is_91_not_36() -> None:
    assert ref_nir_key("1850578006084") == "91"


def test_nir_valid_number_passes() -> None:
    assert check_nir(NIR) == IdentifierCheck("nir", NIR, True, None, None, False)


def test_nir_with_wrong_key_reports_expected_key() -> None:
    result = check_nir("185057800608436")
    assert not result.valid
    assert result.expected_key == "91"
    assert result.reason == "clé de contrôle incorrecte : 91 attendu, 36 trouvé"


def test_nir_expected_key_is_reported_on_two_digits() -> None:
    body = next(b for b in (f"18505750060{n:02d}" for n in range(100)) if int(ref_nir_key(b)) < 10)
    result = check_nir(body + "99")
    assert result.expected_key == ref_nir_key(body)
    assert result.expected_key is not None and len(result.expected_key) == 2
    assert check_nir(body + ref_nir_key(body)).valid


def test_nir_corsica_2a_is_valid_with_19_substituted() -> None:
    assert NIR_2A[-2:] == f"{97 - 1850519004123 % 97:02d}"
    assert check_nir(NIR_2A).valid


def test_nir_corsica_2b_is_valid_with_18_substituted() -> None:
    assert NIR_2B[-2:] == f"{97 - 2850518004123 % 97:02d}"
    assert check_nir(NIR_2B).valid


def test_nir_corsica_with_wrong_key_reports_expected_key() -> None:
    result = check_nir(NIR_2A[:-2] + "00")
    assert not result.valid
    assert result.expected_key == NIR_2A[-2:]


def test_nir_lowercase_corsica_is_read_upper_case() -> None:
    # as python-stdnum's fr.nir.compact does: a typed 2a is the department 2A
    result = check_nir(NIR_2A.replace("2A", "2a"))
    assert result.valid and result.value == NIR_2A


def test_nir_letter_outside_department_names_its_position() -> None:
    result = check_nir("18505780060A491")
    assert result.reason == (
        "caractère « A » non autorisé en position 12 (chiffres, ou 2A/2B pour le département)"
    )


@pytest.mark.parametrize("printed", ["1 85 05 78 006 084 91", "1.85.05.78.006.084.91", "1\u00a085 05 78 006 084 91",
                                     " 185057800608491 "])
def test_nir_as_printed_is_normalised_before_its_check(printed: str) -> None:
    assert check_nir(printed) == IdentifierCheck("nir", NIR, True, None, None, False)


def test_spaced_corsican_nir_with_lower_case_letter_is_normalised() -> None:
    n = NIR_2A
    spaced = f"{n[0]} {n[1:3]} {n[3:5]} {n[5:7].lower()} {n[7:10]} {n[10:13]} {n[13:]}"
    assert check_nir(spaced).valid
    assert check_nir(spaced).value == NIR_2A


def test_spaced_nir_with_a_wrong_key_still_says_the_expected_key() -> None:
    result = check_nir("1 85 05 78 006 084 92")
    assert not result.valid and result.expected_key == "91"


def test_nir_with_wrong_length_is_refused() -> None:
    assert check_nir(NIR[:-1]).reason == "15 caractères attendus, 14 trouvés"


@pytest.mark.parametrize("sex", ["0", "5", "6", "9"])
def test_nir_with_unknown_sex_digit_is_refused(sex: str) -> None:
    result = check_nir(with_nir_key(sex + "850578006084"))
    assert not result.valid
    assert result.reason == f"premier chiffre {sex} invalide : 1, 2, 3, 4, 7 ou 8 attendu"


@pytest.mark.parametrize("month", ["00", "13", "19"])
def test_nir_with_impossible_month_is_refused(month: str) -> None:
    result = check_nir(with_nir_key("185" + month + "78006084"))
    assert not result.valid
    assert result.reason == f"mois {month} invalide : 01 à 12 ou 20 à 99 attendu"


@pytest.mark.parametrize("month", ["01", "12", "20", "42", "50", "99"])
def test_nir_with_special_month_is_accepted(month: str) -> None:
    assert check_nir(with_nir_key("285" + month + "78006084")).valid


def test_nir_born_abroad_department_99_is_not_a_test_identity() -> None:
    result = check_nir(with_nir_key("1850599123045"))
    assert result.valid
    assert not result.is_test_identity


# --- properties --------------------------------------------------------------

am_payloads = st.builds(
    lambda dept, rest: f"{dept:02d}{rest}",
    st.integers(min_value=1, max_value=95),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
)


@given(am_payloads)
def test_any_am_payload_with_its_luhn_key_passes_and_any_single_digit_change_fails(payload: str) -> None:
    number = payload + luhn_key(payload)
    assert ref_luhn_valid(number)
    assert check_am(number).valid
    for position in range(len(number)):
        for digit in "0123456789":
            if digit == number[position]:
                continue
            changed = number[:position] + digit + number[position + 1 :]
            assert not check_am(changed, allow_test=True).valid, changed
            assert not luhn_is_valid(changed), changed
