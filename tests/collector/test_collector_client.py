"""The workstation's side of the collector (adapters/collector_client.py, collector_spool.py) against a fake
collector: a real HTTP server on 127.0.0.1 that keeps the contract and fails on a script."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from fake_collector import VENDOR_TOKEN, FakeState, serving

from preserie.adapters.collector_client import CollectorClient, CollectorRefused, enrol_workstation
from preserie.adapters.collector_spool import Spool


def records(first: int, count: int, practitioner: str = "10001234567") -> list[str]:
    return [json.dumps({"event_id": f"e-{n}", "ts": "2025-01-13T09:00:00+01:00", "practitioner": practitioner,
                        "type": "call"}) + "\n" for n in range(first, first + count)]


def client(url: str, spool: Path, *, patience: float = 10.0, pilot: str = "PILOT1") -> CollectorClient:
    with httpx.Client() as http:
        token = enrol_workstation(http, url, pilot, "10001234567", VENDOR_TOKEN).token
    return CollectorClient(url, pilot, token, Spool(spool), patience=patience)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_every_record_is_acknowledged_exactly_once_through_503_429_413_and_a_lost_answer(tmp_path: Path) -> None:
    state = FakeState(max_records=400, script=["503", "429:0", "lost", "503:0"])
    with serving(state) as url:
        sender = client(url, tmp_path / "spool")
        for k in range(5):
            sender.add(records(k * 300, 300))
        sender.spool.add(records(1500, 1000))  # over the fake's limit: split twice (1,000 → 500 → 250)
        left = sender.flush()
    assert left == 0 and not sender.spool.batches()
    assert set(state.stored) == {f"e-{n}" for n in range(2500)}
    assert set(state.times_stored.values()) == {1}
    tally = sender.tally
    assert (tally.replayed, tally.split, tally.accepted, tally.duplicated, tally.rejected) == (1, 3, 2500, 0, 0)
    assert tally.acknowledged == 5 - 1 + 4  # the lost one came back replayed; the big one as four quarters
    assert 413 in state.answers and 200 in state.answers


def test_an_unreachable_collector_keeps_the_batches_until_it_comes_back(tmp_path: Path) -> None:
    port = free_port()
    sender = client_on_port(tmp_path, port)
    began = time.monotonic()
    sender.add(records(0, 10))
    sender.add(records(10, 10))  # the client waits its give-up out: spooled, not sent
    assert time.monotonic() - began < 3 and len(sender.spool.batches()) == 2 and sender.tally.spooled == 1
    keys = [b.key for b in sender.spool.batches()]
    state = FakeState()
    state.tokens = {"prw_known": "10001234567"}
    with serving(state, port):  # the collector comes back: everything spooled leaves, oldest first
        assert sender.flush(force=True) == 0
    assert set(state.stored) == {f"e-{n}" for n in range(20)} and state.keys_seen == keys


def client_on_port(tmp_path: Path, port: int) -> CollectorClient:
    return CollectorClient(f"http://127.0.0.1:{port}", "PILOT1", "prw_known", Spool(tmp_path / "spool"),
                           patience=1.0)


def test_connection_refused_for_a_while_is_retried_with_backoff(tmp_path: Path) -> None:
    port = free_port()
    state = FakeState()
    state.tokens = {"prw_known": "10001234567"}
    sender = CollectorClient(f"http://127.0.0.1:{port}", "PILOT1", "prw_known", Spool(tmp_path / "spool"),
                             patience=15.0)
    sender.spool.add(records(0, 50))
    up = threading.Event()

    def start_later() -> None:
        time.sleep(0.8)
        with serving(state, port):
            up.set()
            while state.answers.count(201) < 1:
                time.sleep(0.02)

    thread = threading.Thread(target=start_later)
    thread.start()
    assert sender.flush() == 0
    thread.join(5)
    assert up.is_set() and sender.tally.failed_attempts >= 2 and len(state.stored) == 50


def test_retry_after_is_honoured_within_the_patience_budget(tmp_path: Path) -> None:
    state = FakeState(script=["429:1", "503:1"])
    with serving(state) as url:
        sender = client(url, tmp_path / "spool", patience=5)
        sender.add(records(0, 10))
    first, second, third = state.request_times[1:4]  # [0] is the enrolment
    assert 1.0 <= second - first < 1.8 and 1.0 <= third - second < 1.8
    assert sender.tally.acknowledged == 1 and sender.tally.failed_attempts == 2


def test_a_retry_after_beyond_the_patience_leaves_the_batch_spooled_under_its_key(tmp_path: Path) -> None:
    state = FakeState(script=["429:60"])
    with serving(state) as url:
        sender = client(url, tmp_path / "spool", patience=2)
        began = time.monotonic()
        sender.add(records(0, 10))
        assert time.monotonic() - began < 1  # it did not sleep a minute
        (kept,) = sender.spool.batches()
        sender.add(records(10, 10))  # within the minute asked: spooled, not sent
        assert state.keys_seen == [kept.key] and len(sender.spool.batches()) == 2
        assert sender.flush(force=True) == 0
    assert state.keys_seen == [kept.key, kept.key, state.keys_seen[-1]] and len(state.stored) == 20
    assert sender.tally.spooled == 1


def test_410_stops_the_client_for_good_and_the_spool_keeps_nothing_more(tmp_path: Path) -> None:
    state = FakeState(script=["410"])
    with serving(state) as url:
        sender = client(url, tmp_path / "spool")
        sender.spool.add(records(0, 10))
        sender.spool.add(records(10, 10))
        assert sender.flush() == 0
        sender.add(records(20, 10))
        again = client(url, tmp_path / "spool")  # a restarted workstation: still switched off
        again.add(records(30, 10))
        assert again.flush(force=True) == 0
    assert len(state.keys_seen) == 1 and not state.stored
    assert sender.closed and again.closed and not list((tmp_path / "spool").glob("*.ndjson.gz"))
    assert sender.tally.dropped == 3 and again.tally.dropped == 1
    assert sender.tally.problems == ["traces désactivées par le collecteur : scripté"]


def test_a_key_reused_with_another_body_is_set_aside_and_reported(tmp_path: Path) -> None:
    state = FakeState()
    with serving(state) as url:
        sender = client(url, tmp_path / "spool")
        batch = sender.spool.add(records(0, 5))
        assert batch is not None
        sender.flush()
        forged = batch.path.with_name(f"000000000099.{batch.key}.ndjson.gz")  # a bug: the same key, other lines
        import gzip

        forged.write_bytes(gzip.compress(b"".join(r.encode() for r in records(5, 5))))
        assert sender.flush() == 0
    assert sender.tally.aside == 1 and (tmp_path / "spool" / "aside" / forged.name).exists()
    assert "IDEMPOTENCY_KEY_REUSED" in sender.tally.problems[0] and "mis de côté" in sender.tally.problems[0]


def test_an_unknown_token_or_pilot_is_refused_in_french(tmp_path: Path) -> None:
    with serving(FakeState()) as url:
        stranger = CollectorClient(url, "PILOT1", "prw_unknown", Spool(tmp_path / "a"))
        with pytest.raises(CollectorRefused, match="jeton du poste refusé"):
            stranger.add(records(0, 1))
        with httpx.Client() as http, pytest.raises(CollectorRefused, match="présérie inconnue"):
            enrol_workstation(http, url, "NOPE", "10001234567", VENDOR_TOKEN)
    assert len(stranger.spool.batches()) == 1  # kept: a new token may send it later


CHILD = """
import sys
from pathlib import Path
from preserie.adapters.collector_client import CollectorClient
from preserie.adapters.collector_spool import Spool

