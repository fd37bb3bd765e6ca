"""A service's trace store: each pilot's workstation traces as append-only segment files, read by the engine as a
pilot folder's `traces/` (decision 0003).

    root/pilot=<pilot_key>/phase=<n>/00000001-collector.jsonl
                                     00000002-2025-01.csv        (a pilot folder's file, imported verbatim)

The layout is hive-style, so that a distributed engine discovers `pilot` and `phase` as columns. A segment is
written once, whole, and never changed: it is written to a hidden temporary file beside it, flushed to disk, then
given its name by a hard link, which never replaces an existing file. Segment names start with their sequence
number, so that byte order (the engine's reading order, SPEC §5) is the order of the appends. Processes share
nothing but these files: the sequence number is chosen under an advisory lock on a hidden file of the phase's
folder (released by the system if the process dies), so that a listing only ever grows at its end.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from preserie.adapters.trace_files import FORMATS
from preserie.domain.inputs import TraceFile

PILOT_KEY = re.compile(r"[0-9a-z-]{1,64}")
SEQUENCE_DIGITS = 8
LAST_SEQUENCE = 10**SEQUENCE_DIGITS - 1  # a ninth digit would break the byte order of the names
ORIGIN_LENGTH = 80
_NOT_IN_ORIGIN = re.compile(r"[^0-9A-Za-z._-]")
_SEGMENT = re.compile(rf"(\d{{{SEQUENCE_DIGITS}}})-[0-9A-Za-z._-]+")
_PHASE = re.compile(r"phase=([1-9][0-9]*)")
_Writer = Callable[[BinaryIO], None]  # writes a segment's bytes to the open temporary file
LOCK_FILE, TEMPORARY_PREFIX = ".append.lock", ".tmp-"  # hidden: neither the engine nor Spark reads them


def segment_origin(origin: str) -> str:
    """`origin` as it may appear in a segment's name: characters outside [0-9A-Za-z._-] become `_`, at most 80."""
    return _NOT_IN_ORIGIN.sub("_", origin)[:ORIGIN_LENGTH] or "_"


def _suffix_of(name: str) -> str | None:
    return next((suffix for suffix in FORMATS if name.endswith(suffix)), None)


def _sequence_of(name: str) -> int | None:
    """The sequence number of a segment's file name, or None for anything else in the folder."""
    suffix = _suffix_of(name)
    match = _SEGMENT.fullmatch(name[: -len(suffix)]) if suffix else None
    return int(match.group(1)) if match else None


def _trace_file(path: Path) -> TraceFile:
    suffix = _suffix_of(path.name)
    assert suffix is not None  # only segment names get here
    return TraceFile(path, f"traces/{path.name}", FORMATS[suffix], suffix.endswith(".gz"))


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


# A listing is kept while its folder's modification time stands, once that time is this many nanoseconds old: the
# kernel stamps a folder with a coarse clock (a few milliseconds), so two appends in one tick share a stamp, but an
# append after a second has gone by always moves it.
SETTLED_NS = 1_000_000_000


