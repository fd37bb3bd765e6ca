"""The bilan through the registry service against `preserie assess` on the same folder.

    python benchmarks/service_assess.py --records 1000000 [--repeat 5] [--workdir DIR]

Writes (or reuses, as assess_scale.py does) a simulated pilot of N records in DIR/<N>, imports it into a registry
(DIR/<N>.registry, reused with its pilot id), starts a real `preserie serve` on 127.0.0.1, creates a Cnam token,
then times in turns (so that a busy machine slows them alike), --repeat times:
  (a) `preserie assess DIR/<N> --json`, a fresh process (wall seconds, peak RSS);
  (b) `GET /api/v1/pilots/{id}/assessment` on the running service: the client's wall seconds until the whole body
      is read (one request beforehand warms the service up; its time is reported apart);
  (c) `preserie assess --server URL --pilot ID --json`, a fresh process: what a user waits for at a terminal.
The medians count. Checks that the three give the same JSON, prints the ratios, writes
benchmarks/results/service_assess-<N>.json, and exits 1 when the JSON differs or a goal (GOALS) is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from assess_scale import RESULTS, ensure_pilot, measure

HERE = Path(__file__).resolve().parent
# The acceptance point: « Assessing a 1 M-record pilot through the service is within 1.2× of `preserie assess` on
# the same folder » (the service's client-side time over the fresh command's, medians).
GOALS = {"service_over_folder_seconds_max": 1.2}


def _preserie() -> str:
    return shutil.which("preserie", path=str(Path(sys.executable).parent)) or "preserie"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_registry(workdir: Path, records: int, folder: Path) -> tuple[Path, str, float | None]:
    """The registry holding the pilot (imported once; its id kept beside it) and the import's seconds if done."""
    data, id_file = workdir / f"{records}.registry", workdir / f"{records}.registry.id"
    if id_file.is_file() and data.is_dir():
        return data, id_file.read_text().strip(), None
    if data.exists():
        shutil.rmtree(data)
    began = time.perf_counter()
    done = subprocess.run([_preserie(), "pilots", "import", str(folder), "--data", str(data)], capture_output=True,
                          text=True, check=False)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"!! pilots import exited {done.returncode}:\n{done.stderr[-2000:]}")
    id_file.write_text(done.stdout.strip() + "\n")
    return data, done.stdout.strip(), round(seconds, 3)


