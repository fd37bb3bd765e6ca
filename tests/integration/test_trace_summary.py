"""Phase summaries (issue 11, decision 0006): a phase's records accounted once per practitioner and situation give
the bilan its segments give, for any declaration and policy, with or without a registry extract, at the default
moment and at any moment from the latest record on; an earlier moment, or a summary gone, reads the runs."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_trace_runs import CASES, _append, _batches, _segments

from preserie.adapters import summary_sql, trace_runs, trace_summary
from preserie.adapters.folder_source import FolderPilotSource
from preserie.adapters.trace_segments import SegmentStore
from preserie.data import load_reference
from preserie.domain.inputs import FileIssue, ParsedRun, TraceFile, TraceSummary
from preserie.domain.pilot import PilotDeclaration
from preserie.services.assess import assess_pilot

# The cases whose traces or side files test the accounting, the facts or the moment (every case with traces was
# checked once, 39 of them at the three moments, while this was written).
SUMMARISED = ["nominal", "rejected_records", "rejected_records_strict", "duplicates_conflicts_two_formats",
              "unknown_practitioner_and_out_of_scope", "multi_activity", "mixed_audience", "health_center_pilot",
              "no_registrations_file", "count_out_of_scope_policy", "paper_before_first_digital", "latest_ts_as_of",
              "default_as_of_survey_after_last_trace", "operations_error_classes"]
MOMENTS = {"default": None, "after the latest record": dt.datetime(2025, 3, 3, 23, 59, tzinfo=dt.UTC),
           "before it": dt.datetime(2025, 2, 1, tzinfo=dt.UTC)}


class SummarySource(FolderPilotSource):
    """A folder's declaration (perhaps changed) and side files, with a segment store's phase read through its
    summary, or through its segments (``summarised`` false: the truth)."""

    def __init__(self, folder: Path, store: SegmentStore, *, summarised: bool = True,
                 declared: dict[str, Any] | None = None, with_registrations: bool = True,
                 extract: Path | None = None) -> None:
        super().__init__(folder)
        self.store, self.summarised, self.declared = store, summarised, declared
        self.with_registrations, self.extract = with_registrations, extract

    def declaration(self) -> PilotDeclaration:
        if self.declared is None:
            return super().declaration()
        return PilotDeclaration.model_validate(self.declared)

    def registrations_file(self) -> Path | None:
        if not self.with_registrations:
            return None
        return self.extract or super().registrations_file()

    def trace_files(self) -> tuple[Sequence[TraceFile | ParsedRun | TraceSummary], Sequence[FileIssue]]:
        segments = self.store.files("p", 1)
        if not self.summarised:
            return segments, ()
        folder, reference = self.store.folder("p", 1), load_reference()
        runs = trace_runs.prepare(folder, segments, reference)
        return [trace_summary.prepare(folder, runs, self.registrations_file(), reference)], ()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[TraceSummary]]:
    """The summaries a bilan read (rather than their runs)."""
    seen: list[TraceSummary] = []
    original = trace_summary.SummaryTraceStore.__init__

    def spy(self: trace_summary.SummaryTraceStore, summary: TraceSummary, reference: Any) -> None:
        seen.append(summary)
        original(self, summary, reference)

    monkeypatch.setattr(trace_summary.SummaryTraceStore, "__init__", spy)
    yield seen


def _bilan(case: str, store: SegmentStore, as_of: dt.datetime | None = None, **options: Any) -> dict[str, Any]:
    return assess_pilot(SummarySource(CASES / case, store, **options), as_of=as_of).result


def _store(tmp_path: Path, case: str) -> SegmentStore:
    store = SegmentStore(tmp_path / "store")
    _segments(case, store)
    return store


@pytest.mark.parametrize("case", SUMMARISED)
def test_a_summary_gives_the_bilan_of_its_segments_at_every_moment(tmp_path: Path, case: str,
                                                                    opened: list[TraceSummary]) -> None:
    store = _store(tmp_path, case)
    for moment in MOMENTS.values():
        read = len(opened)
        assert _bilan(case, store, moment) == _bilan(case, store, moment, summarised=False)
        summary = trace_summary.prepare(store.folder("p", 1), trace_runs.prepare(
            store.folder("p", 1), store.files("p", 1), load_reference()),
            SummarySource(CASES / case, store).registrations_file(), load_reference())
        assert (len(opened) > read) == summary.stands_for(moment)  # before the latest record: the runs
    assert opened  # the default moment always reads the summary


@pytest.mark.parametrize("case", ["nominal", "duplicates_conflicts_two_formats", "no_registrations_file",
                                  "unknown_practitioner_and_out_of_scope"])
def test_ids_in_groups_as_lists_give_the_same_bilan(tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch,
                                                     opened: list[TraceSummary]) -> None:
    """Beyond 63 groups, an id's groups are a list, not the bits of an integer."""
    monkeypatch.setattr(summary_sql, "MASK_GROUPS", 0)
    store = _store(tmp_path, case)
    for registrations in (True, False):
        assert _bilan(case, store, with_registrations=registrations) == _bilan(
            case, store, with_registrations=registrations, summarised=False)
    assert len(opened) == 2


