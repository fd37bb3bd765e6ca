"""Hypothesis properties of the accounting (SPEC §5) and of the rates, on the real trace store."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preserie.domain.as_of import parse_as_of
from preserie.services.assess import assess_folder

NOMINAL = Path(__file__).parents[1] / "cases" / "nominal"
USERS = ["331012344", "331012351"]
FIELDS = ["event_id", "ts", "practitioner", "situation", "workstation", "software_version", "type", "category",
          "digital", "prescription_id", "operation", "outcome", "http_status", "error_code", "duration_ms", "os",
          "os_version", "card_reader", "card_kind", "network"]
AS_OF = parse_as_of("2025-02-20")
COUNTS = ("rejected", "duplicates", "conflicts", "unknown_practitioners", "other_situation", "after_as_of",
          "out_of_scope_digital", "used")

timestamps = st.builds(lambda d, h: f"2025-02-{d:02d}T{h:02d}:15:00+01:00", st.integers(1, 28), st.integers(8, 19))
prescriptions = st.fixed_dictionaries({
    "type": st.just("prescription"),
    "category": st.sampled_from(["medicines", "biology", "nursing", "imaging", "transport", "dentistry"]),
    "digital": st.sampled_from([True, False, False, "yes"]),
    "prescription_id": st.sampled_from(["RX1", "RX2", "RX3", None]),
})
calls = st.fixed_dictionaries({
    "type": st.just("call"),
    "operation": st.sampled_from(["create", "consult", "search", "delete"]),
    "outcome": st.sampled_from(["ok", "error"]),
    "http_status": st.sampled_from([200, 201, 400, 401, 404, 408, 422, 429, 503, None, "500"]),
    "prescription_id": st.sampled_from(["RX1", "RX2", None]),
})
snapshots = st.fixed_dictionaries({
    "type": st.just("workstation"), "os": st.sampled_from(["Windows", "macOS"]),
    "os_version": st.sampled_from(["10", "11"]), "card_kind": st.sampled_from(["cps", "e-cps"]),
})
records = st.builds(
    lambda eid, ts, who, sit, body: {"event_id": eid, "ts": ts, "practitioner": who, "situation": sit,
                                     "workstation": f"{who}-P1", "software_version": "5.2.0", **body},
    st.sampled_from([f"e{i}" for i in range(25)]),
    st.one_of(timestamps, st.just("2025-02-03 10:00"), st.just("2025-03-30T10:00:00+02:00")),
    st.sampled_from([*USERS, "441000015", "999"]),
    st.sampled_from(["liberal", "liberal", "liberal", "health_center"]),
    st.one_of(prescriptions, calls, snapshots),
)
files = st.lists(st.lists(records, max_size=12), min_size=1, max_size=4)


def write_folder(folder: Path, file_contents: list[list[dict[str, Any]]], formats: list[str]) -> None:
    shutil.copy(NOMINAL / "pilot.yaml", folder / "pilot.yaml")
    (folder / "traces").mkdir()
    for index, (content, kind) in enumerate(zip(file_contents, formats, strict=False)):
        path = folder / "traces" / f"part-{index:02d}.{kind}"
        if kind == "jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in content))
        else:
            out = io.StringIO()
            writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
            writer.writeheader()
            for r in content:
                writer.writerow({k: ("true" if v is True else "false" if v is False else "" if v is None else v)
                                 for k, v in r.items()})
            path.write_text(out.getvalue())


def assess(file_contents: list[list[dict[str, Any]]], formats: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(Path(tmp), file_contents, formats)
        return assess_folder(Path(tmp), as_of=AS_OF).result


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(files, st.lists(st.sampled_from(["jsonl", "csv"]), min_size=4, max_size=4))
def test_every_record_lands_in_exactly_one_count(contents: list[list[dict]], formats: list[str]) -> None:
    quality = assess(contents, formats)["data_quality"]
    written = sum(len(c) for c in contents)
    assert quality["events_read"] == written
    assert sum(quality[k] for k in COUNTS) == written
    assert len(quality["rejections"]) == quality["rejected"]


@SETTINGS
@given(files, st.sampled_from(["jsonl", "csv"]))
def test_a_resent_copy_of_every_file_changes_only_the_duplicates(contents: list[list[dict]], kind: str) -> None:
    once = assess(contents, [kind] * len(contents))
    twice = assess(contents + contents, [kind] * (2 * len(contents)))
    q1, q2 = once["data_quality"], twice["data_quality"]
    valid = sum(q1[k] for k in COUNTS if k != "rejected")
    assert q2["duplicates"] == q1["duplicates"] + valid
    assert q2["rejected"] == 2 * q1["rejected"]
    for key in COUNTS[2:]:
        assert q2[key] == q1[key]
    assert twice["criteria"] == once["criteria"]
    assert twice["decision"] == once["decision"]


@SETTINGS
@given(st.lists(records, max_size=30, unique_by=lambda r: r["event_id"]), st.randoms(use_true_random=False),
       st.integers(1, 4), st.sampled_from(["jsonl", "csv"]))
def test_how_records_are_split_into_files_changes_nothing_without_conflicts(
        recs: list[dict], rnd: Any, parts: int, kind: str) -> None:
    # One format throughout: a format may read a value differently (the JSON string "500" is not an
    # integer, while every CSV cell is text), which is the contract, not a matter of splitting.
    shuffled = list(recs)
    rnd.shuffle(shuffled)
    split = [shuffled[i::parts] for i in range(parts)]
    one = assess([recs], [kind])
    many = assess(split, [kind] * parts)
    assert many["criteria"] == one["criteria"]
    assert {k: many["data_quality"][k] for k in COUNTS} == {k: one["data_quality"][k] for k in COUNTS}


@SETTINGS
@given(files)
def test_rates_stay_between_0_and_1(contents: list[list[dict]]) -> None:
    result = assess(contents, ["jsonl"] * len(contents))
    criteria = result["criteria"]
    for row in criteria["usage_rate"]["practitioners"]:
        if row["rate"] is not None:
            assert 0 <= row["rate_ci95"][0] <= row["rate"] <= row["rate_ci95"][1] <= 1
            assert row["digital"] <= row["total"]
    rate = criteria["registration_rate"]["rate"]
    assert rate is None or 0 <= rate <= 1
    for op in criteria["operations"]["operations"].values():
        assert 0 <= op["software_error_rate"] <= 1
        assert op["ok"] + sum(op[c] for c in ("software", "authentication", "not_found", "teleservice",
                                              "network")) == op["calls"]
