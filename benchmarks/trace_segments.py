"""Segments of a service's trace store (decision 0003): what the engine pays to read a pilot's traces as many small
segments, JSON Lines or Parquet, against one file; what a segment costs to write; what it takes on disk.

    python benchmarks/trace_segments.py [--records 1000000] [--segment 1000] [--repeat 5] [--workdir DIR]

Reuses (or writes) the simulated pilot of `assess_scale.py` (DIR/<N>, one JSON Lines file), then builds, once:
  (a) that folder as it is,
  (b) its records cut into segments of `--segment` lines, appended to a `SegmentStore` as JSON Lines,
  (c) the same segments converted to Parquet (the simulator's column types) and appended,
  (d) with `--variant jsonl_gz_segments`, the same segments gzipped,
each assessed as a folder whose `traces/` is the store's phase folder (a link: the names the engine reads are
the segments'), `preserie assess --json` in a fresh process, the folders taking turns, median of `--repeat`. The
counts must agree. Then the cost of appending one batch in each format, from the bytes a collector receives, and
the size on disk. Prints a table and writes benchmarks/results/trace_segments-<N>.json.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assess_scale import RESULTS, Command, ensure_pilot, run_in_turns, tool_counts
from preserie.adapters.trace_segments import SegmentStore
from preserie.simulate.writers import COLUMNS

HERE = Path(__file__).resolve().parent
SIDE_FILES = ("pilot.yaml", "registrations.csv", "anomalies.csv", "survey.csv")


def parquet_of(batch: bytes) -> bytes:
    """A batch of JSON Lines as the Parquet a collector would write: the simulator's types, snappy."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    types = {"digital": pa.bool_(), "http_status": pa.int32(), "duration_ms": pa.int64()}
    schema = pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])
    table = pj.read_json(io.BytesIO(batch), parse_options=pj.ParseOptions(explicit_schema=schema))
    out = io.BytesIO()
    pq.write_table(table, out, compression="snappy")
    return out.getvalue()


def batches_of(path: Path, size: int) -> list[bytes]:
    lines = path.read_bytes().splitlines(keepends=True)
    return [b"".join(lines[start:start + size]) for start in range(0, len(lines), size)]


def gzipped(batch: bytes) -> bytes:
    return gzip.compress(batch, 6, mtime=0)


# The segment folders: how a collector batch is encoded before it is appended, and the segments' suffix.
VARIANTS: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "jsonl_segments": (lambda batch: batch, ".jsonl"), "parquet_segments": (parquet_of, ".parquet"),
    "jsonl_gz_segments": (gzipped, ".jsonl.gz")}


def build(pilot: Path, work: Path, size: int, variants: list[str]) -> dict[str, Path]:
    """The folders to assess: the pilot's own, and one per variant whose `traces/` links to the store's phase
    folder; the segments are made once and kept (pilot.yaml, copied last, marks a complete folder)."""
    store = SegmentStore(work / "store")
    batches: list[bytes] | None = None
    folders = {"one_jsonl": pilot}
    for key in variants:
        encode, suffix = VARIANTS[key]
        folder, pilot_key = work / key, key.replace("_", "-")
        if not (folder / "pilot.yaml").exists():
            batches = batches or batches_of(pilot / "traces" / "part-0001.jsonl", size)
            shutil.rmtree(folder, ignore_errors=True)
            shutil.rmtree(store.folder(pilot_key, 1), ignore_errors=True)
            for batch in batches:
                store.append(pilot_key, 1, encode(batch), suffix=suffix, origin="collector")
            folder.mkdir(parents=True)
            (folder / "traces").symlink_to(store.folder(pilot_key, 1).resolve())
            for name in (*SIDE_FILES[1:], SIDE_FILES[0]):
                shutil.copyfile(pilot / name, folder / name)
        folders[key] = folder
    return folders


