"""The collector's check of its batches (`collector_batch.check_batches`, the engine's own reader) run in a process
of its own, beside the serving one.

Why processes: the serving process holds the interpreter's lock to parse requests and record batches, and the
engine takes it back again and again while a query runs (to look for a signal, to hand over its results); and one
process's check could not use both cores while the store waited on the disk. With one check process a core, each
with one engine thread, the batches of two groups are checked at once (services/collector_intake.py). What crosses
between the processes is small: the batches' file names and practitioners one way; counts, the refused lines and
the events' keys as numbers the other.

The process is spawned (not forked: it must not inherit the server's sockets or its lock on the data directory)
at the first group, and ends when the server's end of the pipe closes: at shutdown, and when the server is
killed (the kernel closes the pipe), so that it never outlives the server. If it dies, another one checks the group
again (the check only reads files); if that one dies too, the group is refused (503, the clients retry).
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Collection, Sequence
from multiprocessing.connection import Connection
from typing import Any

from preserie.adapters.collector_batch import CheckedBatch, check_batches, engine_threads
from preserie.adapters.trace_files import TraceFile
from preserie.domain.reference import Reference

log = logging.getLogger(__name__)
STOP_SECONDS = 10
ATTEMPTS = 2  # a group whose process died is checked once more by another: twice lost, it is refused
# Each process's engine on one thread: the server runs one process a core (ServiceSettings.collector_checks), and
# two engines of two threads each on two cores took 18-20 µs of CPU a record where two of one thread take 17-19,
# at 80,000 records a second against 90,000 to 96,000 (benchmarks/collector_load.py, 64 clients).
ENGINE_THREADS = 1


class CheckUnavailable(Exception):
    """The check's process died or could not be reached: the group was not checked."""


def _serve(conn: Connection) -> None:
    """The check's process: a group of batches in, what the engine found of each out, until the pipe closes."""
    from preserie.data import load_reference

    reference = load_reference()
    engine_threads(reference, ENGINE_THREADS)
    while True:
        try:
            batches, legacy = conn.recv()
        except (EOFError, OSError):  # the server is gone, or stopping
            return
        try:
            answer: tuple[bool, Any] = (True, check_batches(batches, reference, legacy))
        except Exception as error:  # an engine error: the server refuses the group, as it would in process
            answer = (False, f"{type(error).__name__}: {error}")
        try:
            conn.send(answer)
        except OSError:
            return


class CheckProcess:
    """`check_batches` through the check's process; one group at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._closed = False

    def __call__(self, batches: Sequence[tuple[TraceFile, str]], reference: Reference,
                 legacy: Collection[int] = ()) -> list[CheckedBatch]:
        """The engine's check of `batches`, as `check_batches` gives it (the process reads the packaged
        reference, the one `reference` is)."""
        with self._lock:
            for attempt in range(ATTEMPTS):
                conn = self._started()
                try:
                    conn.send((list(batches), list(legacy)))
                    ok, result = conn.recv()
                    break
                except (EOFError, OSError) as error:  # it died before, or while, checking: the check reads only
                    self._stop()  # files, so another process can make it again
                    log.warning("processus de vérification des lots arrêté (%s)", type(error).__name__)
                    if attempt + 1 == ATTEMPTS:
                        raise CheckUnavailable(f"le processus de vérification s'est arrêté ({type(error).__name__})"
                                               ) from error
        if not ok:
            raise RuntimeError(result)
        checked: list[CheckedBatch] = result
        return checked

    def _started(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._conn is not None:
            return self._conn
        self._stop()
        if self._closed:
            raise CheckUnavailable("service en cours d'arrêt")
        context = multiprocessing.get_context("spawn")
        mine, theirs = context.Pipe()
        process = context.Process(target=_serve, args=(theirs,), name="preserie-collector-check", daemon=True)
        process.start()
        theirs.close()  # only the child's copy stays open: when this end closes, the child sees the end of its input
        self._process, self._conn = process, mine
        return mine

    def _stop(self) -> None:
        conn, process, self._conn, self._process = self._conn, self._process, None, None
        if conn is not None:
            conn.close()
        if process is not None:
            process.join(STOP_SECONDS)
            if process.is_alive():
                log.warning("processus de vérification des lots arrêté de force")
                process.kill()
                process.join(STOP_SECONDS)

    def close(self) -> None:
        """End the process, and start no other. A check still in flight after STOP_SECONDS (a process that hangs)
        is not waited for: its process is killed, and its caller gets CheckUnavailable."""
        self._closed = True
        if self._lock.acquire(timeout=STOP_SECONDS):
            try:
                self._stop()
            finally:
                self._lock.release()
        elif (process := self._process) is not None:
            log.warning("vérification des lots en cours à l'arrêt : processus arrêté de force")
            process.kill()

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid
