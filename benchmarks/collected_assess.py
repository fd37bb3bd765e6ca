"""A collected pilot's bilan, from its parsed runs and kept, against the same pilot's JSON Lines folder.

    python benchmarks/collected_assess.py --records 10000000 [--repeat 3] [--segment 1000] [--workdir DIR]

Issue 11's two goals: « a pilot of 10 M collected records is assessed in at most a quarter of the time the same
pilot takes from its JSON Lines folder, with the same JSON », and « the service's cached assessment answers in
under 100 ms ». The pilot is assess_scale.py's (DIR/<N>); its trace lines are cut into segments of --segment
records, as the collector stores its batches, in a registry (DIR/<N>.collected); a first request makes the
parsed runs (the one time the JSON is read), then, in turns:
  (a) `preserie assess DIR/<N> --json`, a fresh process (wall seconds);
  (b) `GET …/assessment` on a service that computes every bilan again (PRESERIE_ASSESSMENT_CACHE=0), from the runs;
  (c) `GET …/assessment` on a service that keeps its last bilan (the default).
(b) reads the phase's summary (decision 0006): what a bilan costs when the records did not change but the
declaration, the side files or the moment did. Then, once, (d): the summary removed, `GET …/assessment` on the
service of (b), which makes it again from the runs: what the first bilan after a new batch or registry extract
costs (less compacting the new batch's segment). No goal for (d); its ratio is reported. Last, (e): on a copy
of the registry, a workstation enrolled and a batch of --batch new records posted through the collector; the
seconds from its acknowledgement to the first bilan that counts it (« the pilot's assessment reflects a batch
within seconds of its acknowledgement »), checked by the bilan's events read.
Prints the ratios, checks that the JSON of (b), (c) and (d) is (a)'s, notes the machine's load and busiest other
processes, writes benchmarks/results/collected_assess-<N>.json and exits 1 when the JSON differs or a goal is
missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from assess_scale import RESULTS, ensure_pilot, measure
from collector_load import VENDOR, _run
from service_assess import _preserie, cnam_token, get_assessment, peak_mib, start_service

HERE = Path(__file__).resolve().parent
GOALS = {"runs_over_folder_seconds_max": 0.25, "kept_seconds_max": 0.1}


def ensure_collected(workdir: Path, records: int, folder: Path, segment: int) -> tuple[Path, str, float | None]:
    """A registry holding the pilot, its traces cut into segments as the collector stores batches."""
    data, id_file = workdir / f"{records}.collected", workdir / f"{records}.collected.id"
    if id_file.is_file() and data.is_dir():
        return data, id_file.read_text().strip(), None
    shutil.rmtree(data, ignore_errors=True)
    bare = workdir / f"{records}.bare"
    shutil.rmtree(bare, ignore_errors=True)
    shutil.copytree(folder, bare, ignore=shutil.ignore_patterns("traces"))
    (bare / "traces").mkdir()
    done = subprocess.run([_preserie(), "pilots", "import", str(bare), "--data", str(data)], capture_output=True,
                          text=True, check=True)
    key = done.stdout.strip()
    from preserie.adapters.trace_segments import SegmentStore

    store, began = SegmentStore(data / "traces"), time.perf_counter()
    for path in sorted((folder / "traces").iterdir()):
        with path.open("rb") as lines:
            chunk: list[bytes] = []
            for line in lines:
                chunk.append(line)
                if len(chunk) == segment:
                    store.append(key, 1, b"".join(chunk))
                    chunk = []
            if chunk:
                store.append(key, 1, b"".join(chunk))
    shutil.rmtree(bare)
    id_file.write_text(key + "\n")
    return data, key, round(time.perf_counter() - began, 3)


def machine_load() -> dict[str, Any]:
    """The load average and the busiest processes (command names only): what else was running."""
    done = subprocess.run(["ps", "-eo", "pcpu,rss,comm", "--sort=-pcpu"], capture_output=True, text=True,
                          check=False)
    busiest = [" ".join(line.split()) for line in done.stdout.splitlines()[1:9]]
    return {"loadavg": os.getloadavg(), "busiest": busiest}


def drop_summaries(data: Path, pilot: str) -> int:
    """Remove the phase's summaries (trace_summary), so that the next bilan makes one again from the runs."""
    found = list((data / "traces").glob(f"pilot={pilot}/phase=*/_parsed/summary-*"))
    for path in found:
        path.unlink()
    return len(found)


