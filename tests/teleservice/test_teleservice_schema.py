"""Schemathesis against the real sandbox's published /openapi.json: no generated call, valid or not, gets a 5xx,
and every answer keeps to the schema (status documented, content type, headers, body shape).

The sandbox (conftest: SQLite, and PostgreSQL when PRESERIE_TEST_DATABASE_URL is set) runs with no injected fault,
so any 5xx is a bug of the sandbox. Calls are authenticated as a prescriber, then as a pharmacist (who alone
dispenses). Most schema-valid cases carry what only the sandbox's rules accept (the id of an existing
prescription of that prescriber, an in-scope category, a NIR with its right key) so that create, consult, QR,
search and dispense go beyond 404 and 422.

Schemathesis 4.32's pytest loader for a schema served by a fixture (``schemathesis.pytest.from_fixture``) sets
``Node._nodeid``, which pytest 9.2 no longer has: each operation runs here as a pytest subtest of a plain Hypothesis
test, over Schemathesis' strategies (``APIOperation.as_strategy``) and checks (``Case.call_and_validate``).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from schemathesis import AuthContext, Case, GenerationMode
from schemathesis.auths import AuthStorage
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import positive_data_acceptance
from teleservice_sandbox import Sandbox, created, draft, error_code, nir

from preserie.teleservice.catalogue import IN_SCOPE_CATEGORIES

PRESCRIBER_ID, PHARMACIST_ID = "FUZZPRESCRIBER", "FUZZPHARMACIST"
NIRS = (nir("1841275123456"), nir("2850399123456"))
MAX_EXAMPLES = 50  # per operation, role and generation mode (valid / invalid data)
# Every check Schemathesis has but one: schema-valid data may still break a rule the schema cannot say (the NIR's
# key, the quantity left to dispense), and the sandbox rightly answers 422.
EXCLUDED_CHECKS = [positive_data_acceptance]


@pytest.fixture(scope="module")
def known_ids(sandbox: Sandbox) -> list[str]:
    """Prescriptions of PRESCRIBER_ID: medicines and devices a pharmacist may dispense (one hiding the dispensing
    from the prescriber, one of a single box), biology a pharmacist may not."""
    drafts = [draft(category, visible=visible, patient=patient, quantities=(999, 3, 1))
              for category, visible, patient in (("medicines", True, NIRS[0]), ("medicines", False, NIRS[1]),
                                                 ("medical_devices", True, NIRS[0]), ("biology", True, NIRS[1]))]
    drafts.append(draft(patient=NIRS[0], quantities=(1,)))  # soon fully dispensed: 409
    with sandbox.client(PRESCRIBER_ID) as prescriber:
        return [created(prescriber, body) for body in drafts]


def _with(case: Case, prescription_id: str, category: str, patient: str, dispensing: dict[str, Any]) -> Case:
    """The case, its id, category, NIR and dispensed lines replaced by ones the sandbox knows (still schema-valid)."""
    if case.path_parameters and "prescription_id" in case.path_parameters:
        case.path_parameters = {**case.path_parameters, "prescription_id": prescription_id}
    if isinstance(case.body, dict) and {"category", "patient_nir"} <= case.body.keys():
        case.body = {**case.body, "category": category, "patient_nir": patient}
    elif isinstance(case.body, dict) and "lines" in case.body:
        case.body = dispensing
    if case.query:
        known = {"category": category, "patient": patient}
        case.query = {name: known.get(name, value) for name, value in case.query.items()}
    return case


# Lines 1 to 3 of the known prescriptions, 1 or 2 at a time: dispensings that succeed until the lines run out.
DISPENSINGS = st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3, unique=True).flatmap(
    lambda numbers: st.lists(st.integers(1, 2), min_size=len(numbers), max_size=len(numbers)).map(
        lambda quantities: {"lines": [{"line": n, "quantity": q} for n, q in zip(numbers, quantities, strict=True)]}))


def _realistic(case: Case, ids: list[str]) -> SearchStrategy[Case]:
    """The case as generated, or carrying an existing id, an in-scope category, a right NIR, lines that exist."""
    known = st.builds(_with, st.just(case), st.sampled_from(ids), st.sampled_from(IN_SCOPE_CATEGORIES),
                      st.sampled_from(NIRS), DISPENSINGS)
    return st.one_of(known, st.just(case))


class _Bearer:
    """Schemathesis' auth provider: the token on every case, except those whose missing token is the point."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get(self, case: Case, ctx: AuthContext) -> str:
        return self.token

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _fuzz(operation: APIOperation, session: requests.Session, token: str, ids: list[str]) -> None:
    auth = AuthStorage(providers=[_Bearer(token)])
    valid = operation.as_strategy(GenerationMode.POSITIVE, auth_storage=auth)
    invalid = operation.as_strategy(GenerationMode.NEGATIVE, auth_storage=auth)
    cases = st.one_of(valid.flatmap(lambda case: _realistic(case, ids)), invalid)

    @settings(max_examples=2 * MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=cases)
    def calls_keep_to_the_schema(case: Case) -> None:
        case.call_and_validate(session=session, excluded_checks=EXCLUDED_CHECKS)

    calls_keep_to_the_schema()


