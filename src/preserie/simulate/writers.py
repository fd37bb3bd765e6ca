"""Record sinks of the simulator: one per trace format (SPEC §4), plus registrations.csv.

Each sink formats records with plain string templates and writes them in chunks when the
generator calls `flush`: nothing grows with the size of the pilot. The hot paths
(`prescription`, `call`, `workstation`) take positional values; `generic` and `broken` exist for
the few hand-made dirty records.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

# The contract's columns (SPEC §4), in the order CSV and Parquet files carry them.
COLUMNS: tuple[str, ...] = (
    "event_id", "ts", "practitioner", "situation", "workstation", "software_version", "type",
    "category", "digital", "prescription_id", "operation", "outcome", "http_status", "error_code",
    "duration_ms", "os", "os_version", "card_reader", "card_kind", "network",
)
EXTENSIONS: dict[str, str] = {"jsonl": "jsonl", "jsonl.gz": "jsonl.gz", "csv": "csv", "parquet": "parquet"}
PARQUET_BATCH = 100_000
Config = tuple[str, str, str, str, str]  # os, os_version, card_reader, card_kind, network


@dataclass(frozen=True)
class Workstation:
    practitioner: str
    name: str
    situation: str
    software_version: str
    config: Config


class Sink(Protocol):
    def prescription(self, eid: str, ts: str, w: int, category: str, pid: str | None) -> None: ...
    def call(self, eid: str, ts: str, w: int, operation: str, pid: str | None, outcome: str,
             status: int | None, code: str | None, duration: int) -> None: ...
    def workstation(self, eid: str, ts: str, w: int) -> None: ...
    def generic(self, row: dict[str, Any]) -> None: ...
    def broken(self) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


def _text_handle(path: Path, compressed: bool) -> IO[str]:
    raw = path.open("wb")
    if not compressed:
        return io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
    # mtime=0 and no file name in the header: the same records give the same bytes.
    zipped = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
    return _ClosingText(zipped, raw)


class _ClosingText(io.TextIOWrapper):
    """A text wrapper over a GzipFile that also closes the underlying file."""

    def __init__(self, zipped: gzip.GzipFile, raw: IO[bytes]) -> None:
        super().__init__(zipped, encoding="utf-8", newline="\n")
        self._raw = raw

    def close(self) -> None:
        super().close()
        self._raw.close()


class _TextSink:
    """Shared buffering of the text formats."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle
        self.buffer: list[str] = []

    def flush(self) -> None:
        self.handle.write("".join(self.buffer))
        self.buffer.clear()

    def close(self) -> None:
        self.flush()
        self.handle.close()