class SegmentStore:
    """Append-only trace segments under `root`, one folder per pilot and phase."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._listings: dict[Path, tuple[int, list[TraceFile]]] = {}
        self._guard = threading.Lock()

    def folder(self, pilot_key: str, phase: int) -> Path:
        """Where a pilot's phase keeps its segments (it may not exist yet)."""
        if not isinstance(pilot_key, str) or not PILOT_KEY.fullmatch(pilot_key):
            raise ValueError(f"pilot key {pilot_key!r}: expected 1 to 64 of [0-9a-z-]")
        if isinstance(phase, bool) or not isinstance(phase, int) or phase < 1:
            raise ValueError(f"phase {phase!r}: expected an integer from 1")
        return self.root / f"pilot={pilot_key}" / f"phase={phase}"

    def append(self, pilot_key: str, phase: int, data: bytes, *, suffix: str = ".jsonl",
               origin: str = "collector") -> TraceFile:
        """Store `data` (a batch of records, in the format `suffix` names) as the phase's next segment."""
        if suffix not in FORMATS:
            raise ValueError(f"suffix {suffix!r}: expected one of {', '.join(FORMATS)}")

        def write(handle: BinaryIO) -> None:
            handle.write(data)

        return self._publish(self.folder(pilot_key, phase), write, suffix, origin)

    def append_file(self, pilot_key: str, phase: int, source: Path, *, origin: str) -> TraceFile:
        """Store a copy of the trace file `source`, byte for byte, as the phase's next segment, in its own
        format (told by its name's ending, as in a pilot folder)."""
        suffix = _suffix_of(source.name)
        if suffix is None:
            raise ValueError(f"{source.name}: expected a name ending in {', '.join(FORMATS)}")

        def write(handle: BinaryIO) -> None:
            with source.open("rb") as original:
                shutil.copyfileobj(original, handle, 1 << 20)

        return self._publish(self.folder(pilot_key, phase), write, suffix, origin)

    def files(self, pilot_key: str, phase: int) -> list[TraceFile]:
        """The phase's segments in reading order (the order they were appended), as the engine reads them."""
        folder = self.folder(pilot_key, phase)
        try:
            stamp = os.stat(folder).st_mtime_ns
        except (FileNotFoundError, NotADirectoryError):
            return []
        with self._guard:
            kept = self._listings.get(folder)
        if kept is not None and kept[0] == stamp:  # a page view lists 10,000 segments once, not at every view
            return list(kept[1])
        names = sorted((name for name in os.listdir(folder) if _sequence_of(name) is not None), key=os.fsencode)
        found = [_trace_file(folder / name) for name in names]
        if time.time_ns() - stamp > SETTLED_NS:
            with self._guard:
                self._listings[folder] = (stamp, found)
        return list(found)

    def phases(self, pilot_key: str) -> list[int]:
        """The phases that hold a folder of segments, in order."""
        pilot = self.folder(pilot_key, 1).parent
        if not pilot.is_dir():
            return []
        found = (_PHASE.fullmatch(entry.name) for entry in pilot.iterdir() if entry.is_dir())
        return sorted(int(match.group(1)) for match in found if match)

    def export(self, pilot_key: str, phase: int, traces_dir: Path) -> list[TraceFile]:
        """Copy the phase's segments into a pilot folder's `traces/`, under the same names: assessing that folder
        reads the same files, in the same order, under the same names. A file of the same name is replaced."""
        traces_dir.mkdir(parents=True, exist_ok=True)
        exported = []
        for segment in self.files(pilot_key, phase):
            target = traces_dir / segment.path.name
            shutil.copyfile(segment.path, target)
            exported.append(TraceFile(target, segment.name, segment.format, segment.compressed))
        return exported

    def _publish(self, folder: Path, write: _Writer, suffix: str, origin: str) -> TraceFile:
        """Write a segment to a temporary file, flush it to disk, and link it under the next sequence number."""
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f"{TEMPORARY_PREFIX}{os.getpid()}-{uuid.uuid4().hex}{suffix}"
        try:
            with open(temporary, "xb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            tail = f"-{segment_origin(origin)}{suffix}"
            with _locked(folder / LOCK_FILE):
                sequence = self._last_sequence(folder) + 1
                while True:  # a writer that does not take the lock may hold the number: take the next one
                    if sequence > LAST_SEQUENCE:
                        raise OSError(f"{folder}: no sequence number left")
                    final = folder / f"{sequence:0{SEQUENCE_DIGITS}d}{tail}"
                    try:
                        os.link(temporary, final)  # fails, never replaces, when the name is taken
                        break
                    except FileExistsError:
                        sequence += 1
        finally:
            temporary.unlink(missing_ok=True)
        _fsync_folder(folder)
        return _trace_file(final)

    @staticmethod
    def _last_sequence(folder: Path) -> int:
        numbers = (_sequence_of(name) for name in os.listdir(folder))
        return max((n for n in numbers if n is not None), default=0)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` for the block (between processes; the system drops it at exit)."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
