"""The collector's throughput through HTTP, against loading the same records straight into the trace store.

    python benchmarks/collector_load.py [--records 600000] [--clients 64] [--batch 1000] [--seconds 120]
                                        [--repeat 1] [--workdir DIR] [--plain]

Issue 11's acceptance point: « records per second accepted through HTTP, batches of 1,000 from concurrent
clients, against loading the same records straight into the trace store in the same run; at least 100,000
records a second through HTTP on the 2-core machine ». The records are the seeded simulator's (a pilot of
--records records and --clients practitioners, in DIR/collector-<N>-<C>, written once and reused); each
practitioner's records, in file order, are cut into batches of --batch lines and gzipped beforehand, as a
workstation sends them (adapters/collector_client.py). Then, --repeat times, in turns:
  (a) HTTP: a fresh registry (`preserie pilots import` of the pilot without its traces, a vendor account), a real
      `preserie serve` on 127.0.0.1 and a free port, one workstation enrolled per practitioner through the API
      (and an empty batch of each, refused 422: the route and the engine warmed up, nothing stored),
      then --clients threads (one workstation each, its own keep-alive connection) posting their batches one
      after the other, each with its Idempotency-Key, until all are acknowledged or --seconds have passed (a 429
      waits its Retry-After). The rate: records acknowledged (201: accepted + duplicated + rejected) over the
      seconds from the first POST to the last answer.
  (b) direct: the same batches, in the same process, appended to a fresh `SegmentStore` by as many threads (each
      segment written, fsync-ed and linked as the collector's are), then read once by the engine
      (`DuckdbTraceStore.load_traces` of those segments: step 1 of SPEC §5, the check the collector must make
      before it answers). That is the least any way in must do to hold the records durably and checked: what (a)
      costs above it is HTTP, the tokens, exactly-once and the duplicates index. The parsed runs
      (`trace_runs.prepare`) are the assessment's, not the collector's, and are left out of both.
Prints both rates and their ratio, and the CPU time each took a record (the server process's, every thread, and
its check processes'; the direct load's process): on a shared machine the rates follow the load, the CPU a record
much less. Writes
benchmarks/results/collector_load.json (with the load average before and after) and exits 1 when the goal
(GOALS) is missed or a batch failed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from service_assess import _preserie, peak_mib, start_service

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
GOALS = {"http_records_per_second_min": 100_000}
VENDOR = "Simulé SAS"  # the simulator's vendor: its account may enrol the pilot's workstations


@dataclass(frozen=True)
class Batch:
    key: str
    records: int
    body: bytes  # as sent (gzipped unless --plain)
    plain: bytes  # decompressed: what the segment holds


@dataclass(eq=False)  # a thread stays hashable
class Sender(threading.Thread):
    """One workstation posting its batches one after the other, each until it is answered."""

    url: str
    token: str
    batches: list[Batch]
    deadline: float
    compressed: bool
    answers: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    failure: str | None = None
    last_answer: float = 0.0

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        """Over one keep-alive connection of the standard library's client: httpx cost the clients, which share
        the server's two cores, some 3 ms of CPU a batch (with 64 threads in one process), this one a third."""
        url = urlsplit(self.url)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/x-ndjson"}
        if self.compressed:
            headers["Content-Encoding"] = "gzip"
        http = HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
        try:
            for batch in self.batches:
                if time.monotonic() > self.deadline or self.failure:
                    return
                while True:
                    began = time.perf_counter()
                    http.request("POST", url.path, body=batch.body, headers={**headers, "Idempotency-Key": batch.key})
                    response = http.getresponse()
                    text = response.read()
                    if response.status == 429:
                        self.answers["waited"] += 1
                        time.sleep(float(response.getheader("Retry-After", "1")))
                        continue
                    break
                self.last_answer = time.perf_counter()
                self.latencies.append(self.last_answer - began)
                if response.status != 201:
                    self.failure = f"{batch.key}: {response.status} {text[:300]!r}"
                    return
                answer = json.loads(text)
                self.answers.update(batches=1, records=answer["records"], accepted=answer["accepted"],
                                    duplicated=answer["duplicated"], rejected=answer["rejected"])
        finally:
            http.close()


def ensure_folder(workdir: Path, records: int, practitioners: int, seed: int) -> Path:
    """The simulated pilot (written once; pilot.yaml last, so that it marks a complete folder)."""
    from preserie.simulate import write_pilot

    folder = workdir / f"collector-{records}-{practitioners}"
    if not (folder / "pilot.yaml").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        write_pilot(folder, seed=seed, records=records, practitioners=practitioners, formats=("jsonl",))
    return folder


