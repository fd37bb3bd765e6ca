"""A service's trace store: each pilot's workstation traces as append-only segment files, read by the engine as a
pilot folder's `traces/` (decision 0003).

    root/pilot=<pilot_key>/phase=<n>/00000001-collector.jsonl
                                     00000002-2025-01.csv        (a pilot folder's file, imported verbatim)

The layout is hive-style, so that a distributed engine discovers `pilot` and `phase` as columns. A segment is
written once, whole, and never changed: it is written to a hidden temporary file beside it, flushed to disk, then
given its name by a hard link, which never replaces an existing file. Segment names start with their sequence
number, so that byte order (the engine's reading order, SPEC §5) is the order of the appends. Processes share
nothing but these files: the sequence number is chosen under an advisory lock on a hidden file of the phase's
folder (released by the system if the process dies), so that a listing only ever grows at its end. Several
segments can be written first (`stage`), then flushed together and named in one go (`publish`): the collector
stores the batches that arrive together so, at the cost of one wait on the disk (decision 0004).
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import itertools
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
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
SETTLED_NS = 2_000_000_000  # far beyond a file system clock's granularity (a few milliseconds)
FLUSH_THREADS = 8


@dataclass(frozen=True)
class StagedSegment:
    """A segment's bytes in a hidden temporary file of its folder, not yet flushed nor named
    (`SegmentStore.publish`)."""

    folder: Path
    temporary: Path
    tail: str  # the name after the sequence number: -<origin><suffix>

    @property
    def trace_file(self) -> TraceFile:
        """The staged bytes as a trace file (the collector checks a batch there before it is published)."""
        return _trace_file(self.temporary, f"traces/{self.temporary.name}")


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


def _trace_file(path: Path, name: str | None = None) -> TraceFile:
    suffix = _suffix_of(path.name)
    assert suffix is not None  # only segment names get here
    return TraceFile(path, name or f"traces/{path.name}", FORMATS[suffix], suffix.endswith(".gz"))


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)



class SegmentStore:
    """Append-only trace segments under `root`, one folder per pilot and phase."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # (pilot, phase): the listing as of a settled `listing_token`, and the digest of its names
        self._listings: dict[tuple[str, int], tuple[str, list[TraceFile], str]] = {}
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
        return self._one(self.stage(pilot_key, phase, data, suffix=suffix, origin=origin))

    def append_file(self, pilot_key: str, phase: int, source: Path, *, origin: str) -> TraceFile:
        """Store a copy of the trace file `source`, byte for byte, as the phase's next segment, in its own
        format (told by its name's ending, as in a pilot folder)."""
        suffix = _suffix_of(source.name)
        if suffix is None:
            raise ValueError(f"{source.name}: expected a name ending in {', '.join(FORMATS)}")

        def write(handle: BinaryIO) -> None:
            with source.open("rb") as original:
                shutil.copyfileobj(original, handle, 1 << 20)

        return self._one(self._stage(self.folder(pilot_key, phase), write, suffix, origin))

    # -- in two steps: several segments written, then flushed and named together ----------------------------

    def stage(self, pilot_key: str, phase: int, data: bytes, *, suffix: str = ".jsonl",
              origin: str = "collector") -> StagedSegment:
        """Write `data` to a hidden temporary file of the phase's folder (read by no one but its writer): a
        segment once `publish` has flushed it and given it its name, nothing before."""
        if suffix not in FORMATS:
            raise ValueError(f"suffix {suffix!r}: expected one of {', '.join(FORMATS)}")

        def write(handle: BinaryIO) -> None:
            handle.write(data)

        return self._stage(self.folder(pilot_key, phase), write, suffix, origin)

    @staticmethod
    def rewrite(staged: StagedSegment, data: bytes) -> None:
        """Replace what a staged segment holds (before it is published)."""
        with open(staged.temporary, "r+b") as handle:
            handle.write(data)
            handle.truncate()

    def publish(self, staged: Sequence[StagedSegment]) -> list[TraceFile]:
        """Flush the staged segments to disk (together: the system commits their journal once), then name each,
        in the order given, under its folder's next sequence numbers, then flush each folder once. Either every
        one is published or none is (a failure removes those already named; a crash leaves them to the
        caller's repair)."""
        if not staged:
            return []
        if len(staged) == 1:
            _fsync_file(staged[0].temporary)
        else:
            list(_flusher().map(_fsync_file, [s.temporary for s in staged]))
        published: list[TraceFile] = []
        try:
            for folder, members in itertools.groupby(staged, key=lambda s: s.folder):
                with _locked(folder / LOCK_FILE):
                    sequence = self._last_sequence(folder)
                    for member in members:
                        sequence = _link(member, sequence + 1)
                        published.append(_trace_file(folder / f"{sequence:0{SEQUENCE_DIGITS}d}{member.tail}"))
        except BaseException:
            for segment in published:
                segment.path.unlink(missing_ok=True)
            raise
        finally:
            self.discard(staged)
        for folder in dict.fromkeys(s.folder for s in staged):
            _fsync_folder(folder)
        return published

    @staticmethod
    def discard(staged: Sequence[StagedSegment]) -> None:
        """Remove the temporary files of segments never published (published ones keep their named link)."""
        for member in staged:
            member.temporary.unlink(missing_ok=True)

    def files(self, pilot_key: str, phase: int) -> list[TraceFile]:
        """The phase's segments in reading order (the order they were appended), as the engine reads them."""
        return list(self._listing(pilot_key, phase)[0])

    def _listing(self, pilot_key: str, phase: int) -> tuple[list[TraceFile], str]:
        """The phase's segments and the digest of their names: listed again only when the folder's
        `listing_token` moved or cannot be trusted (a page view lists 10,000 segments once, not at every view)."""
        token = self.listing_token(pilot_key, phase)  # read before the listing: a segment added since moves it
        if token == "absent":
            return [], hashlib.sha256(b"").hexdigest()
        key = (pilot_key, phase)
        with self._guard:
            kept = self._listings.get(key)
        if token is not None and kept is not None and kept[0] == token:
            return kept[1], kept[2]
        folder = self.folder(pilot_key, phase)
        try:
            names = sorted((n for n in os.listdir(folder) if _sequence_of(n) is not None), key=os.fsencode)
        except (FileNotFoundError, NotADirectoryError):
            return [], hashlib.sha256(b"").hexdigest()
        found = [_trace_file(folder / name) for name in names]
        digest = hashlib.sha256("\x00".join(names).encode()).hexdigest()
        if token is not None:
            with self._guard:
                self._listings[key] = (token, found, digest)
        return found, digest

    def listing_token(self, pilot_key: str, phase: int, *, settled_ns: int = SETTLED_NS) -> str | None:
        """A token that changes whenever the phase's listing does (a segment added), read from its folder's
        modification time alone, without listing 10,000 names; None when that time cannot be trusted yet. A
        folder's time is the time of its last change, at the file system's clock granularity: a change in the same
        tick as the one before it would leave it as it was. Once it is ``settled_ns`` older than the clock, any
        later change moves it, so the token stands; a folder changed less than that ago gives None (list it)."""
        folder = self.folder(pilot_key, phase)
        try:
            stat = folder.stat()
        except (FileNotFoundError, NotADirectoryError):
            return "absent"
        if time.time_ns() - stat.st_mtime_ns < settled_ns:
            return None
        return f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_ctime_ns}"

    def listing_digest(self, pilot_key: str, phase: int) -> str:
        """A digest of the phase's segment names in order (any new segment changes it), listed again only when the
        folder's `listing_token` moved or cannot be trusted: a phase of 10,000 segments is listed in 0.1 s to 0.3 s,
        its folder looked at in microseconds."""
        return self._listing(pilot_key, phase)[1]

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

    def _one(self, staged: StagedSegment) -> TraceFile:
        (published,) = self.publish([staged])
        return published

    @staticmethod
    def _stage(folder: Path, write: _Writer, suffix: str, origin: str) -> StagedSegment:
        folder.mkdir(parents=True, exist_ok=True)
        staged = StagedSegment(folder, folder / f"{TEMPORARY_PREFIX}{os.getpid()}-{uuid.uuid4().hex}{suffix}",
                               f"-{segment_origin(origin)}{suffix}")
        try:
            with open(staged.temporary, "xb") as handle:
                write(handle)
        except BaseException:
            staged.temporary.unlink(missing_ok=True)
            raise
        return staged

    @staticmethod
    def _last_sequence(folder: Path) -> int:
        numbers = (_sequence_of(name) for name in os.listdir(folder))
        return max((n for n in numbers if n is not None), default=0)


def _link(staged: StagedSegment, sequence: int) -> int:
    """Give the staged segment the first free sequence number from `sequence` (a hard link never replaces a
    file: a writer that does not take the lock may hold a number, and the next one is taken); the number."""
    while True:
        if sequence > LAST_SEQUENCE:
            raise OSError(f"{staged.folder}: no sequence number left")
        try:
            os.link(staged.temporary, staged.folder / f"{sequence:0{SEQUENCE_DIGITS}d}{staged.tail}")
            return sequence
        except FileExistsError:
            sequence += 1


def _fsync_file(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@functools.cache
def _flusher() -> ThreadPoolExecutor:
    """Threads that flush several segments at once (each fsync waits on the disk, not on the interpreter)."""
    return ThreadPoolExecutor(FLUSH_THREADS, thread_name_prefix="segment-flush")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` for the block (between processes; the system drops it at exit)."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)