SITUATIONS = ["liberal", "health_center"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_summary_gives_the_bilan_of_any_declaration(tmp_path_factory: pytest.TempPathFactory,
                                                         data: st.DataObject) -> None:
    """The summary depends on the records alone: whoever the declaration equips, in whatever situation, whatever
    its policy, the bilan read from it is the segments' one with that declaration, and it is not made again."""
    case = data.draw(st.sampled_from(["unknown_practitioner_and_out_of_scope", "multi_activity", "mixed_audience",
                                      "duplicates_conflicts_two_formats"]))
    store = _store(tmp_path_factory.mktemp("store"), case)
    declared = FolderPilotSource(CASES / case).declaration().model_dump(by_alias=True, mode="json",
                                                                         exclude_none=True)
    for practitioner in declared["practitioners"]:
        practitioner["equipped"] = data.draw(st.booleans())
        practitioner["situation"] = data.draw(st.sampled_from(SITUATIONS))
    declared["policy"] = {**declared.get("policy", {}), "count_out_of_scope": data.draw(st.booleans())}
    try:
        PilotDeclaration.model_validate(declared)
    except ValueError:
        return  # a situation this practitioner cannot have (a health centre's without one): not a declaration
    registrations = data.draw(st.booleans())
    _bilan(case, store, with_registrations=registrations)  # the summary made, with the case's own declaration
    made = sorted((store.folder("p", 1) / trace_runs.RUNS).glob("summary-*"))
    assert _bilan(case, store, declared=declared, with_registrations=registrations) == _bilan(
        case, store, declared=declared, with_registrations=registrations, summarised=False)
    assert sorted((store.folder("p", 1) / trace_runs.RUNS).glob("summary-*")) == made  # read, not made again


def test_a_new_segment_or_extract_makes_a_new_summary_and_the_old_ones_go(tmp_path: Path) -> None:
    store = _store(tmp_path, "nominal")
    folder = store.folder("p", 1) / trace_runs.RUNS
    first = _bilan("nominal", store)
    summaries = set(folder.glob("summary-*.duckdb"))
    assert len(summaries) == 1
    store.append("p", 1, next((CASES / "rejected_records" / "traces").glob("*.jsonl")).read_bytes())
    second = _bilan("nominal", store)
    assert second == _bilan("nominal", store, summarised=False) and second != first
    assert len(set(folder.glob("summary-*.duckdb")) - summaries) == 1  # a new batch: a new summary
    assert _bilan("nominal", store, with_registrations=False) == _bilan("nominal", store, with_registrations=False,
                                                                        summarised=False)
    for _ in range(trace_summary.KEEP + 2):
        store.append("p", 1, next((CASES / "nominal" / "traces").glob("*.jsonl")).read_bytes())
        _bilan("nominal", store)
    assert len(list(folder.glob("summary-*.duckdb"))) == trace_summary.KEEP  # the older ones removed
    assert len(list(folder.glob("summary-*.json"))) == trace_summary.KEEP


def test_a_summary_removed_under_a_bilan_reads_the_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path, "duplicates_conflicts_two_formats")
    source = SummarySource(CASES / "duplicates_conflicts_two_formats", store)
    listed, _ = source.trace_files()
    (summary,) = listed
    assert isinstance(summary, TraceSummary)
    summary.path.unlink()  # by a newer bilan's pruning, after this one found it
    monkeypatch.setattr(source, "trace_files", lambda: (listed, ()))
    assert trace_summary.open_store(summary, load_reference()) is None
    assert assess_pilot(source).result == _bilan("duplicates_conflicts_two_formats", store, summarised=False)


