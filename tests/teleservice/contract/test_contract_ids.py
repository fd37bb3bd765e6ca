"""The prescription id is the prescriber's software's: its format and check character, a duplicate refused with its
own code, and a mistyped id told apart from an unknown one on every route that takes one (docs/teleservice.md,
« Prescription ids »)."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from contract.kit import Made, Prescriptions, Target, body, code_of
from preserie.teleservice.ids import ALPHABET, check_character, is_prescription_id, with_check_character

UNKNOWN = with_check_character("Z" * 17)  # well formed; new_prescription_id makes it once in 36**17


def _mistyped_check(prescription_id: str) -> str:
    """The id with another last character: what a person who mistypes the check character sends."""
    wrong = next(char for char in ALPHABET if char != prescription_id[-1])
    return prescription_id[:-1] + wrong


def test_a_create_answers_the_id_the_software_made(target: Target, prescriber: httpx.Client) -> None:
    sent = body()
    answer = prescriber.post("/v1/prescriptions", json=sent)
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == sent["id"]
    assert answer.headers["location"] == f"/v1/prescriptions/{sent['id']}"


@pytest.mark.stateful(reason="relire ce qui vient d'être créé demande une base")
def test_the_created_prescription_is_read_back_under_its_id(prescriber: httpx.Client) -> None:
    sent = body()
    assert prescriber.post("/v1/prescriptions", json=sent).status_code == 201
    assert prescriber.get(f"/v1/prescriptions/{sent['id']}").json()["id"] == sent["id"]


def test_ids_of_the_new_id_command_are_accepted(target: Target, prescriber: httpx.Client) -> None:
    made = subprocess.run([sys.executable, "-m", "preserie", "teleservice", "new-id", "--count", "2"],
                          check=True, capture_output=True, text=True, timeout=60).stdout.split()
    assert len(made) == 2 and len(set(made)) == 2 and all(is_prescription_id(made_id) for made_id in made)
    for made_id in made:
        assert prescriber.post("/v1/prescriptions", json=body(prescription_id=made_id)).status_code == 201


def test_the_check_character_is_iso_7064_mod_37_36() -> None:
    """The rule a vendor implements: the reference values of the sandbox's check character (docs/teleservice.md)."""
    assert check_character("01S2TBPZ2JCNZZYGH") == "T"
    assert check_character("0" * 17) == with_check_character("0" * 17)[-1]
    assert is_prescription_id("01S2TBPZ2JCNZZYGHT") and not is_prescription_id("01S2TBPZ2JCNZZYGHZ")


@pytest.mark.parametrize(("mistake", "sent"), [
    ("wrong check character", _mistyped_check(with_check_character("01S2TBPZ2JCNZZYGH"))),
    ("lower case", with_check_character("01S2TBPZ2JCNZZYGH").lower()),
    ("too short", "01S2TBPZ2JCN"),
    ("outside A-Z 0-9", "01S2TBPZ2JCNZZYG-T")])
def test_a_create_with_a_mistyped_id_is_refused_for_its_id(prescriber: httpx.Client, mistake: str,
                                                           sent: str) -> None:
    assert code_of(prescriber.post("/v1/prescriptions", json=body(prescription_id=sent))) == \
        (400, "INVALID_PRESCRIPTION_ID"), mistake


def test_an_id_already_registered_is_refused_with_its_own_code(target: Target,
                                                               prescriptions: Prescriptions) -> None:
    """Another prescriber's software, or the same one without its Idempotency-Key: 409 PRESCRIPTION_ID_TAKEN, the
    software must make a new id (on a stateless server, an example's id is the one taken)."""
    taken = prescriptions.make()
    for who in (taken.prescriber, None):
        with target.client(professional_id=who) as client:
            assert code_of(client.post("/v1/prescriptions", json=body(prescription_id=taken.id))) == \
                (409, "PRESCRIPTION_ID_TAKEN")


@pytest.mark.stateful(reason="un nouvel essai ne se reconnaît qu'au souvenir du premier")
def test_a_retry_with_its_idempotency_key_is_no_duplicate(prescriber: httpx.Client) -> None:
    sent = body()
    first = prescriber.post("/v1/prescriptions", json=sent, headers={"Idempotency-Key": sent["id"]})
    again = prescriber.post("/v1/prescriptions", json=sent, headers={"Idempotency-Key": sent["id"]})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == sent["id"]
    assert code_of(prescriber.post("/v1/prescriptions", json=sent)) == (409, "PRESCRIPTION_ID_TAKEN")


# Every route that takes an id: (method, path, role that may call it, JSON body)
ROUTES = {
    "consult": ("GET", "/v1/prescriptions/{id}", "pharmacist", None),
    "qr.svg": ("GET", "/v1/prescriptions/{id}/qr.svg", "pharmacist", None),
    "qr.png": ("GET", "/v1/prescriptions/{id}/qr.png", "pharmacist", None),
    "fhir": ("GET", "/v1/prescriptions/{id}/fhir", "pharmacist", None),
    "dispense": ("POST", "/v1/prescriptions/{id}/dispensations", "pharmacist",
                 {"lines": [{"line": 1, "quantity": 1}]}),
    "cancel": ("POST", "/v1/prescriptions/{id}/cancel", "prescriber", None),
}


def _call(target: Target, made: Made, route: str, prescription_id: str) -> httpx.Response:
    method, path, role, json = ROUTES[route]
    with target.client(role, made.prescriber if role == "prescriber" else None) as client:
        return client.request(method, path.format(id=prescription_id), json=json)


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_tells_a_mistyped_id_from_an_unknown_one(target: Target, prescriptions: Prescriptions,
                                                             route: str) -> None:
    """An existing id with its check character mistyped or in lower case is INVALID_PRESCRIPTION_ID (400), the
    answer depending on the text alone; a well-formed id the base does not know is PRESCRIPTION_NOT_FOUND (404)."""
    made = prescriptions.make()
    assert made.id.lower() != made.id
    assert code_of(_call(target, made, route, _mistyped_check(made.id))) == (400, "INVALID_PRESCRIPTION_ID")
    assert code_of(_call(target, made, route, made.id.lower())) == (400, "INVALID_PRESCRIPTION_ID")
    assert code_of(_call(target, made, route, UNKNOWN)) == (404, "PRESCRIPTION_NOT_FOUND")
    assert _call(target, made, route, made.id).status_code in (200, 201)
