"""One page's reads (`adapters/db/page_reads.py`): within a block, a read asked again is answered with the rows
the block first read, through one connection; the next block, another thread's block, and reads outside any
block see the database as it is now, never the rows a block kept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text

from preserie.adapters.db.engine import make_engine
from preserie.adapters.db.page_reads import connection, remembered, shared_reads


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'reads.db'}")
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
        conn.execute(text("INSERT INTO notes (body) VALUES ('une')"))
    yield made
    made.dispose()


def _notes(conn: Connection) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(text("SELECT id, body FROM notes ORDER BY id"))]


def _read(engine: Engine) -> list[dict[str, Any]]:
    return remembered(engine, ("notes",), _notes)


def _write(engine: Engine, body: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO notes (body) VALUES (:body)"), {"body": body})


def _counting(engine: Engine) -> dict[str, int]:
    counts = {"selects": 0, "checkouts": 0}

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        counts["selects"] += statement.startswith("SELECT")

    @event.listens_for(engine, "checkout")
    def _checkout(*_: Any) -> None:
        counts["checkouts"] += 1

    return counts


def test_a_read_asked_again_within_a_block_is_read_once_through_one_connection(engine: Engine) -> None:
    counts = _counting(engine)
    with shared_reads() as reads:
        first, again = _read(engine), _read(engine)
        with connection(engine) as conn:
            conn.execute(text("SELECT 1"))
    assert first == again == [{"id": 1, "body": "une"}]
    assert counts == {"selects": 2, "checkouts": 1} and (reads.asked, reads.read) == (2, 1)


def test_the_next_block_and_reads_outside_a_block_see_what_was_written_since(engine: Engine) -> None:
    with shared_reads():
        assert [n["body"] for n in _read(engine)] == ["une"]
    _write(engine, "deux")
    assert [n["body"] for n in _read(engine)] == ["une", "deux"]  # no block: read now
    with shared_reads():
        assert [n["body"] for n in _read(engine)] == ["une", "deux"]  # a new block: read again


def test_another_thread_s_block_reads_for_itself(engine: Engine) -> None:
    seen: list[list[str]] = []
    with shared_reads():
        _read(engine)
        _write(engine, "deux")

        def elsewhere() -> None:  # another request, at the same time
            with shared_reads():
                seen.append([n["body"] for n in _read(engine)])

        worker = threading.Thread(target=elsewhere)
        worker.start()
        worker.join()
    assert seen == [["une", "deux"]]


def test_what_a_caller_changes_in_its_rows_is_not_what_the_next_one_gets(engine: Engine) -> None:
    with shared_reads():
        mine = _read(engine)
        mine[0]["body"] = "changée"
        mine.append({"id": 9, "body": "ajoutée"})
        assert _read(engine) == [{"id": 1, "body": "une"}]


def test_a_nested_block_is_the_outer_one_and_the_connection_is_given_back_at_its_end(engine: Engine) -> None:
    counts = _counting(engine)
    with shared_reads() as outer:
        _read(engine)
        with shared_reads() as inner:
            assert inner is outer and _read(engine)
        assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    assert engine.pool.checkedout() == 0 and counts["checkouts"] == 1  # type: ignore[attr-defined]