def test_an_unfinished_summary_is_made_again(tmp_path: Path) -> None:
    store = _store(tmp_path, "rejected_records")
    expected = _bilan("rejected_records", store)
    (sidecar,) = (store.folder("p", 1) / trace_runs.RUNS).glob("summary-*.json")
    sidecar.unlink()  # the sidecar is written last: without it the summary was never finished
    assert _bilan("rejected_records", store) == expected
    assert sidecar.is_file()


def test_bilans_at_once_make_one_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = _store(tmp_path, "nominal")
    folder, reference = store.folder("p", 1), load_reference()
    runs = trace_runs.prepare(folder, store.files("p", 1), reference)
    made = []
    build = trace_summary._build

    def counted(*args: Any) -> dict[str, Any]:
        made.append(args)
        return build(*args)

    monkeypatch.setattr(trace_summary, "_build", counted)
    with ThreadPoolExecutor(4) as pool:
        summaries = list(pool.map(lambda _: trace_summary.prepare(folder, runs, None, reference), range(4)))
    assert len(made) == 1 and len(set(summaries)) == 1


# -- summaries made from earlier ones (a batch at a time) ------------------------------------------------------------

HEADER = "prescription_id,practitioner,registered_at,status,reject_code"


def _write_extract(path: Path, rows: list[str]) -> None:
    """The extract written anew, as an upload does (another file put in its place)."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text("\n".join(rows) + "\n", encoding="utf-8")
    os.replace(temporary, path)


@pytest.fixture
def extended(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool | str]]:
    """For each summary made, whether it was made from an earlier one (True; "extract": with another extract) or in
    full (False)."""
    made: list[bool | str] = []
    build, extend, reextract = trace_summary._build, trace_summary._extend, trace_summary._reextract

    def built(*args: Any) -> dict[str, Any]:
        made.append(False)
        return build(*args)

    def extracted(*args: Any) -> dict[str, Any]:
        made.append("extract")
        return reextract(*args)

    def extension(*args: Any) -> dict[str, Any] | None:
        meta = extend(*args)
        if meta is not None:
            made.append(True)
        return meta

    monkeypatch.setattr(trace_summary, "_build", built)
    monkeypatch.setattr(trace_summary, "_extend", extension)
    monkeypatch.setattr(trace_summary, "_reextract", extracted)
    yield made


def test_a_collected_phase_is_summarised_from_the_earlier_summary_batch_after_batch(
        tmp_path: Path, extended: list[bool | str]) -> None:
    store = SegmentStore(tmp_path / "store")
    for batch in _batches("nominal", lambda lines: range(0, lines, 20)):
        _append(store, batch)
        assert _bilan("nominal", store) == _bilan("nominal", store, summarised=False)
    assert extended == [False] + [True] * (len(extended) - 1) and len(extended) == 8  # one in full, then extended


def test_a_new_conflict_makes_the_summary_in_full(tmp_path: Path, extended: list[bool | str]) -> None:
    store = SegmentStore(tmp_path / "store")
    raw = (CASES / "nominal" / "traces" / "2025-01.jsonl").read_bytes().splitlines(keepends=True)
    store.append("p", 1, b"".join(raw[:100]))
    _bilan("nominal", store)
    record = json.loads(raw[50])
    record["network"] = "satellite" if record.get("network") != "satellite" else "fiber"  # same event_id, other content
    store.append("p", 1, b"".join(raw[100:]) + json.dumps(record).encode() + b"\n")
    bilan = _bilan("nominal", store)
    assert bilan == _bilan("nominal", store, summarised=False)
    assert bilan["data_quality"]["conflicts"] == 1 and extended == [False, False]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_summaries_made_batch_after_batch_give_the_bilan_of_the_segments(
        tmp_path_factory: pytest.TempPathFactory, data: st.DataObject) -> None:
    """Any case cut into any batches, some records sent again later (the same, another practitioner's, or as a new
    event), with or without the extract, new extracts uploaded between batches, ids as bits, as lists or growing
    from one to the other, any declaration: after each batch and upload the bilan read from the summary (made from
    the earlier one wherever it can be) is the segments' own."""
    case = data.draw(st.sampled_from(["nominal", "multi_activity", "unknown_practitioner_and_out_of_scope",
                                      "mixed_audience", "rejected_records", "duplicates_conflicts_two_formats",
                                      "health_center_pilot", "operations_error_classes", "no_registrations_file"]))
    cuts = data.draw(st.lists(st.integers(0, 400), max_size=5))
    batches = _batches(case, lambda lines: (c % max(lines, 1) for c in cuts))
    lines = [line for _, content in batches if isinstance(content, bytes) for line in content.splitlines()]
    for n in range(data.draw(st.integers(0, 4))):  # a record sent again in a later batch, perhaps changed
        record = json.loads(data.draw(st.sampled_from(lines))) if lines else None
        if not isinstance(record, dict):
            continue
        if data.draw(st.booleans()):  # another practitioner's (a known one or not)
            record["practitioner"] = data.draw(st.sampled_from(["330000001", *{json.loads(line).get("practitioner")
                                                                               for line in lines[:40]}]))
        if data.draw(st.booleans()):  # a new event (its prescription id, if any, now in two records)
            record["event_id"] = f"again-{n}"
        batches.insert(data.draw(st.integers(1, len(batches))), ("", json.dumps(record).encode() + b"\n"))
    declared = FolderPilotSource(CASES / case).declaration().model_dump(by_alias=True, mode="json",
                                                                         exclude_none=True)
    for practitioner in declared["practitioners"]:
        practitioner["equipped"] = data.draw(st.booleans())
    registrations = data.draw(st.booleans())
    store = SegmentStore(tmp_path_factory.mktemp("store"))
    extract = store.root.parent / "registrations.csv"
    original = CASES / case / "registrations.csv"
    _write_extract(extract, original.read_text(encoding="utf-8").splitlines() if original.is_file() else [HEADER])
    uploads = set(data.draw(st.lists(st.integers(0, len(batches) - 1), max_size=2)))  # a new extract after these
    with pytest.MonkeyPatch.context() as patch:
        sets = data.draw(st.sampled_from(["bits", "lists", "growing"]))  # how ids keep their groups
        if sets != "bits":  # growing: as bits up to 2 groups, then as lists
            patch.setattr(summary_sql, "MASK_GROUPS", 0 if sets == "lists" else 2)
        options = {"declared": declared, "with_registrations": registrations, "extract": extract}
        for n, batch in enumerate(batches):
            _append(store, batch)
            assert _bilan(case, store, **options) == _bilan(case, store, summarised=False, **options)
            if n in uploads:  # the Cnam uploads another extract: rows dropped, verdicts changed, ids added
                rows = extract.read_text(encoding="utf-8").splitlines()
                kept = [row for row in rows[1:] if data.draw(st.booleans())]
                kept = [row.replace("registered", "rejected") if data.draw(st.booleans()) else row for row in kept]
                ids = [json.loads(line).get("prescription_id") for line in lines if b"prescription_id" in line]
                kept += [f"{pid},,,registered," for pid in data.draw(st.lists(st.sampled_from(ids), max_size=3))
                         if pid] if ids else []
                _write_extract(extract, [rows[0], *kept])
                assert _bilan(case, store, **options) == _bilan(case, store, summarised=False, **options)


