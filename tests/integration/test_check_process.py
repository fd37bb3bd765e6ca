"""The collector's check in a process of its own (adapters/check_process.py): the same answers as the check in the
serving process, another process when one was killed between groups, CheckUnavailable for the group a process died
checking, and no process left once closed."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from test_collector_batches import RECORD, _file

from preserie.adapters import check_process
from preserie.adapters.check_process import CheckProcess, CheckUnavailable
from preserie.adapters.collector_batch import check_batches
from preserie.adapters.trace_files import TraceFile
from preserie.data import load_reference


def _batches(folder: Path) -> list[tuple[TraceFile, str]]:
    good = _file(folder, "good", [{**RECORD, "event_id": f"g{i}"} for i in range(50)])
    mixed = _file(folder, "mixed", [{**RECORD, "event_id": "m1"}, b"", {**RECORD, "event_id": "m2", "ts": "hier"},
                                    {**RECORD, "event_id": "m3", "practitioner": "222"}])
    damaged = _file(folder, "damaged", [{**RECORD, "event_id": "d1"}, b"not json", {**RECORD, "event_id": "d2"}])
    return [(good, "111"), (mixed, "111"), (damaged, "111")]


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat.rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def checker() -> CheckProcess:
    made = CheckProcess()
    yield made
    made.close()


def test_the_process_answers_as_the_check_in_process(tmp_path: Path, checker: CheckProcess) -> None:
    batches = _batches(tmp_path)
    assert checker(batches, load_reference()) == check_batches(batches, load_reference())
    assert checker.pid is not None and checker.pid != os.getpid()


def test_a_process_killed_between_groups_is_replaced(tmp_path: Path, checker: CheckProcess) -> None:
    batches = _batches(tmp_path)
    expected = checker(batches, load_reference())
    first = checker.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert _gone(first)
    assert checker(batches, load_reference()) == expected
    assert checker.pid not in (None, first)


def test_a_group_is_checked_again_once_and_refused_when_two_processes_died_checking_it(
        tmp_path: Path, checker: CheckProcess) -> None:
    """Each process is stopped (SIGSTOP) as soon as it exists, so that the group is still being checked when it is
    killed."""
    batches = _batches(tmp_path)
    checker(batches, load_reference())  # started
    refused: list[BaseException] = []

    def check() -> None:
        try:
            checker(batches, load_reference())
        except BaseException as error:
            refused.append(error)

    first = checker.pid
    assert first is not None
    os.kill(first, signal.SIGSTOP)
    caller = threading.Thread(target=check)
    caller.start()
    killed = [first]
    for _ in range(2):  # the process checking it, then the one checking it again
        time.sleep(0.3)
        assert caller.is_alive()  # still waiting for its check
        os.kill(killed[-1], signal.SIGKILL)
        if len(killed) == 2:
            break
        deadline = time.monotonic() + 30
        while checker.pid in (None, *killed) and time.monotonic() < deadline:
            time.sleep(0.005)
        again = checker.pid
        assert again is not None and again not in killed
        os.kill(again, signal.SIGSTOP)
        killed.append(again)
    caller.join(10)
    assert [type(error) for error in refused] == [CheckUnavailable]
    assert checker(batches, load_reference()) == check_batches(batches, load_reference())  # a third one


def test_closing_does_not_wait_for_a_check_that_hangs_and_starts_no_other(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A stopped process holds its check: the server's shutdown kills it after STOP_SECONDS instead of waiting."""
    monkeypatch.setattr(check_process, "STOP_SECONDS", 0.5)
    checker = CheckProcess()
    batches = _batches(tmp_path)[:1]
    checker(batches, load_reference())
    pid = checker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    refused: list[BaseException] = []

    def check() -> None:
        try:
            checker(batches, load_reference())
        except BaseException as error:
            refused.append(error)

    caller = threading.Thread(target=check)
    caller.start()
    time.sleep(0.3)
    began = time.monotonic()
    checker.close()
    caller.join(10)
    assert time.monotonic() - began < 5 and not caller.is_alive()
    assert [type(error) for error in refused] == [CheckUnavailable] and _gone(pid)
    with pytest.raises(CheckUnavailable):
        checker(batches, load_reference())  # closed: no other process


def test_closing_ends_the_process(tmp_path: Path) -> None:
    checker = CheckProcess()
    checker(_batches(tmp_path)[:1], load_reference())
    pid = checker.pid
    assert pid is not None
    checker.close()
    assert _gone(pid) and checker.pid is None
