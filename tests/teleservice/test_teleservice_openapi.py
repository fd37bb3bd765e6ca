"""/openapi.json states what the server enforces, so that a client generated from it is not refused by surprise:
each constraint read from the published schema, then checked against what the server does."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from teleservice_sandbox import Sandbox, created, draft, error_code, nir

from preserie.domain.identifiers import check_nir
from preserie.teleservice.catalogue import IN_SCOPE_CATEGORIES, OUT_OF_SCOPE_CATEGORIES
from preserie.teleservice.limits import MAX_BODY_BYTES
from preserie.teleservice.schemas import NIR_PATTERN

PRESCRIPTIONS = "/v1/prescriptions"
DISPENSE = "/v1/prescriptions/{prescription_id}/dispensations"


@pytest.fixture(scope="module")
def spec(sandbox: Sandbox) -> dict[str, Any]:
    with sandbox.anonymous() as client:
        published: dict[str, Any] = client.get("/openapi.json").json()
    return published


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][name]
    return found


def _parameter(spec: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    parameters = spec["paths"][path][method]["parameters"]
    found: dict[str, Any] = next(p["schema"] for p in parameters if p["name"] == name)
    return found


def test_the_categories_are_an_enum_of_the_scope_the_server_refuses_any_other(sandbox: Sandbox,
                                                                             spec: dict[str, Any]) -> None:
    assert _schema(spec, "PrescriptionCreate")["properties"]["category"]["enum"] == list(IN_SCOPE_CATEGORIES)
    assert _parameter(spec, PRESCRIPTIONS, "get", "category")["enum"] == list(IN_SCOPE_CATEGORIES)
    with sandbox.client() as prescriber:
        for category in IN_SCOPE_CATEGORIES:
            created(prescriber, draft(category))
            assert prescriber.get(PRESCRIPTIONS, params={"category": category}).status_code == 200
        for outside in (*OUT_OF_SCOPE_CATEGORIES, "surgery", "Medicines"):
            assert error_code(prescriber.post(PRESCRIPTIONS, json=draft(outside)))[0] == 422, outside
            assert error_code(prescriber.get(PRESCRIPTIONS, params={"category": outside}))[0] == 422, outside


def test_the_nir_pattern_is_published_and_is_the_shape_the_server_checks(sandbox: Sandbox,
                                                                         spec: dict[str, Any]) -> None:
    assert _schema(spec, "PrescriptionCreate")["properties"]["patient_nir"]["pattern"] == NIR_PATTERN
    assert _parameter(spec, PRESCRIPTIONS, "get", "patient")["pattern"] == NIR_PATTERN
    with sandbox.client() as prescriber:
        corsican = nir("1841275123456").replace("841275", "84122A")  # its key is wrong: the pattern has no key
        for shape in (nir()[:13], "5" + nir()[1:], nir()[:3] + "13" + nir()[5:], "１" + nir()[1:]):
            assert not re.fullmatch(NIR_PATTERN, shape)
            assert error_code(prescriber.post(PRESCRIPTIONS, json=draft(patient=shape))) == (422, "INVALID_NIR")
        assert re.fullmatch(NIR_PATTERN, corsican) and re.fullmatch(NIR_PATTERN, nir())
        created(prescriber, draft(patient=nir()))


@given(st.from_regex(NIR_PATTERN, fullmatch=True) | st.text(alphabet="0123456789AB2", min_size=13, max_size=16))
def test_the_nir_pattern_admits_exactly_what_check_nir_admits_but_for_the_key(value: str) -> None:
    check = check_nir(value)
    matches = re.fullmatch(NIR_PATTERN, value) is not None
    assert matches == (check.valid or check.expected_key is not None), (value, check.reason)


def test_the_idempotency_key_is_published_with_its_bounds(sandbox: Sandbox, spec: dict[str, Any]) -> None:
    for path in (PRESCRIPTIONS, DISPENSE):
        header = _parameter(spec, path, "post", "Idempotency-Key")
        assert (header["minLength"], header["maxLength"]) == (1, 128) and header["pattern"] == "^[\\x20-\\x7e]+$"
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        prescription_id = created(prescriber, draft(quantities=(5,)))
        url = DISPENSE.format(prescription_id=prescription_id)
        one = {"lines": [{"line": 1, "quantity": 1}]}
        for key in ("~" * 128, "a b"):
            assert re.fullmatch(header["pattern"], key)
            assert prescriber.post(PRESCRIPTIONS, json=draft(), headers={"Idempotency-Key": key}).status_code == 201
            assert pharmacist.post(url, json=one, headers={"Idempotency-Key": key}).status_code == 201
        for key in ("x" * 129, "a\tb", "clé"):  # (a DEL never reaches the app: uvicorn refuses it)
            refused = (400, "INVALID_IDEMPOTENCY_KEY")
            assert error_code(prescriber.post(PRESCRIPTIONS, json=draft(),
                                              headers={"Idempotency-Key": key.encode()})) == refused
            assert error_code(pharmacist.post(url, json=one, headers={"Idempotency-Key": key.encode()})) == refused


def test_distinct_lines_in_one_dispensing_are_published(sandbox: Sandbox, spec: dict[str, Any]) -> None:
    lines = _schema(spec, "DispensationCreate")["properties"]["lines"]
    assert lines["uniqueItems"] is True and "une fois" in lines["description"]
    with sandbox.client() as prescriber, sandbox.client(role="pharmacist") as pharmacist:
        url = DISPENSE.format(prescription_id=created(prescriber, draft(quantities=(5,))))
        for twice in ([{"line": 1, "quantity": 1}] * 2, [{"line": 1, "quantity": 1}, {"line": 1, "quantity": 2}]):
            assert error_code(pharmacist.post(url, json={"lines": twice})) == (422, "INVALID_REQUEST")


def test_the_body_cap_is_published_on_every_body_and_enforced(sandbox: Sandbox, spec: dict[str, Any]) -> None:
    assert "512 Kio" in spec["info"]["description"]
    bodies = [(path, method, operation) for path, operations in spec["paths"].items()
              for method, operation in operations.items() if "requestBody" in operation]
    assert {(path, method) for path, method, _ in bodies} == {(PRESCRIPTIONS, "post"), (DISPENSE, "post")}
    for _, _, operation in bodies:
        assert operation["requestBody"]["x-max-body-bytes"] == MAX_BODY_BYTES
        assert "413" in operation["responses"] and "512 Kio" in operation["requestBody"]["description"]
    body = json.dumps(draft()).encode()
    padded = body[:-1] + b" " * (MAX_BODY_BYTES - len(body)) + b"}"  # whitespace: still the same JSON
    with sandbox.client() as prescriber:
        exactly = prescriber.post(PRESCRIPTIONS, content=padded, headers={"Content-Type": "application/json"})
        over = prescriber.post(PRESCRIPTIONS, content=padded + b" ", headers={"Content-Type": "application/json"})
    assert len(padded) == MAX_BODY_BYTES and exactly.status_code == 201
    assert error_code(over) == (413, "REQUEST_TOO_LARGE")
