"""One page's reads of the registry (`shared_reads`): within the block, the repositories' reads share one
connection, in one transaction (one snapshot of the registry for the whole page, one pool checkout and one BEGIN
instead of one per read), and a read asked again (a pilot page asks for the pilot's practitioners five times:
its alerts, its survey, its zone, its list) is answered with the rows the first one read. Nothing outlives the
block: the next page reads the registry again. Never around a write: a write inside the block would not be seen
by the block's later reads.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

Rows = TypeVar("Rows")


@dataclass
class _Reads:
    connections: dict[Engine, Connection] = field(default_factory=dict)
    rows: dict[tuple[Engine, Hashable], Any] = field(default_factory=dict)
    asked: int = 0  # reads asked for within the block (tests read it)
    read: int = 0  # of them, those that ran a query


_OPEN: ContextVar[_Reads | None] = ContextVar("page_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[_Reads]:
    """The block's reads share one connection and are each made once (the block's own: not a nested one's)."""
    outer = _OPEN.get()
    if outer is not None:
        yield outer
        return
    reads = _Reads()
    token = _OPEN.set(reads)
    try:
        yield reads
    finally:
        _OPEN.reset(token)
        for conn in reads.connections.values():
            conn.close()  # a read transaction: rolled back


@contextmanager
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection to read through: the block's shared one, or one of its own outside a block."""
    reads = _OPEN.get()
    if reads is None:
        with engine.connect() as conn:
            yield conn
        return
    if engine not in reads.connections:
        reads.connections[engine] = engine.connect()
    yield reads.connections[engine]


def remembered(engine: Engine, key: Hashable, read: Callable[[Connection], Rows]) -> Rows:
    """``read``'s rows (a query named by ``key``): read once within a block, a new list of them on every ask
    (the caller may add to or change the list and its dict rows it is given, never what the next one gets; records
    are frozen)."""
    reads = _OPEN.get()
    if reads is None:
        with engine.connect() as conn:
            return read(conn)
    reads.asked += 1
    if (engine, key) not in reads.rows:
        reads.read += 1
        with connection(engine) as conn:
            reads.rows[(engine, key)] = read(conn)
    fresh: Rows = _fresh(reads.rows[(engine, key)])
    return fresh


def _fresh(rows: Any) -> Any:
    if isinstance(rows, list):
        return [dict(row) if isinstance(row, dict) else row for row in rows]
    if isinstance(rows, (set, dict)):
        return rows.copy()
    return rows  # a frozen record, None