def write_costs(pilot: Path, work: Path, size: int, repeat: int) -> dict[str, Any]:
    """Median milliseconds to append one batch of `size` records (from the bytes received), per format."""
    batch = batches_of(pilot / "traces" / "part-0001.jsonl", size)[1]
    store = SegmentStore(work / "write-costs")
    shutil.rmtree(store.root, ignore_errors=True)
    makers: dict[str, Callable[[], bytes]] = {
        ".jsonl": lambda: batch, ".jsonl.gz": lambda: gzipped(batch),
        ".parquet": lambda: parquet_of(batch)}
    parquet_of(batch)  # pyarrow's import is paid once per process, not per batch
    costs: dict[str, Any] = {}
    for suffix, make in makers.items():
        times, encode = [], []
        for _ in range(repeat):
            began = time.perf_counter()
            data = make()
            encoded = time.perf_counter()
            store.append("w", 1, data, suffix=suffix)
            times.append(time.perf_counter() - began)
            encode.append(encoded - began)
        costs[suffix] = {"ms": round(statistics.median(times) * 1000, 2),
                         "encode_ms": round(statistics.median(encode) * 1000, 2), "bytes": len(data)}
    return costs


def counts_of(result: dict[str, Any]) -> dict[str, Any]:
    """The C1/C2/C3 counts and every count of data_quality: what must not depend on how the traces are cut."""
    quality = {key: value for key, value in result["data_quality"].items() if isinstance(value, int)}
    return {**tool_counts(result), "data_quality": quality, "decision": result["decision"]}


def disk(folder: Path) -> dict[str, Any]:
    files = [folder / name for name in os.listdir(folder) if not name.startswith(".")]
    stats = [path.stat() for path in files]
    return {"files": len(files), "bytes": sum(s.st_size for s in stats),
            "allocated_bytes": sum(s.st_blocks * 512 for s in stats)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--segment", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--variant", action="append", choices=list(VARIANTS),
                        help="segment folders to assess (default: jsonl_segments and parquet_segments)")
    args = parser.parse_args()
    summary = ensure_pilot(args.workdir, args.records, seed=1)
    pilot, work = args.workdir / str(args.records), args.workdir / f"segments-{args.records}-{args.segment}"
    folders = build(pilot, work, args.segment, args.variant or ["jsonl_segments", "parquet_segments"])
    preserie = shutil.which("preserie", path=str(Path(sys.executable).parent)) or "preserie"
    commands: dict[str, Command] = {key: ([preserie, "assess", str(folder), "--json"], (0, 1))
                                    for key, folder in folders.items()}
    out = {key: work / f"{key}.json" for key in folders}
    timings = run_in_turns(commands, out, args.repeat)
    counts = {key: counts_of(json.loads(path.read_text())) for key, path in out.items()}
    agree = all(found == counts["one_jsonl"] for found in counts.values())
    result = {"records": args.records, "segment": args.segment, "generator_seconds": summary["seconds"],
              "assess": timings, "counts_agree": agree,
              "write_one_batch": write_costs(pilot, work, args.segment, max(50, args.repeat)),
              "disk": {"one_jsonl": disk(pilot / "traces"),
                       **{key: disk(folders[key] / "traces") for key in folders if key != "one_jsonl"}}}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"trace_segments-{args.records}.json").write_text(json.dumps(result, indent=1) + "\n")
    for key, timing in timings.items():
        size = result["disk"][key]
        print(f"{key:>17}: {timing['seconds']:.2f} s, {timing['peak_mib']} MiB; {size['files']} files, "
              f"{size['bytes'] / 1e6:.0f} MB ({size['allocated_bytes'] / 1e6:.0f} MB allocated)")
    for suffix, cost in result["write_one_batch"].items():
        print(f"append {args.segment} records as {suffix}: {cost['ms']} ms ({cost['encode_ms']} ms encoding), "
              f"{cost['bytes']:,} bytes")
    print("counts agree" if agree else "!! COUNTS DIFFER between the readings")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