def new_batch(folder: Path, size: int) -> tuple[str, bytes]:
    """``size`` records of the pilot's first practitioner in the liberal situation, as its workstation would send
    them again but as new events (each event_id made new): a batch the collector accepts whole."""
    practitioner, lines = None, []
    for path in sorted((folder / "traces").iterdir()):
        with path.open("rb") as reading:
            for line in reading:
                record = json.loads(line)
                if practitioner is None and record.get("situation") == "liberal":
                    practitioner = record["practitioner"]
                if record.get("practitioner") == practitioner:
                    record["event_id"] = f"freshness-{len(lines):06d}"
                    lines.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
                    if len(lines) == size:
                        return str(practitioner), b"".join(lines)
    sys.exit(f"!! fewer than {size} records of one liberal practitioner in {folder}")


def after_a_batch(data: Path, pilot: str, folder: Path, token: str, workdir: Path, size: int) -> dict[str, Any]:
    """(e): on a copy of the registry (the segments and runs hard-linked, never changed; its database copied), a
    service that keeps its bilans, a workstation enrolled, one batch of ``size`` new records posted through the
    collector; then the seconds from its acknowledgement to the first bilan that counts it (parsing the new
    segment, making the phase's summary again, the bilan). The original registry is left as it was."""
    copy = workdir / f"{data.name}.batch"
    shutil.rmtree(copy, ignore_errors=True)
    subprocess.run(["cp", "-al", str(data), str(copy)], check=True)
    for name in ("registry.db", "registry.db-wal", "registry.db-shm", "serving.lock"):
        if (data / name).is_file():
            (copy / name).unlink()
            shutil.copy2(data / name, copy / name)
    vendor = _run("accounts", "create", "--role", "vendor", "--name", "Éditeur", "--vendor", VENDOR, "--data",
                  str(copy))
    practitioner, body = new_batch(folder, size)
    process, url = start_service(copy, workdir / f"{data.name}.batch.log", keep=True)
    try:
        with httpx.Client(base_url=f"{url}/api/v1", timeout=3600) as client:
            cnam = {"Authorization": f"Bearer {token}"}
            before = client.get(f"/pilots/{pilot}/assessment", headers=cnam).json()["data_quality"]
            made = client.post(f"/pilots/{pilot}/practitioners/{practitioner}/workstations",
                               headers={"Authorization": f"Bearer {vendor}"})
            if made.status_code != 201:
                sys.exit(f"!! enrolment of {practitioner}: {made.status_code} {made.text}")
            posted = client.post(f"/pilots/{pilot}/traces", content=gzip.compress(body), headers={
                "Authorization": f"Bearer {made.json()['token']}", "Content-Type": "application/x-ndjson",
                "Content-Encoding": "gzip", "Idempotency-Key": "freshness-1"})
            acknowledged = time.perf_counter()
            answer = posted.json()
            if posted.status_code != 201 or answer["accepted"] != size:
                sys.exit(f"!! the batch: {posted.status_code} {posted.text[:500]}")
            response = client.get(f"/pilots/{pilot}/assessment", headers=cnam)
            after = response.json()["data_quality"]
            seconds = time.perf_counter() - acknowledged
            again_began = time.perf_counter()
            client.get(f"/pilots/{pilot}/assessment", headers=cnam).raise_for_status()
            again = time.perf_counter() - again_began
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(copy, ignore_errors=True)
    counted = after["events_read"] - before["events_read"]
    return {"batch": size, "practitioner_records_accepted": answer["accepted"], "events_read_before":
            before["events_read"], "events_read_after": after["events_read"], "counted": counted == size,
            "seconds_to_bilan": round(seconds, 3), "next_view_seconds": round(again, 3)}