class JsonlSink(_TextSink):
    def __init__(self, handle: IO[str], workstations: Sequence[Workstation]) -> None:
        super().__init__(handle)
        self.common = [f'"practitioner":"{w.practitioner}","situation":"{w.situation}",'
                       f'"workstation":"{w.name}","software_version":"{w.software_version}"'
                       for w in workstations]
        configs = [dict(zip(COLUMNS[15:], w.config, strict=True)) for w in workstations]
        self.configs = [json.dumps(c, separators=(",", ":"))[1:-1] for c in configs]

    def prescription(self, eid: str, ts: str, w: int, category: str, pid: str | None) -> None:
        tail = f'"digital":true,"prescription_id":"{pid}"' if pid else '"digital":false'
        self.buffer.append(f'{{"event_id":"{eid}","ts":"{ts}",{self.common[w]},"type":"prescription",'
                           f'"category":"{category}",{tail}}}\n')

    def call(self, eid: str, ts: str, w: int, operation: str, pid: str | None, outcome: str,
             status: int | None, code: str | None, duration: int) -> None:
        pid_json = f'"{pid}"' if pid else "null"
        status_json = "null" if status is None else status
        code_json = f'"{code}"' if code else "null"
        self.buffer.append(f'{{"event_id":"{eid}","ts":"{ts}",{self.common[w]},"type":"call",'
                           f'"operation":"{operation}","prescription_id":{pid_json},"outcome":"{outcome}",'
                           f'"http_status":{status_json},"error_code":{code_json},'
                           f'"duration_ms":{duration}}}\n')

    def workstation(self, eid: str, ts: str, w: int) -> None:
        self.buffer.append(f'{{"event_id":"{eid}","ts":"{ts}",{self.common[w]},"type":"workstation",'
                           f'{self.configs[w]}}}\n')

    def generic(self, row: dict[str, Any]) -> None:
        self.buffer.append(json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n")

    def broken(self) -> None:
        self.buffer.append('{"event_id":"broken-line","ts":"2025-01-13T09:00:00+01:00","type":"call",\n')


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CsvSink(_TextSink):
    def __init__(self, handle: IO[str], workstations: Sequence[Workstation]) -> None:
        super().__init__(handle)
        self.buffer.append(",".join(COLUMNS) + "\n")
        self.common = [f"{w.practitioner},{w.situation},{w.name},{w.software_version}" for w in workstations]
        self.configs = [",".join(w.config) for w in workstations]

    def prescription(self, eid: str, ts: str, w: int, category: str, pid: str | None) -> None:
        tail = f"true,{pid}" if pid else "false,"
        self.buffer.append(f"{eid},{ts},{self.common[w]},prescription,{category},{tail},,,,,,,,,,\n")

    def call(self, eid: str, ts: str, w: int, operation: str, pid: str | None, outcome: str,
             status: int | None, code: str | None, duration: int) -> None:
        self.buffer.append(f"{eid},{ts},{self.common[w]},call,,,{pid or ''},{operation},{outcome},"
                           f"{'' if status is None else status},{code or ''},{duration},,,,,\n")

    def workstation(self, eid: str, ts: str, w: int) -> None:
        self.buffer.append(f"{eid},{ts},{self.common[w]},workstation,,,,,,,,,{self.configs[w]}\n")

    def generic(self, row: dict[str, Any]) -> None:
        self.buffer.append(",".join(_csv_cell(row.get(name)) for name in COLUMNS) + "\n")

    def broken(self) -> None:
        self.buffer.append("broken-line,2025-01-13T09:00:00+01:00,call\n")


class ParquetSink:
    """Rows collected as tuples and written as one row group per PARQUET_BATCH rows."""

    def __init__(self, path: Path, workstations: Sequence[Workstation]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"digital": pa.bool_(), "http_status": pa.int32(), "duration_ms": pa.int64()}
        self.pa = pa
        self.schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
        self.writer = pq.ParquetWriter(path, self.schema, compression="snappy")
        self.common = [(w.practitioner, w.situation, w.name, w.software_version) for w in workstations]
        self.configs = [w.config for w in workstations]
        self.rows: list[tuple[Any, ...]] = []

    def prescription(self, eid: str, ts: str, w: int, category: str, pid: str | None) -> None:
        self.rows.append((eid, ts, *self.common[w], "prescription", category, pid is not None, pid,
                          None, None, None, None, None, None, None, None, None, None))

    def call(self, eid: str, ts: str, w: int, operation: str, pid: str | None, outcome: str,
             status: int | None, code: str | None, duration: int) -> None:
        self.rows.append((eid, ts, *self.common[w], "call", None, None, pid, operation, outcome, status, code,
                          duration, None, None, None, None, None))

    def workstation(self, eid: str, ts: str, w: int) -> None:
        self.rows.append((eid, ts, *self.common[w], "workstation", None, None, None, None, None, None, None,
                          None, *self.configs[w]))

    def generic(self, row: dict[str, Any]) -> None:
        self.rows.append(tuple(row.get(name) for name in COLUMNS))

    def broken(self) -> None:
        # A Parquet file has no unparseable line: the nearest thing is a value that breaks the contract.
        self.generic({"event_id": "broken-line", "ts": "not-a-date", "practitioner": "broken",
                      "situation": "liberal", "workstation": "broken", "software_version": "5.2.0",
                      "type": "call"})

    def flush(self) -> None:
        while len(self.rows) >= PARQUET_BATCH:
            self._write(self.rows[:PARQUET_BATCH])
            del self.rows[:PARQUET_BATCH]

    def _write(self, rows: list[tuple[Any, ...]]) -> None:
        columns = list(zip(*rows, strict=True))
        arrays = [self.pa.array(list(column), type=field.type)
                  for column, field in zip(columns, self.schema, strict=True)]
        self.writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        if self.rows:
            self._write(self.rows)
            self.rows.clear()
        self.writer.close()


def open_sink(path: Path, fmt: str, workstations: Sequence[Workstation]) -> Sink:
    if fmt == "parquet":
        return ParquetSink(path, workstations)
    handle = _text_handle(path, compressed=fmt == "jsonl.gz")
    if fmt == "csv":
        return CsvSink(handle, workstations)
    return JsonlSink(handle, workstations)


class Registrations(Protocol):
    """Where the registry's answers go: registrations.csv offline, nowhere when a real service keeps them."""

    def add(self, pid: str, practitioner: str, registered_at: str, reject_code: str | None) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


class RegistrationSink(_TextSink):
    """registrations.csv: one row per e-prescription the registry answered about."""

    def __init__(self, path: Path) -> None:
        super().__init__(path.open("w", encoding="utf-8", newline="\n"))
        self.buffer.append("prescription_id,practitioner,registered_at,status,reject_code\n")

    def add(self, pid: str, practitioner: str, registered_at: str, reject_code: str | None) -> None:
        status = "rejected" if reject_code else "registered"
        self.buffer.append(f"{pid},{practitioner},{registered_at},{status},{reject_code or ''}\n")
