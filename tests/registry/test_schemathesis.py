"""Schemathesis against the registry's published /openapi.json (the ASGI app, in process): no generated call, valid
or not, gets a 5xx, and every answer keeps to the schema (documented status, body shape).

The calls go to a world of their own (generated writes change it), on SQLite and on PostgreSQL. Each case is sent
with the token of one of the six roles; most schema-valid cases carry a pilot key the registry knows (the role's
own, another's, or none), a doctor or anomaly it knows and an export table that exists, so that the routes go
beyond 401 and 404.

As in tests/teleservice/test_teleservice_schema.py: Schemathesis 4.32's pytest loader does not run under pytest
9.2, so each operation runs as a subtest of a plain Hypothesis test over Schemathesis' strategies and checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from registry_world import API, BACKENDS, NONEXISTENT, World, world_on
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

MAX_EXAMPLES = 10  # per operation and generation mode (valid / invalid data); the roles are drawn among the cases
EXPENSIVE = {"report.pdf", "report.html", "export.xlsx", "exports/{table}.csv", "assessment", "decisions", "alerts"}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx: Any, value: Any) -> bytes:
    """The collector's batches: a generated binary body as it is, anything else as one JSON line."""
    import json

    return value if isinstance(value, bytes) else json.dumps(value, default=str).encode() + b"\n"


@pytest.fixture(scope="module", params=BACKENDS)
def fuzzed_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                 simulated: dict[str, Path]) -> Iterator[World]:
    with world_on(request.param, tmp_path_factory.mktemp(f"fuzzed-{request.param}"), simulated) as built:
        yield built


def _known(world: World) -> dict[str, list[str]]:
    pilots = list(world.pilots.values())
    return {"pilot": [p.key for p in pilots] + [NONEXISTENT],
            "ref": [*[ref for p in pilots for ref in p.practitioners][:6], "ANO-001", "ANO-002"],
            "table": ["sommaire", "criteres", "nope"]}


def _with(case: Case, token: str, known: dict[str, str]) -> Case:
    """The case with a role's token, and path parameters the registry knows (still schema-valid)."""
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if case.path_parameters:
        case.path_parameters = {name: known.get(name, value) for name, value in case.path_parameters.items()}
    return case


def _realistic(world: World, case: Case) -> SearchStrategy[Case]:
    known = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in _known(world).items()})
    return st.one_of(st.builds(_with, st.just(case), st.sampled_from(sorted(world.tokens.values())), known),
                     st.builds(_with, st.just(case), st.sampled_from(sorted(world.tokens.values())), st.just({})))


def _fuzz(world: World, operation: APIOperation) -> None:
    valid = operation.as_strategy(GenerationMode.POSITIVE).flatmap(lambda case: _realistic(world, case))
    invalid = operation.as_strategy(GenerationMode.NEGATIVE).flatmap(lambda case: _realistic(world, case))
    examples = MAX_EXAMPLES // 2 if any(operation.path.endswith(e) for e in EXPENSIVE) else MAX_EXAMPLES

    @settings(max_examples=2 * examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=st.one_of(valid, invalid))
    def calls_keep_to_the_schema(case: Case) -> None:
        case.call_and_validate(checks=CHECKS)

    calls_keep_to_the_schema()


def test_no_generated_call_gets_a_server_error_or_leaves_the_schema(fuzzed_world: World,
                                                                    subtests: pytest.Subtests) -> None:
    schema: Any = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_world.client.app)
    # Unknown query parameters and headers are ignored, as HTTP APIs do: not a request the registry must refuse.
    schema.config.generation.update(allow_extra_parameters=False)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40 and f"GET {API}/pilots/{{pilot}}/assessment" in {o.label for o in operations}
    for operation in operations:
        with subtests.test(msg=operation.label):
            _fuzz(fuzzed_world, operation)


# What the fuzzer found, each pinned by a plain test.

def test_every_operation_documents_its_errors_with_the_error_body(tmp_path: Path) -> None:
    """The 401, 403, 404, 409… the registry answers were undocumented, and its 422 was published as FastAPI's
    HTTPValidationError although the body is the catalogue's Error."""
    from preserie.api.app import create_app
    from preserie.config import ServiceSettings

    spec = create_app(ServiceSettings(data=tmp_path), registry=None).openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "403", "404", "409", "422", "503"):
                body = operation["responses"][status]["content"]["application/json"]["schema"]
                assert body == {"$ref": "#/components/schemas/Error"}, f"{method.upper()} {path} {status}"
    assert "410" in spec["paths"][f"{API}/pilots/{{pilot}}/trace-files"]["post"]["responses"]