def cut(folder: Path, size: int, compressed: bool) -> dict[str, list[Batch]]:
    """Each enrolled practitioner's records, in file order, in batches of `size` lines."""
    declared = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    enrolled = {p["id"] for p in declared["practitioners"] if p.get("installed_on") and p.get("equipped")}
    lines: dict[str, list[bytes]] = {ref: [] for ref in sorted(enrolled)}
    for path in sorted((folder / "traces").glob("*.jsonl")):
        with path.open("rb") as handle:
            for line in handle:
                ref = json.loads(line).get("practitioner")
                if ref in lines:
                    lines[ref].append(line)
    batches: dict[str, list[Batch]] = {}
    for ref, mine in lines.items():
        chunks = [b"".join(mine[start:start + size]) for start in range(0, len(mine), size)]
        batches[ref] = [Batch(f"load-{ref}-{n}", chunk.count(b"\n"),
                              gzip.compress(chunk, 6) if compressed else chunk, chunk)
                        for n, chunk in enumerate(chunks)]
    return {ref: found for ref, found in batches.items() if found}


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system, every thread) a process and its living children (the collector's check
    processes) have used so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # ended meanwhile
        return 0.0
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # a thread ended meanwhile
            children.update(int(child) for child in (task / "children").read_text().split())
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK") + sum(map(cpu_seconds, children))


def _run(*args: str) -> str:
    return subprocess.run([_preserie(), *args], capture_output=True, text=True, check=True).stdout.strip()


