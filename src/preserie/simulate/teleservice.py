"""How the national teleservice and registry answer in a simulated pilot.

Calls mostly succeed. They fail now and then for every reason of SPEC §6 C3 (teleservice, network,
authentication, a few software errors, unknown ids on consult); during a few outages (an hour or two on
some days) most calls fail with 5xx or no answer at all; the workstation with the old system fails its
create calls far more often. The registry records an accepted e-prescription some seconds to hours later,
rejects a few with a reject code, and never hears of some.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from preserie.simulate.population import TABLE, weighted_table
from preserie.simulate.scenarios import Scenario
from preserie.teleservice.catalogue import REGISTRY_REJECT_CODES

OPERATIONS = ("create", "consult", "search")
OK_STATUS = {"create": 201, "consult": 200, "search": 200}
OK_DURATION = {"create": (150, 750), "consult": (80, 420), "search": (100, 1100)}  # (min, spread) in ms
QUARTERS = 96  # outages are marked by quarter of an hour
# Outages start when the load peaks: 9h to 11h and 14h30 to 16h30.
PEAK_QUARTERS: tuple[int, ...] = (*range(9 * 4, 11 * 4), *range(14 * 4 + 2, 16 * 4 + 2))
P_ERROR = 0.022  # outside outages, share of calls failing for a reason other than the software
P_NOT_FOUND = 0.012  # consult of an id the teleservice does not know (404)
SOFTWARE_BASELINE = 0.004  # share of calls failing with a 400/422 of the software
P_OK_IN_OUTAGE, P_FRAGILE_FAILURE = 0.12, 0.38
Error = tuple[int | None, str | None, int]  # http_status (None: no answer), error_code, typical duration ms
ERRORS: tuple[tuple[Error, int], ...] = (
    ((503, "TS_UNAVAILABLE", 1200), 30), ((500, "TS_INTERNAL_ERROR", 900), 10),
    ((429, "TS_TOO_MANY_REQUESTS", 150), 10), ((None, None, 30000), 22), ((408, "TS_TIMEOUT", 15000), 5),
    ((401, "AUTH_TOKEN_EXPIRED", 300), 18), ((403, "ROLE_NOT_ALLOWED", 250), 5),
)
OUTAGE_ERRORS: tuple[tuple[Error, int], ...] = (
    ((503, "TS_UNAVAILABLE", 1500), 55), ((504, "TS_GATEWAY_TIMEOUT", 30000), 15), ((None, None, 30000), 30),
)
FRAGILE_ERRORS: tuple[tuple[Error, int], ...] = (
    ((None, "TLS_HANDSHAKE_FAILED", 250), 70), ((401, "AUTH_TOKEN_EXPIRED", 300), 30),
)
SOFTWARE_ERRORS: tuple[tuple[Error, int], ...] = (
    ((400, "MALFORMED_REQUEST", 200), 50), ((422, "INVALID_REQUEST", 250), 50),
)
NOT_FOUND: Error = (404, "PRESCRIPTION_NOT_FOUND", 180)
REJECT_CODES = tuple(REGISTRY_REJECT_CODES)  # the sandbox's, so that offline and live registries speak alike
# The answers' error codes are those of the sandbox's catalogue (teleservice/catalogue.py), so that offline and
# live simulations (live.py) speak alike; TLS_HANDSHAKE_FAILED is the workstation's own, for a call never made.
CLIENT_SIDE_CODES = ("TLS_HANDSHAKE_FAILED",)
Answer = tuple[str, int | None, str | None, int]  # outcome, http_status, error_code, duration_ms


def software_error_rates(scenario: Scenario, days: int) -> dict[str, list[float]]:
    """Per operation and day, the share of calls the software itself gets wrong (a 400/422): the baseline, and
    the scenario's rate from the day its broken release arrives."""
    broken_from = int(scenario.software_errors_from * days)
    return {op: [SOFTWARE_BASELINE if day < broken_from else scenario.software_error_rate(op, SOFTWARE_BASELINE)
                 for day in range(days)] for op in OPERATIONS}


@dataclass(frozen=True)
class Outage:
    day: int
    start: int  # second of the day
    end: int


def plan_outages(rng: random.Random, days: int) -> list[Outage]:
    """A few outages of one to two hours at busy times, on distinct days other than the first and the last."""
    candidates = list(range(1, days - 1))
    chosen = sorted(rng.sample(candidates, min(len(candidates), max(2, round(days / 10)))))
    outages = []
    for day in chosen:
        start = PEAK_QUARTERS[rng.randrange(len(PEAK_QUARTERS))] * 900
        outages.append(Outage(day, start, start + (4 + rng.randrange(5)) * 900))
    return outages


class Teleservice:
    """Answers calls; `answer` is on the generator's hot path, so it reads precomputed tables."""

    def __init__(self, scenario: Scenario, days: int, outages: Sequence[Outage], fragile: int,
                 workstations: int) -> None:
        self.down = bytearray(days * QUARTERS)
        for outage in outages:
            for quarter in range(outage.start // 900, outage.end // 900):
                self.down[outage.day * QUARTERS + quarter] = 1
        self.fragile = bytearray(workstations)
        self.fragile[fragile] = 1
        self.software = software_error_rates(scenario, days)
        self.errors = weighted_table(ERRORS)
        self.outage_errors = weighted_table(OUTAGE_ERRORS)
        self.fragile_errors = weighted_table(FRAGILE_ERRORS)
        self.software_errors = weighted_table(SOFTWARE_ERRORS)

    def answer(self, random: Callable[[], float], w: int, operation: str, day: int, second: int) -> Answer:
        u = random()
        if self.down[day * QUARTERS + second // 900]:
            if u >= P_OK_IN_OUTAGE:
                return _failed(random, self.outage_errors[int(random() * TABLE)])
        elif operation == "create" and self.fragile[w] and u < P_FRAGILE_FAILURE:
            return _failed(random, self.fragile_errors[int(random() * TABLE)])
        else:
            software = self.software[operation][day]
            if u < software:
                return _failed(random, self.software_errors[int(random() * TABLE)])
            if u < software + P_ERROR:
                return _failed(random, self.errors[int(random() * TABLE)])
            if operation == "consult" and u < software + P_ERROR + P_NOT_FOUND:
                return _failed(random, NOT_FOUND)
        low, spread = OK_DURATION[operation]
        return "ok", OK_STATUS[operation], None, low + int(random() * spread)


def _failed(random: Callable[[], float], error: Error) -> Answer:
    status, code, typical = error
    duration = typical if status is None and code is None else typical + int(random() * typical)
    return "error", status, code, duration


class Registry:
    """What the national registry does with an e-prescription the teleservice accepted."""

    def __init__(self, scenario: Scenario) -> None:
        self.registered = scenario.registered_share
        self.answered = scenario.registered_share + scenario.rejected_share

    def record(self, random: Callable[[], float]) -> tuple[int, str | None] | None:
        """(delay in seconds, reject code or None) of the registry's row, or None when it has none."""
        u = random()
        if u >= self.answered:
            return None
        code = None if u < self.registered else REJECT_CODES[int(random() * len(REJECT_CODES))]
        v = random()
        if v < 0.8:
            delay = 1 + int(random() * 90)  # seconds
        elif v < 0.95:
            delay = 120 + int(random() * 1800)  # minutes
        else:
            delay = 3600 + int(random() * 5 * 3600)  # hours, sometimes the next day
        return delay, code
