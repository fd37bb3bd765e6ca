"""Where the time of `preserie assess` goes: the per-statement timeline of one assessment, run in this process.

    python benchmarks/assess_timeline.py PILOT_FOLDER [--repeat 3]

Every statement the trace store sends to DuckDB is timed (its execution and the fetching of its rows), with the
thread it ran on (the traces are read in a background thread while the declaration is read); the start-up of
a fresh `preserie` process (the interpreter and the imports of the `assess` command) is timed apart. Prints, per
statement, the median seconds over the runs, then the totals.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import duckdb

from preserie.adapters import duckdb_trace_store
from preserie.services.assess import assess_folder

STARTUP = "import preserie.entry, preserie.cli_folder, preserie.services.assess"


class _TimedResult:
    """A result whose fetching is added to its statement's time."""

    def __init__(self, con: _TimedConnection, result: Any, label: str) -> None:
        self._con, self._result, self._label = con, result, label

    def _timed(self, method: str) -> Any:
        began = time.perf_counter()
        try:
            return getattr(self._result, method)()
        finally:
            self._con.add(self._label, time.perf_counter() - began)

    def fetchall(self) -> Any:
        return self._timed("fetchall")

    def fetchone(self) -> Any:
        return self._timed("fetchone")


class _TimedConnection:
    """A DuckDB connection that times each statement; what it does not time is passed through."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.times: dict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    def add(self, label: str, seconds: float) -> None:
        with self._lock:
            self.times[label] += seconds

    def execute(self, statement: str, *args: Any) -> _TimedResult:
        label = f"[{threading.current_thread().name[:6]}] " + _label(statement)
        began = time.perf_counter()
        try:
            result = self._con.execute(statement, *args)
        finally:
            self.add(label, time.perf_counter() - began)
        return _TimedResult(self, result, label)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def _label(statement: str) -> str:
    """A statement's first meaningful words, to tell it apart from the others."""
    words = re.sub(r"\s+", " ", statement).strip()
    created = re.match(r"(CREATE (?:TEMP )?(?:TABLE|VIEW) \w+|INSERT INTO \w+|SET \w+|DROP TABLE \w+)", words)
    if created:
        return created.group(1)
    return words[:70]


def one_run(folder: Path) -> tuple[float, dict[str, float]]:
    connections: list[_TimedConnection] = []
    real_connect = duckdb.connect

    def connect(*args: Any, **kwargs: Any) -> _TimedConnection:
        connections.append(_TimedConnection(real_connect(*args, **kwargs)))
        return connections[-1]

    duckdb_trace_store.duckdb.connect = connect  # type: ignore[assignment]
    try:
        began = time.perf_counter()
        assess_folder(folder)
        seconds = time.perf_counter() - began
    finally:
        duckdb_trace_store.duckdb.connect = real_connect
    return seconds, dict(connections[0].times)


def startup_seconds() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", STARTUP], check=True)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    totals, per_statement, startups = [], defaultdict(list), []
    for _ in range(args.repeat):
        startups.append(startup_seconds())
        seconds, times = one_run(args.folder)
        totals.append(seconds)
        for label, spent in times.items():
            per_statement[label].append(spent)
    for label, spent in sorted(per_statement.items(), key=lambda item: -statistics.median(item[1])):
        print(f"{statistics.median(spent):8.3f}  {label}")
    statements = sum(statistics.median(spent) for spent in per_statement.values())
    print(f"{statements:8.3f}  all statements (both threads)")
    print(f"{statistics.median(totals):8.3f}  assess_folder, in all")
    print(f"{statistics.median(startups):8.3f}  start-up of a fresh process ({STARTUP})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