def cnam_token(data: Path) -> str:
    done = subprocess.run([_preserie(), "accounts", "create", "--role", "cnam", "--name", "benchmark", "--days", "1",
                           "--data", str(data)], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def start_service(data: Path, log: Path, *, keep: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """`preserie serve --data DATA` on a free loopback port, its output in ``log``, once its health probe answers;
    ``keep=False``: every request computes the bilan again (PRESERIE_ASSESSMENT_CACHE=0), from the parsed runs the
    warm-up request makes. The benchmarks' one way to start the service."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "preserie", "serve", "--data", str(data), "--host",
                                    "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PRESERIE_ASSESSMENT_CACHE": "1" if keep else "0"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    sys.exit(f"!! preserie serve did not answer:\n{log.read_text()[-2000:]}")


def peak_mib(pid: int) -> float | None:
    """The process's peak resident memory so far (Linux), in MiB."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    kib = [int(line.split()[1]) for line in lines if line.startswith("VmHWM:")]
    return round(kib[0] / 1024, 1) if kib else None


def get_assessment(client: httpx.Client, url: str, pilot: str, out: Path) -> dict[str, Any]:
    began = time.perf_counter()
    response = client.get(f"{url}/api/v1/pilots/{pilot}/assessment")
    body = response.content  # the whole body is read before the clock stops
    seconds = time.perf_counter() - began
    out.write_bytes(body)
    return {"seconds": round(seconds, 3), "status": response.status_code, "bytes": len(body)}


def _median(runs: list[dict[str, Any]]) -> float:
    return float(statistics.median(r["seconds"] for r in runs))


def bench(records: int, args: argparse.Namespace) -> dict[str, Any]:
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    summary = ensure_pilot(workdir, records, args.seed)
    folder = workdir / str(records)
    data, pilot, import_seconds = ensure_registry(workdir, records, folder)
    print(f"== {records:,} records in {folder} ({'reused' if summary['reused'] else 'written'}); registry {data} "
          f"(pilot {pilot}{f', imported in {import_seconds} s' if import_seconds else ', reused'})", flush=True)
    token = cnam_token(data)
    process, url = start_service(data, workdir / f"{records}.serve.log")
    out = {name: workdir / f"{records}.{name}.json" for name in ("folder", "service", "cli_server")}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in out}
    os.environ["PRESERIE_TOKEN"] = token  # for (c); measure()'s processes inherit the environment
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=900) as client:
            warm_up = get_assessment(client, url, pilot, out["service"])
            print(f"   warm-up request: {warm_up['seconds']} s (HTTP {warm_up['status']}, {warm_up['bytes']:,} "
                  "bytes)", flush=True)
            for turn in range(args.repeat):
                runs["folder"].append(measure([_preserie(), "assess", str(folder), "--json"], out["folder"]))
                runs["service"].append(get_assessment(client, url, pilot, out["service"]))
                runs["cli_server"].append(measure([_preserie(), "assess", "--server", url, "--pilot", pilot,
                                                   "--json"], out["cli_server"]))
                print(f"   {turn + 1}/{args.repeat} " + ", ".join(f"{name}: {r[-1]['seconds']} s"
                                                                  for name, r in runs.items()), flush=True)
        service_mib = peak_mib(process.pid)
    finally:
        process.terminate()
        process.wait(30)
    outputs = {name: path.read_text() for name, path in out.items()}
    service_json = json.dumps(json.loads(outputs["service"]), ensure_ascii=False, indent=2) + "\n"
    mismatches = [f"{name}: JSON differs from `preserie assess FOLDER --json`"
                  for name, text in (("service", service_json), ("cli_server", outputs["cli_server"]))
                  if text != outputs["folder"]]
    bad_exits = [f"{name} run {i + 1}: exit {r.get('exit', r.get('status'))}" for name, done in runs.items()
                 for i, r in enumerate(done) if r.get("exit", 0) not in (0, 1) or r.get("status", 200) != 200]
    timings = {name: {"seconds": _median(done), "runs": done} for name, done in runs.items()}
    timings["folder"]["peak_mib"] = max(r["peak_mib"] for r in runs["folder"])
    timings["service"]["server_peak_mib"] = service_mib
    timings["service"]["warm_up"] = warm_up
    folder_s = timings["folder"]["seconds"]
    ratios = {f"{name}_over_folder_seconds": round(timings[name]["seconds"] / folder_s, 2)
              for name in ("service", "cli_server")}
    return {"records": records, "pilot": pilot, "import_seconds": import_seconds, "summary": summary,
            "timings": timings, "ratios": ratios, "mismatches": mismatches + bad_exits}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    result = bench(args.records, args)
    t, r = result["timings"], result["ratios"]
    print(f"\n{'records':>12} | {'folder s':>9} | {'service s':>9} | {'--server s':>10} | service/folder | "
          f"--server/folder\n{result['records']:>12,} | {t['folder']['seconds']:>9} | {t['service']['seconds']:>9} | "
          f"{t['cli_server']['seconds']:>10} | {r['service_over_folder_seconds']:>14} | "
          f"{r['cli_server_over_folder_seconds']:>15}")
    print(f"peak: folder {t['folder']['peak_mib']} MiB, service process {t['service']['server_peak_mib']} MiB")
    print("JSON: " + ("the service's = --server's = the folder's" if not result["mismatches"]
                      else "MISMATCH: " + "; ".join(result["mismatches"])))
    failures = []
    if r["service_over_folder_seconds"] > GOALS["service_over_folder_seconds_max"]:
        failures.append(f"service/folder {r['service_over_folder_seconds']} > "
                        f"{GOALS['service_over_folder_seconds_max']}")
    result["goal_failures"] = failures
    print(f"GOALS: service/folder <= {GOALS['service_over_folder_seconds_max']}: "
          + ("met" if not failures else "NOT met: " + "; ".join(failures)))
    result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform(), "when": dt.datetime.now(dt.UTC).isoformat()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"service_assess-{args.records}.json").write_text(json.dumps(result, indent=1) + "\n")
    return 1 if result["mismatches"] or failures else 0


if __name__ == "__main__":
    sys.exit(main())
