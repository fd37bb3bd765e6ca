"""Pages are built a few at a time (services.work_slots), and a page that waits for a bilan, or computes one, does
not hold its slot meanwhile: readers of a pilot being recomputed never keep the other pages waiting."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from preserie.services import bilan_cache, work_slots
from preserie.services.bilan_cache import AssessmentCache
from preserie.services.work_slots import WorkSlots

WAIT = 10.0  # seconds a test waits for a thread before it fails (never reached when the code is right)


def test_no_more_pages_than_slots_are_built_at_once() -> None:
    slots, inside, most, guard = WorkSlots(3), [0], [0], threading.Lock()

    def page() -> None:
        with slots.taken():
            with guard:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.01)
            with guard:
                inside[0] -= 1

    threads = [threading.Thread(target=page) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert most[0] == 3 and inside[0] == 0


def test_a_page_within_a_page_takes_no_second_slot() -> None:
    slots = WorkSlots(1)
    with slots.taken(), slots.taken():  # would wait for itself forever if it took another
        pass
    assert slots._free.acquire(blocking=False)  # both given back once


def test_a_slot_given_back_is_taken_by_another_page_and_taken_again_after() -> None:
    slots, waiting, other_in, done = WorkSlots(1), threading.Event(), threading.Event(), threading.Event()

    def waiter() -> None:
        with slots.taken():
            with slots.given_back():
                waiting.set()
                assert other_in.wait(WAIT)
            done.set()

    def other() -> None:
        assert waiting.wait(WAIT)
        with slots.taken():
            other_in.set()

    threads = [threading.Thread(target=waiter), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert other_in.is_set() and done.is_set()
    assert slots._free.acquire(blocking=False)  # the waiter gave its slot back at the end


def test_readers_of_a_pilot_being_recomputed_leave_the_slots_to_other_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """One slot: a reader computes a bilan (the engine blocked), another reader of the same pilot waits for it;
    a third page, of another pilot, is still built meanwhile. Holding the slot while computing or waiting (the
    code before) fails this test."""
    slots = WorkSlots(1)
    monkeypatch.setattr(work_slots, "PAGES", slots)
    monkeypatch.setattr(bilan_cache, "PAGES", slots)
    cache, engine_free, other_built = AssessmentCache(), threading.Event(), threading.Event()
    run = cast(Any, object())
    computing = threading.Event()

    def compute() -> Any:
        computing.set()
        assert engine_free.wait(WAIT)
        return run

    answers: list[object] = []

    def reader() -> None:
        with slots.taken():
            answers.append(cache.get(("pilot", 1, None), "fingerprint", compute))

    def other_page() -> None:
        assert computing.wait(WAIT)
        with slots.taken():
            other_built.set()

    threads = [threading.Thread(target=reader), threading.Thread(target=reader), threading.Thread(target=other_page)]
    for thread in threads:
        thread.start()
    assert other_built.wait(WAIT), "a page waited for another pilot's bilan"
    engine_free.set()
    for thread in threads:
        thread.join(WAIT)
    assert answers == [run, run] and cache.computations == 1  # the second reader took the first one's bilan
