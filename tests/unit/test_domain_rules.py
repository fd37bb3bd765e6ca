"""Pure rules of the assessment: exact thresholds, windows of time, latest answers, policy overrides."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from preserie.data import load_default_policy, load_reference
from preserie.domain import criteria
from preserie.domain.as_of import parse_as_of
from preserie.domain.facts import OperationCounts, RegistrationFacts, TraceFacts, UsageCounts
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.pilot import Practitioner
from preserie.domain.policy import PolicyError
from preserie.domain.stats import wilson_interval

POLICY = load_default_policy()
REFERENCE = load_reference()
START = dt.datetime(2025, 1, 14, 9, tzinfo=dt.UTC)


def user(pid: str) -> Practitioner:
    return Practitioner(id=pid, situation="liberal", cpam="33", equipped=True)


def facts(**changes: Any) -> TraceFacts:
    base: dict[str, Any] = dict(
        usage={}, registration=RegistrationFacts(created=0, registered=0, source="registrations", rejected=0,
                                                 unknown=0, orphans=0),
        operations={}, observed={}, users_with_snapshot=frozenset(), configurations=(), create_calls=0,
        create_failures=0)
    base.update(changes)
    return TraceFacts(**base)


@pytest.mark.parametrize(("digital", "total", "met"), [(50, 100, True), (49, 100, False), (1, 2, True),
                                                        (333, 667, False), (334, 667, True)])
def test_usage_rate_threshold_is_compared_exactly(digital: int, total: int, met: bool) -> None:
    result = criteria.usage_rate([user("a")], facts(usage={"a": UsageCounts(START, digital, total)}), POLICY)
    assert result.practitioners[0].met is met
    assert result.met is met


def test_usage_rate_is_not_met_without_any_user() -> None:
    assert criteria.usage_rate([], facts(), POLICY).met is False


def test_usage_rate_flags_low_volume_below_twenty_prescriptions() -> None:
    rows = criteria.usage_rate([user("a"), user("b")], facts(usage={
        "a": UsageCounts(START, 19, 19), "b": UsageCounts(START, 20, 20)}), POLICY).practitioners
    assert [r.low_volume for r in rows] == [True, False]


def test_registration_rate_needs_at_least_one_created_prescription() -> None:
    result = criteria.registration_rate(facts(), POLICY)
    assert result.met is False and result.rate is None


@pytest.mark.parametrize(("software", "calls", "met"), [(5, 100, True), (6, 100, False), (1, 20, True)])
def test_software_error_rate_at_most_five_percent(software: int, calls: int, met: bool) -> None:
    counts = OperationCounts(calls=calls, ok=calls - software, errors={"software": software})
    ops = {op: counts for op in ("create", "consult", "search")}
    result = criteria.operations(facts(operations=ops), [], START, REFERENCE, POLICY)
    assert result.operations["search"].met is met


def test_an_anomaly_closed_on_the_evaluation_day_is_no_longer_open() -> None:
    anomaly = Anomaly(id="A", opened_on=dt.date(2025, 3, 1), closed_on=dt.date(2025, 3, 3), operation=None,
                      severity="blocking", origin="software")
    assert anomaly.is_open_on(dt.date(2025, 3, 2))
    assert not anomaly.is_open_on(dt.date(2025, 3, 3))
    assert not anomaly.is_open_on(dt.date(2025, 2, 28))


def test_anomalies_are_judged_on_the_day_of_as_of_in_paris() -> None:
    anomaly = Anomaly(id="A", opened_on=dt.date(2025, 3, 3), operation="create", severity="blocking",
                      origin="software")
    late_evening_utc = dt.datetime(2025, 3, 2, 23, 30, tzinfo=dt.UTC)  # already 3 March in Paris
    ops = {op: OperationCounts(calls=1, ok=1, errors={}) for op in ("create", "consult", "search")}
    result = criteria.operations(facts(operations=ops), [anomaly], late_evening_utc, REFERENCE, POLICY)
    assert result.operations["create"].met is False
    assert result.operations["consult"].met is True


def answer(pid: str, day: int, overall: int, blocking: bool = False) -> SurveyAnswer:
    return SurveyAnswer.model_validate({
        "practitioner": pid, "submitted_on": f"2025-02-{day:02d}", "ease": "4", "speed": "4", "integration": "4",
        "training": "4", "support": "4", "overall": str(overall), "blocking_issue": "true" if blocking else "false"})


def test_satisfaction_keeps_the_latest_answer_and_the_later_row_on_a_tie() -> None:
    answers = [answer("a", 10, 1, blocking=True), answer("a", 20, 4), answer("b", 20, 2), answer("b", 20, 5)]
    result = criteria.satisfaction([user("a"), user("b")], answers, POLICY)
    assert result.mean_overall == 4.5 and result.blocking_issues == () and result.met is True


def test_survey_boolean_must_be_exactly_true_or_false() -> None:
    with pytest.raises(ValueError, match="true ou false"):
        SurveyAnswer.model_validate({"practitioner": "a", "submitted_on": "2025-02-01", "ease": 1, "speed": 1,
                                     "integration": 1, "training": 1, "support": 1, "overall": 1,
                                     "blocking_issue": "oui"})


def test_policy_overrides_refuse_unknown_keys_and_wrong_kinds() -> None:
    assert POLICY.with_overrides({"usage_rate_min": 0.6}).usage_rate_min == 0.6
    for bad in ({"usage_rate_mni": 0.6}, {"usage_rate_min": "0.6"}, {"usage_rate_min": 1.5},
                {"count_out_of_scope": 1}, {"low_volume_below": 2.5}):
        with pytest.raises(PolicyError):
            POLICY.with_overrides(bad)


def test_every_default_threshold_has_a_source() -> None:
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("preserie.data").joinpath("policy.yaml").read_text())
    assert set(data["thresholds"]) == set(POLICY.threshold_names())
    assert all(entry["source"] for entry in data["thresholds"].values())


def test_as_of_bare_date_is_the_end_of_that_day_in_paris_summer_time() -> None:
    assert parse_as_of("2025-07-14").isoformat() == "2025-07-14T23:59:59.999999+02:00"
    with pytest.raises(ValueError):
        parse_as_of("2025-07-14T10:00")


def test_error_classes_follow_the_spec() -> None:
    expected = {400: "software", 422: "software", 401: "authentication", 403: "authentication", 404: "not_found",
                408: "network", None: "network", 429: "teleservice", 500: "teleservice", 503: "teleservice"}
    assert {status: REFERENCE.classify_error(status) for status in expected} == expected


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_contains_the_rate_and_stays_in_0_1(successes: int, trials: int) -> None:
    successes = min(successes, trials)
    low, high = wilson_interval(successes, trials) or (None, None)
    assert low is not None and high is not None
    assert 0 <= low <= successes / trials <= high <= 1


def test_an_impossible_as_of_is_refused_in_french() -> None:
    with pytest.raises(ValueError, match="date invalide"):
        parse_as_of("2025-13-01")
