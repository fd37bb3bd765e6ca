"""`Assessment.from_dict` is `as_dict`'s inverse: a terminal renders an assessment fetched from the registry service
exactly as it renders one it computed."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preserie.domain.accounting import STEP_NAMES
from preserie.domain.results import Assessment
from preserie.services.assess import assess_folder
from preserie.simulate import write_pilot

CASES = Path(__file__).parents[1] / "cases"
GOLDEN = sorted(CASES.glob("*/expected.json"))
# Derived from other fields by as_dict(), so a change of theirs alone cannot survive the round trip.
DERIVED = {("data_quality", "events_read"), ("data_quality", "rejections_by_reason")}


def dumped(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def test_there_are_golden_assessments_to_read() -> None:
    assert len(GOLDEN) >= 30


@pytest.mark.parametrize("path", GOLDEN, ids=[p.parent.name for p in GOLDEN])
def test_a_golden_assessment_comes_back_byte_for_byte(path: Path) -> None:
    data = json.loads(path.read_text())
    rebuilt = Assessment.from_dict(data)
    assert dumped(rebuilt.as_dict()) == dumped(data)
    assert rebuilt.decision == data["decision"]
    assert rebuilt.data_quality.events_read == data["data_quality"]["events_read"]


def test_a_freshly_assessed_simulated_pilot_comes_back_byte_for_byte(tmp_path: Path) -> None:
    write_pilot(tmp_path / "pilot", seed=11, records=20_000, weeks=6, scenario="broken-search")
    run = assess_folder(tmp_path / "pilot")
    through_json = json.loads(dumped(run.result))
    rebuilt = Assessment.from_dict(through_json)
    assert dumped(rebuilt.as_dict()) == dumped(run.result)
    criteria = run.assessment.criteria  # the doctors' answers are the report's, not the JSON's
    assert run.assessment.criteria.satisfaction.answers and not rebuilt.criteria.satisfaction.answers
    assert rebuilt.criteria == replace(criteria, satisfaction=replace(criteria.satisfaction, answers=()))
    assert rebuilt.data_quality == run.assessment.data_quality
    assert rebuilt.dossier == run.assessment.dossier and rebuilt.reasons == run.assessment.reasons


def test_another_schema_is_refused() -> None:
    data = json.loads(GOLDEN[0].read_text())
    with pytest.raises(ValueError, match=r"preserie\.assessment/1 attendu"):
        Assessment.from_dict({**data, "schema": "preserie.assessment/2"})


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(data, list):
        return [leaf for i, value in enumerate(data) for leaf in _leaves(value, (*path, i))]
    return [path]


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _replaced(value: Any, salt: int) -> Any:
    """Another value of the same JSON type."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + salt
    if isinstance(value, float):
        return value + salt / 7
    return f"{value}~{salt}"


SAMPLES = [json.loads(p.read_text()) for p in GOLDEN]
MUTABLE = [[leaf for leaf in _leaves(s) if leaf[:2] not in DERIVED and leaf[0] != "schema"
            and leaf[-1] != "unreadable" and _at(s, leaf) is not None]  # None and `unreadable: false` never
           for s in SAMPLES]                                             # stand where a value does


def _rederived(data: dict[str, Any]) -> None:
    """The derived counts of data_quality, as as_dict() computes them, after a change to what they count."""
    quality = data["data_quality"]
    quality["events_read"] = sum(quality[step] for step in STEP_NAMES)
    reasons = [r["reason"] for r in quality["rejections"]]
    quality["rejections_by_reason"] = {reason: reasons.count(reason) for reason in sorted(set(reasons))}


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_any_value_of_the_json_is_carried_through(data: st.DataObject) -> None:
    """A change to any single value (a count, a rate, a label, a met flag…) comes back as it went in: nothing
    is recomputed or hard-wired on the way."""
    case = data.draw(st.integers(0, len(SAMPLES) - 1))
    leaf = data.draw(st.sampled_from(MUTABLE[case]))
    mutated = copy.deepcopy(SAMPLES[case])
    parent = _at(mutated, leaf[:-1])
    parent[leaf[-1]] = _replaced(parent[leaf[-1]], data.draw(st.integers(1, 1000)))
    _rederived(mutated)
    assert dumped(Assessment.from_dict(mutated).as_dict()) == dumped(mutated)
