"""The live workstations' side of a call: what a trace records from each kind of answer (httpx mock transport)."""

from __future__ import annotations

import json
import random

import httpx

from preserie.simulate.cast import make_cast
from preserie.simulate.live import LiveOptions, LiveTeleservice, patient_nir
from preserie.simulate.population import make_fleet
from preserie.simulate.scenarios import get_scenario
from preserie.teleservice.tokens import verify_token

SECRET = "unit-secret-of-the-live-simulator"


def _live(handler: httpx.MockTransport, scenario: str = "nominal") -> LiveTeleservice:
    import datetime as dt

    cast = make_cast(random.Random(1), 3, dt.date(2025, 1, 13), "liberal")
    fleet = make_fleet(random.Random(2), cast)
    return LiveTeleservice(LiveOptions("http://sandbox.test", SECRET, timeout=0.5, pace=0), fleet,
                           get_scenario(scenario), 30, transport=handler)


def _never(_u: float = 0.99) -> float:
    return 0.99  # no software error, no expired card


def test_a_created_prescription_gets_the_services_id_and_the_workstations_card() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "01S2TBPZ2JCNZZYGHZ"})

    live = _live(httpx.MockTransport(answer))
    (outcome, status, code, duration), issued = live.create(_never, 1, 0, "nursing", key="eid-1")
    assert (outcome, status, code, issued) == ("ok", 201, None, "01S2TBPZ2JCNZZYGHZ") and duration >= 0
    request = seen[0]
    caller = verify_token(SECRET, request.headers["Authorization"].removeprefix("Bearer "))
    assert caller.id == live.fleet.workstations[1].practitioner and caller.role == "prescriber"
    body = json.loads(request.content)
    assert request.headers["Idempotency-Key"] == "eid-1" and body["category"] == "nursing" and body["lines"]


def test_an_error_answer_keeps_its_status_and_catalogue_code() -> None:
    live = _live(httpx.MockTransport(lambda r: httpx.Response(503, json={"code": "TS_UNAVAILABLE", "message": "x"})))
    answer, issued = live.create(_never, 0, 0, "medicines", key="k")
    assert answer[:3] == ("error", 503, "TS_UNAVAILABLE") and issued is None
    html = _live(httpx.MockTransport(lambda r: httpx.Response(502, text="<html>bad gateway</html>")))
    assert html.consult(_never, 0, "01S2TBPZ2JCNZZYGHZ")[:3] == ("error", 502, None)


def test_no_answer_is_an_error_with_a_null_status() -> None:
    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    assert _live(httpx.MockTransport(timeout)).search(_never, 0, 0, "2025-01-13") == ("error", None, None, 500)
    assert _live(httpx.MockTransport(refused)).search(_never, 0, 0, "2025-01-13")[:3] == ("error", None, None)


def test_the_broken_release_sends_what_the_service_refuses() -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(422, json={"code": "INVALID_DATE_RANGE", "message": "x"})

    live = _live(httpx.MockTransport(record), "broken-search")
    late = 29  # broken from 30 % of the pilot on: day 29 of 30 is broken
    draw = 0.01  # above the baseline share of software errors (0.4 %), under the broken release's (24 %)
    assert live.search(lambda: draw, 0, late, "2025-02-20")[:3] == ("error", 422, "INVALID_DATE_RANGE")
    assert sent[0].url.params["from"] > sent[0].url.params["to"]
    live.search(lambda: draw, 0, 0, "2025-01-13")  # day 0: not yet broken, the period is right
    assert sent[1].url.params["from"] == sent[1].url.params["to"]


def test_patients_nir_have_their_key() -> None:
    rng = random.Random(3)
    for _ in range(200):
        nir = patient_nir(rng.random)
        assert len(nir) == 15 and 97 - int(nir[:13]) % 97 == int(nir[13:])