def bench(args: argparse.Namespace) -> dict[str, Any]:
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    summary = ensure_pilot(workdir, args.records, args.seed)
    folder = workdir / str(args.records)
    data, pilot, cut_seconds = ensure_collected(workdir, args.records, folder, args.segment)
    segments = sum(1 for _ in (data / "traces").glob(f"pilot={pilot}/phase=1/*.jsonl"))
    print(f"== {args.records:,} records, {segments:,} segments of {args.segment:,} in {data}", flush=True)
    token = cnam_token(data)
    out = {name: workdir / f"{args.records}.{name}.json" for name in ("folder", "runs", "kept", "rebuilt")}
    load_before = machine_load()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in out}
    recompute, recompute_url = start_service(data, workdir / f"{args.records}.runs.log", keep=False)
    keeping, keeping_url = start_service(data, workdir / f"{args.records}.kept.log", keep=True)
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=3600) as client:
            first = get_assessment(client, recompute_url, pilot, out["runs"])  # makes the parsed runs
            print(f"   first request (reads the JSON once, makes the runs): {first['seconds']} s", flush=True)
            get_assessment(client, keeping_url, pilot, out["kept"])  # its first bilan, kept from then on
            for turn in range(args.repeat):
                runs["folder"].append(measure([_preserie(), "assess", str(folder), "--json"], out["folder"]))
                runs["runs"].append(get_assessment(client, recompute_url, pilot, out["runs"]))
                runs["kept"].append(get_assessment(client, keeping_url, pilot, out["kept"]))
                print(f"   {turn + 1}/{args.repeat} " + ", ".join(f"{name}: {r[-1]['seconds']} s"
                                                                  for name, r in runs.items() if r), flush=True)
            dropped = drop_summaries(data, pilot)
            runs["rebuilt"].append(get_assessment(client, recompute_url, pilot, out["rebuilt"]))
            print(f"   summary made again ({dropped} files removed first): {runs['rebuilt'][-1]['seconds']} s",
                  flush=True)
        service_mib = peak_mib(recompute.pid)
    finally:
        for process in (recompute, keeping):
            process.terminate()
            process.wait(30)
    batch = after_a_batch(data, pilot, folder, token, workdir, args.batch)
    print(f"   a batch of {args.batch:,} through the collector: counted by the bilan {batch['seconds_to_bilan']} s "
          f"after its acknowledgement (events read {batch['events_read_before']:,} → {batch['events_read_after']:,}"
          f"); the next view {batch['next_view_seconds']} s", flush=True)
    expected = json.loads(out["folder"].read_text())
    mismatches = [name for name in ("runs", "kept", "rebuilt") if json.loads(out[name].read_text()) != expected]
    timings = {name: {"seconds": round(statistics.median(r["seconds"] for r in done), 4), "runs": done}
               for name, done in runs.items()}
    folder_s = timings["folder"]["seconds"]
    return {"records": args.records, "segment": args.segment, "segments": segments, "pilot": pilot,
            "cut_seconds": cut_seconds, "first_request": first, "summary": summary, "timings": timings,
            "service_peak_mib": service_mib,
            "ratios": {"runs_over_folder_seconds": round(timings["runs"]["seconds"] / folder_s, 3),
                       "kept_over_runs_seconds": round(timings["kept"]["seconds"] / timings["runs"]["seconds"], 4),
                       "rebuilt_over_folder_seconds": round(timings["rebuilt"]["seconds"] / folder_s, 3)},
            "after_a_batch": batch, "mismatches": mismatches, "load_before": load_before,
            "load_after": machine_load()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--segment", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1000, help="records of the batch posted in (e)")
    result = bench(parser.parse_args())
    t, r = result["timings"], result["ratios"]
    print(f"\nfolder {t['folder']['seconds']} s | from runs {t['runs']['seconds']} s "
          f"({r['runs_over_folder_seconds']}x) | kept {t['kept']['seconds']} s ({r['kept_over_runs_seconds']}x "
          f"the recomputation) | summary made again {t['rebuilt']['seconds']} s ({r['rebuilt_over_folder_seconds']}x) "
          f"| service peak {result['service_peak_mib']} MiB")
    print(f"load average before {result['load_before']['loadavg']}, after {result['load_after']['loadavg']}")
    print("JSON: " + ("the runs' = the kept = the remade = the folder's" if not result["mismatches"]
                      else "MISMATCH: " + ", ".join(result["mismatches"])))
    failures = []
    if r["runs_over_folder_seconds"] > GOALS["runs_over_folder_seconds_max"]:
        failures.append(f"runs/folder {r['runs_over_folder_seconds']} > {GOALS['runs_over_folder_seconds_max']}")
    if not result["after_a_batch"]["counted"]:
        failures.append("the bilan after the batch did not count its records")
    if t["kept"]["seconds"] > GOALS["kept_seconds_max"]:
        failures.append(f"kept {t['kept']['seconds']} s > {GOALS['kept_seconds_max']} s")
    result["goal_failures"] = failures
    print("GOALS: " + ("met" if not failures else "NOT met: " + "; ".join(failures)))
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform(), "when": dt.datetime.now(dt.UTC).isoformat()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"collected_assess-{result['records']}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 1 if result["mismatches"] or failures else 0


if __name__ == "__main__":
    sys.exit(main())