spool = Spool(Path(sys.argv[1]))
for k in range(5):
    lines = [f'{{"event_id":"e-{k * 100 + n}","ts":"2025-01-13T09:00:00+01:00","type":"call"}}\\n' for n in range(100)]
    spool.add(lines)
print("spooled", flush=True)
CollectorClient(sys.argv[2], "PILOT1", "prw_known", spool, patience=60).flush()
"""


def test_a_client_killed_mid_flush_resends_what_is_left_with_the_same_keys(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    state = FakeState(script=["ok", "ok", "stall"])
    state.tokens = {"prw_known": "10001234567"}
    with serving(state) as url:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "spool"), url],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert state.stalled.wait(30), "the child never reached its third batch"
            before = [b.key for b in Spool(tmp_path / "spool").batches()]
            child.send_signal(signal.SIGKILL)  # the third batch is stored, its answer never read
            child.wait(10)
        finally:
            child.kill()
            state.release.set()
        assert len(before) == 3 and state.keys_seen == [*state.keys_seen[:2], before[0]]
        restarted = CollectorClient(url, "PILOT1", "prw_known", Spool(tmp_path / "spool"), patience=5)
        assert restarted.flush() == 0
    assert state.keys_seen[3:] == before  # the same keys, oldest first
    assert (restarted.tally.replayed, restarted.tally.acknowledged) == (1, 2)
    assert set(state.stored) == {f"e-{n}" for n in range(500)} and set(state.times_stored.values()) == {1}


def test_a_batch_half_written_by_a_crash_is_never_sent(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    spool.add(records(0, 3))
    (tmp_path / "spool" / "000000000002.abc.ndjson.gz.tmp").write_bytes(b"\x1f\x8b half")
    again = Spool(tmp_path / "spool")
    assert [b.stem for b in again.batches()] == ["000000000001"]
    assert not list((tmp_path / "spool").glob("*.tmp")) and again.add(records(3, 1)) is not None
    assert [b.stem for b in again.batches()] == ["000000000001", "000000000002"]


def test_the_simulators_last_flush_spends_one_patience_budget_for_all_workstations(tmp_path: Path) -> None:
    from preserie.simulate.collector import CollectorOptions, Reporters
    from preserie.simulate.writers import Workstation

    fleet = [Workstation(f"1000000000{k}", f"1000000000{k}-P1", "liberal", "5.2.0", ("a", "b", "c", "d", "e"))
             for k in range(4)]
    state = FakeState(script=["503:1"] * 100)  # the collector stays unavailable
    with serving(state) as url:
        reporters = Reporters(CollectorOptions(url, "PILOT1", VENDOR_TOKEN, batch_records=10, patience=1.5),
                              fleet, tmp_path / "spool")
        sink = reporters.tee(_Nowhere())
        for n in range(25):
            sink.call(f"e-{n}", "2025-01-13T09:00:00+01:00", n % 4, "search", None, "ok", 200, None, 12)
        began = time.monotonic()
        reported = reporters.finish()
    assert time.monotonic() - began < 3.5  # one budget (1.5 s) and a last wait, not four
    assert reported["left_in_spool"] == 4 and reported["acknowledged"] == 0 and not state.stored
    assert len(list((tmp_path / "spool").rglob("*.ndjson.gz"))) == 4


class _Nowhere:
    """A file sink that writes nothing."""

    def __getattr__(self, name: str) -> object:
        return lambda *args: None