def through_http(folder: Path, batches: dict[str, list[Batch]], scratch: Path, args: argparse.Namespace
                 ) -> dict[str, Any]:
    """(a): a fresh registry and service, the batches posted by one thread per workstation."""
    bare, data = scratch / "bare", scratch / "registry"
    shutil.copytree(folder, bare, ignore=shutil.ignore_patterns("traces"))
    (bare / "traces").mkdir()
    pilot = _run("pilots", "import", str(bare), "--data", str(data))
    vendor = _run("accounts", "create", "--role", "vendor", "--name", "Éditeur", "--vendor", VENDOR, "--data",
                  str(data))
    process, url = start_service(data, scratch / "serve.log", keep=True)
    try:
        tokens = {}
        with httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {vendor}"}) as client:
            for ref in batches:
                made = client.post(f"/pilots/{pilot}/practitioners/{ref}/workstations")
                if made.status_code != 201:
                    sys.exit(f"!! enrolment of {ref}: {made.status_code} {made.text}")
                tokens[ref] = made.json()["token"]
            for ref, token in tokens.items():  # the route and the check's engine warmed up: an empty batch, refused
                empty = client.post(f"/pilots/{pilot}/traces", content=b"", headers={
                    "Authorization": f"Bearer {token}", "Idempotency-Key": f"warm-up-{ref}"})
                if empty.status_code != 422:
                    sys.exit(f"!! warm-up of {ref}: {empty.status_code} {empty.text}")
        cpu_before, began = cpu_seconds(process.pid), time.perf_counter()
        deadline = time.monotonic() + args.seconds
        senders = [Sender(f"{url}/api/v1/pilots/{pilot}/traces", tokens[ref], mine, deadline, not args.plain)
                   for ref, mine in batches.items()]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        ended = max((s.last_answer for s in senders), default=began)
        server_cpu = cpu_seconds(process.pid) - cpu_before
        server_mib = peak_mib(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    answers: Counter[str] = Counter()
    for sender in senders:
        answers.update(sender.answers)
    latencies = sorted(x for s in senders for x in s.latencies)
    seconds = max(ended - began, 1e-9)
    stored = sum(1 for _ in (data / "traces").glob(f"pilot={pilot}/phase=1/*-collector.*.jsonl"))
    return {"seconds": round(seconds, 3), "records": answers["records"], "batches": answers["batches"],
            "records_per_second": round(answers["records"] / seconds), "answers": dict(answers),
            "segments": stored, "server_peak_mib": server_mib, "server_cpu_seconds": round(server_cpu, 2),
            "cpu_us_per_record": round(1e6 * server_cpu / max(answers["records"], 1), 1),
            "latency_ms": {"p50": round(1000 * latencies[len(latencies) // 2], 1) if latencies else None,
                           "p95": round(1000 * latencies[int(len(latencies) * 0.95)], 1) if latencies else None},
            "failures": [s.failure for s in senders if s.failure],
            "complete": answers["batches"] == sum(len(b) for b in batches.values())}


def straight(batches: dict[str, list[Batch]], scratch: Path) -> dict[str, Any]:
    """(b): the same batches appended to a SegmentStore by one thread per workstation, then step 1 over them."""
    from preserie.adapters.duckdb_trace_store import DuckdbTraceStore
    from preserie.adapters.trace_segments import SegmentStore
    from preserie.data import load_reference

    store, reference, key = SegmentStore(scratch / "direct"), load_reference(), "direct"

    def append(mine: list[Batch]) -> None:
        for batch in mine:
            store.append(key, 1, batch.plain, origin=f"collector.{batch.key}")

    cpu_before, began = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(len(batches)) as pool:
        list(pool.map(append, batches.values()))
    appended = time.perf_counter()
    files = store.files(key, 1)
    with DuckdbTraceStore(reference) as engine:
        engine.load_traces(files, lambda _: None)
        records = int(engine.con.execute("SELECT count(*) FROM records").fetchone()[0])  # type: ignore[index]
    ended, cpu = time.perf_counter(), time.process_time() - cpu_before
    return {"seconds": round(ended - began, 3), "append_seconds": round(appended - began, 3),
            "check_seconds": round(ended - appended, 3), "records": records, "segments": len(files),
            "cpu_seconds": round(cpu, 2), "cpu_us_per_record": round(1e6 * cpu / max(records, 1), 1),
            "records_per_second": round(records / (ended - began))}


def bench(args: argparse.Namespace) -> dict[str, Any]:
    args.workdir.mkdir(parents=True, exist_ok=True)
    folder = ensure_folder(args.workdir, args.records, args.clients, args.seed)
    batches = cut(folder, args.batch, not args.plain)
    total = sum(b.records for mine in batches.values() for b in mine)
    print(f"== {total:,} records of {len(batches)} workstations in {sum(len(b) for b in batches.values())} "
          f"batches of {args.batch:,} ({'plain' if args.plain else 'gzip'}), from {folder}", flush=True)
    turns: dict[str, list[dict[str, Any]]] = {"http": [], "direct": []}
    load = {"before": os.getloadavg()}
    for turn in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="collector-load-", dir=args.workdir) as scratch:
            turns["http"].append(through_http(folder, batches, Path(scratch) / "http", args))
            turns["direct"].append(straight(batches, Path(scratch)))
        http, direct = turns["http"][-1], turns["direct"][-1]
        print(f"   {turn + 1}/{args.repeat} HTTP {http['records_per_second']:,} records/s ({http['records']:,} in "
              f"{http['seconds']} s, p50 {http['latency_ms']['p50']} ms a batch, server CPU "
              f"{http['cpu_us_per_record']} µs a record) | direct {direct['records_per_second']:,} records/s "
              f"({direct['seconds']} s: append {direct['append_seconds']} s, check {direct['check_seconds']} s; CPU "
              f"{direct['cpu_us_per_record']} µs a record) | load {os.getloadavg()[0]:.1f}", flush=True)
    load["after"] = os.getloadavg()
    rate = {name: statistics.median(t["records_per_second"] for t in done) for name, done in turns.items()}
    cpu = {name: statistics.median(t["cpu_us_per_record"] for t in done) for name, done in turns.items()}
    ratios = [round(h["records_per_second"] / d["records_per_second"], 3)
              for h, d in zip(turns["http"], turns["direct"], strict=True)]
    return {"records": total, "clients": len(batches), "batch": args.batch, "gzip": not args.plain,
            "seconds_cap": args.seconds, "turns": turns, "http_records_per_second": rate["http"],
            "direct_records_per_second": rate["direct"], "http_over_direct": ratios,
            "cpu_us_per_record": cpu,
            "http_over_direct_median": statistics.median(ratios), "load_average": load,
            "failures": [f for t in turns["http"] for f in t["failures"]]
            + [f"turn {n + 1}: not every batch was acknowledged within {args.seconds} s"
               for n, t in enumerate(turns["http"]) if not t["complete"]]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=600_000, help="records simulated (all of them are sent)")
    parser.add_argument("--clients", type=int, default=64,
                        help="workstations posting at once (one practitioner each; a présérie has tens of doctors)")
    parser.add_argument("--batch", type=int, default=1000, help="records a batch")
    parser.add_argument("--seconds", type=float, default=120, help="no batch is sent after this many seconds")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plain", action="store_true", help="post the batches without gzip")
    result = bench(parser.parse_args())
    print(f"\nHTTP {result['http_records_per_second']:,.0f} records/s | direct "
          f"{result['direct_records_per_second']:,.0f} records/s | HTTP/direct {result['http_over_direct']} "
          f"(median {result['http_over_direct_median']}) | CPU µs a record: HTTP server "
          f"{result['cpu_us_per_record']['http']}, direct {result['cpu_us_per_record']['direct']} | load average "
          f"{result['load_average']}")
    failures = list(result["failures"])
    if result["http_records_per_second"] < GOALS["http_records_per_second_min"]:
        failures.append(f"HTTP {result['http_records_per_second']:,.0f} records/s < "
                        f"{GOALS['http_records_per_second_min']:,}")
    result["goal_failures"] = failures
    print("GOAL: " + ("met" if not failures else "NOT met: " + "; ".join(failures)))
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform(), "when": dt.datetime.now(dt.UTC).isoformat()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "collector_load.json").write_text(json.dumps(result, indent=1) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
