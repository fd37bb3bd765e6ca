"""A workstation's spool of trace batches on disk, for the collector (issue 11): nothing is lost before the
collector acknowledges it, nothing is sent twice under two keys.

One directory per workstation. A batch is one file, `<stem>.<key>.ndjson.gz`, holding the exact gzipped body to
send; its Idempotency-Key is in its name, so the key exists on disk before the first send and every retry, in this
process or in the next one after a crash, sends the same bytes under the same key. A file is written in full
under a temporary name, fsynced, then renamed (a crash leaves either the whole batch or a `.tmp` to ignore), and
deleted only once the collector acknowledged it (201, or 200 for a batch it had already stored). The stems are
zero-padded sequence numbers, so the batches leave in the order they were made; a split batch (413) gets its
halves' stems after its own (`…a`, `…b`). `aside/` keeps the batches the collector will never take (409: a key
reused with another body) for a person to look at; a `CLOSED` file says the collector switched traces off (410):
the spool then keeps nothing more.
"""

from __future__ import annotations

import gzip
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".ndjson.gz"
CLOSED = "CLOSED"
ASIDE = "aside"


@dataclass(frozen=True)
class Batch:
    """A spooled batch: its file, its Idempotency-Key and the order it was made in."""

    path: Path
    stem: str
    key: str

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()

    def lines(self) -> list[bytes]:
        return gzip.decompress(self.body).splitlines(keepends=True)


def new_key() -> str:
    """An Idempotency-Key: 32 hexadecimal characters (the contract allows 1 to 128 printable ASCII)."""
    return uuid.uuid4().hex


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
    _fsync_directory(path.parent)


class Spool:
    """The batches of one workstation not yet acknowledged, oldest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob("*.tmp"):  # a batch whose writing a crash interrupted: never sent
            leftover.unlink()
        stems = [b.stem for b in self.batches()]
        self._next = 1 + max((int(s[:12]) for s in stems if s[:12].isdigit()), default=0)

    @property
    def closed(self) -> bool:
        return (self.directory / CLOSED).exists()

    def batches(self) -> list[Batch]:
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            stem, _, key = path.name.removesuffix(SUFFIX).partition(".")
            if key:
                found.append(Batch(path, stem, key))
        return sorted(found, key=lambda b: b.stem)

    def add(self, lines: Sequence[str | bytes]) -> Batch | None:
        """Spool JSON Lines (each ending with a newline) as one batch under a new key; None once closed."""
        if self.closed or not lines:
            return None
        stem = f"{self._next:012d}"
        self._next += 1
        return self._write(stem, b"".join(x.encode() if isinstance(x, str) else x for x in lines))

    def _write(self, stem: str, body: bytes) -> Batch:
        key = new_key()
        path = self.directory / f"{stem}.{key}{SUFFIX}"
        # mtime=0: the same lines give the same bytes.
        _write_atomically(path, gzip.compress(body, compresslevel=6, mtime=0))
        return Batch(path, stem, key)

    def acknowledged(self, batch: Batch) -> None:
        batch.path.unlink(missing_ok=True)
        _fsync_directory(self.directory)

    def split(self, batch: Batch) -> list[Batch]:
        """Two batches with new keys for the halves of `batch` (413), written before `batch` is removed; empty
        when the batch has a single record (it cannot be made smaller)."""
        lines = batch.lines()
        if len(lines) < 2:
            return []
        half = len(lines) // 2
        halves = [self._write(batch.stem + "a", b"".join(lines[:half])),
                  self._write(batch.stem + "b", b"".join(lines[half:]))]
        self.acknowledged(batch)
        return halves

    def set_aside(self, batch: Batch) -> Path:
        """Move a batch the collector refuses for good into aside/, where it waits for a person."""
        (self.directory / ASIDE).mkdir(exist_ok=True)
        target = self.directory / ASIDE / batch.path.name
        batch.path.replace(target)
        _fsync_directory(self.directory)
        return target

    def close_for_good(self) -> int:
        """The collector switched traces off (410): mark the spool closed and drop what it held; how many
        batches were dropped."""
        _write_atomically(self.directory / CLOSED, b"traces switched off by the collector (HTTP 410)\n")
        dropped = self.batches()
        for batch in dropped:
            batch.path.unlink(missing_ok=True)
        return len(dropped)