def test_a_damaged_earlier_summary_makes_the_next_one_in_full(tmp_path: Path, extended: list[bool | str]) -> None:
    store = SegmentStore(tmp_path / "store")
    raw = (CASES / "nominal" / "traces" / "2025-01.jsonl").read_bytes().splitlines(keepends=True)
    store.append("p", 1, b"".join(raw[:100]))
    _bilan("nominal", store)
    (earlier,) = (store.folder("p", 1) / trace_runs.RUNS).glob("summary-*.duckdb")
    earlier.write_bytes(b"not a database")
    store.append("p", 1, b"".join(raw[100:]))
    assert _bilan("nominal", store) == _bilan("nominal", store, summarised=False)
    assert extended == [False, False]


def test_another_extract_makes_only_c2_again(tmp_path: Path, extended: list[bool | str]) -> None:
    store = _store(tmp_path, "nominal")
    extract = tmp_path / "registrations.csv"
    rows = (CASES / "nominal" / "registrations.csv").read_text(encoding="utf-8").splitlines()
    _write_extract(extract, rows)
    first = _bilan("nominal", store, extract=extract)
    _write_extract(extract, rows[:30])  # an upload: half the ids gone
    second = _bilan("nominal", store, extract=extract)
    assert second == _bilan("nominal", store, extract=extract, summarised=False) and second != first
    assert extended == [False, "extract"]