@pytest.mark.parametrize("role", ["prescriber", "pharmacist"])
def test_no_generated_call_gets_a_server_error_or_leaves_the_schema(
        sandbox: Sandbox, known_ids: list[str], role: str, subtests: pytest.Subtests) -> None:
    schema: Any = schemathesis.openapi.from_url(f"{sandbox.base_url}/openapi.json", timeout=20)
    schema.config.update(base_url=sandbox.base_url)
    # Unknown query parameters and headers are ignored, as HTTP APIs do: not a request the sandbox must refuse.
    schema.config.generation.update(allow_extra_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.label for operation in operations} >= {
        "POST /v1/prescriptions", "GET /v1/prescriptions", "GET /v1/prescriptions/{prescription_id}",
        "POST /v1/prescriptions/{prescription_id}/dispensations"}
    with sandbox.client(PRESCRIBER_ID if role == "prescriber" else PHARMACIST_ID, role) as client:
        token = client.headers["Authorization"].removeprefix("Bearer ")
    with requests.Session() as session:
        for operation in operations:
            with subtests.test(msg=operation.label):
                _fuzz(operation, session, token, known_ids)


# What the fuzzer found, each pinned by a plain test.

def test_a_search_up_to_the_last_representable_day_has_no_upper_bound(sandbox: Sandbox) -> None:
    """The day after 9999-12-31 overflowed: the sandbox answered 500."""
    with sandbox.client() as prescriber:
        prescription_id = created(prescriber)
        response = prescriber.get("/v1/prescriptions", params={"from": "0001-01-01", "to": "9999-12-31"})
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [prescription_id]


def test_search_days_are_iso_dates_not_unix_times(sandbox: Sandbox) -> None:
    """The schema says ``format: date``; pydantic alone read ``from=0`` as 1970-01-01 and answered 200."""
    with sandbox.client() as prescriber:
        for day in ("0", "0.0", "1700000000", "2026-1-5", "２０２６-01-05"):
            assert error_code(prescriber.get("/v1/prescriptions", params={"from": day})) == (422, "INVALID_REQUEST")
        assert prescriber.get("/v1/prescriptions", params={"from": "2026-01-05"}).status_code == 200
        spec = prescriber.get("/openapi.json").json()
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/v1/prescriptions"]["get"]["parameters"]}
    assert {"type": "string", "format": "date"}.items() <= parameters["from"]["anyOf"][0].items()


def test_control_characters_in_stored_text_are_refused_before_the_database(sandbox: Sandbox) -> None:
    """PostgreSQL refuses NUL in text: the sandbox answered 500. Line breaks stay allowed in a line's free text."""
    with_nul, with_break, multiline = draft(), draft(), draft()
    with_nul["software"]["name"] = "LogiMed\x00"
    with_break["lines"][0]["code"] = "3400930\n"
    multiline["lines"][0]["text"] = "1 comprimé matin\net soir\t(7 jours)"
    with sandbox.client() as prescriber:
        for body in (with_nul, with_break):
            response = prescriber.post("/v1/prescriptions", json=body)
            assert error_code(response) == (422, "INVALID_REQUEST"), body
        prescription_id = created(prescriber, multiline)
        lines = prescriber.get(f"/v1/prescriptions/{prescription_id}").json()["lines"]
    assert lines[0]["text"] == "1 comprimé matin\net soir\t(7 jours)"


def test_the_schema_publishes_that_a_line_carries_a_code_or_a_text(sandbox: Sandbox) -> None:
    """A bare quantity was a schema-valid line the sandbox refused: the generated creates never got past 422."""
    with sandbox.anonymous() as client:
        line = client.get("/openapi.json").json()["components"]["schemas"]["LineCreate"]
    assert sorted(option["required"] for option in line["anyOf"]) == [["code"], ["text"]]
    with sandbox.client() as prescriber:
        body = draft()
        body["lines"] = [{"quantity": 1}]
        assert error_code(prescriber.post("/v1/prescriptions", json=body)) == (422, "INVALID_REQUEST")


def test_an_unreadable_dispensing_body_is_a_documented_400(sandbox: Sandbox) -> None:
    with sandbox.client(role="pharmacist") as pharmacist:
        response = pharmacist.post("/v1/prescriptions/01S2TBPZ2JCNZZYGHZ/dispensations", content=b"\x00",
                                   headers={"Content-Type": "application/json"})
        spec = pharmacist.get("/openapi.json").json()
    assert error_code(response) == (400, "MALFORMED_REQUEST")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "400" in operation["responses"], f"{method.upper()} {path}"
