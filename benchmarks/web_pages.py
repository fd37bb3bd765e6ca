"""A pilot's web page when the service keeps its bilan, against the same page when every view computes it again.

    python benchmarks/web_pages.py --records 100000 [--repeat 5] [--workdir DIR]

Writes (or reuses) a simulated pilot of N records and its registry (service_assess.py's helpers), gives a Cnam
account a password, and starts two real `preserie serve` on 127.0.0.1 over copies of the registry: one as shipped
(the kept bilan, `services/bilan_cache.py`), one with PRESERIE_ASSESSMENT_CACHE=0 (every view runs the engine, for
the bilan and for the one a week earlier: the cards' trend). Signs in to each through the sign-in form, loads
`/pilotes/{id}` once (the kept service's first view computes), then --repeat times in turns: the whole page's
wall seconds on each. The medians count; prints their ratio, writes benchmarks/results/web_pages-<N>.json, and
exits 1 when the kept page is not at least GOALS' times faster or the two pages differ in their bilan.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from assess_scale import RESULTS, ensure_pilot
from service_assess import _free_port, _preserie, ensure_registry

GOALS = {"kept_over_recomputed_seconds_max": 0.1}  # a view reads what is kept: ten times faster at least
PASSWORD = "mot de passe du banc d'essai"
_TOKEN = re.compile(r'action="/connexion"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"')


def serve(data: Path, log: Path, *, kept: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    environment = {**os.environ, "PRESERIE_ASSESSMENT_CACHE": "1" if kept else "0"}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "preserie", "serve", "--data", str(data), "--host",
                                    "127.0.0.1", "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   env=environment)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"!! preserie serve did not answer:\n{log.read_text()[-2000:]}")


def signed_in(url: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=900, follow_redirects=False)
    form = client.get("/connexion")
    token = _TOKEN.search(form.text)
    assert token, form.text[:300]
    done = client.post("/connexion", data={"csrf": token.group(1), "identifiant": "banc d'essai",
                                           "mot_de_passe": PASSWORD, "suite": "/pilotes"})
    assert done.status_code == 303, done.text[:300]
    return client


def view(client: httpx.Client, pilot: str) -> tuple[float, str]:
    began = time.perf_counter()
    page = client.get(f"/pilotes/{pilot}")
    body = page.text  # the whole page before the clock stops
    seconds = time.perf_counter() - began
    assert page.status_code == 200, body[:300]
    return seconds, body


def _cards(html: str) -> str:
    """The part of the page the bilan decides: its banner and its five cards."""
    start, end = html.index('<section class="banner'), html.index('<section aria-labelledby="dossier">')
    return html[start:end]


def bench(records: int, args: argparse.Namespace) -> dict[str, Any]:
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_pilot(workdir, records, args.seed)
    data, pilot, _ = ensure_registry(workdir, records, workdir / str(records))
    subprocess.run([_preserie(), "accounts", "create", "--role", "cnam", "--name", "banc d'essai", "--days", "1",
                    "--data", str(data)], capture_output=True, check=False)
    subprocess.run([_preserie(), "accounts", "password", "banc d'essai", "--data", str(data)], input=PASSWORD + "\n",
                   text=True, capture_output=True, check=True)
    copy = workdir / f"{records}.registry-recomputed"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(data, copy)
    kept_service, kept_url = serve(data, workdir / f"{records}.web-kept.log", kept=True)
    cold_service, cold_url = serve(copy, workdir / f"{records}.web-recomputed.log", kept=False)
    times: dict[str, list[float]] = {"kept": [], "recomputed": []}
    try:
        kept, cold = signed_in(kept_url), signed_in(cold_url)
        first, kept_page = view(kept, pilot)
        print(f"== {records:,} records, pilot {pilot}: the kept service's first view {first:.3f} s", flush=True)
        for turn in range(args.repeat):
            seconds, kept_page = view(kept, pilot)
            times["kept"].append(seconds)
            seconds, cold_page = view(cold, pilot)
            times["recomputed"].append(seconds)
            print(f"   turn {turn + 1}: kept {times['kept'][-1]:.3f} s, recomputed {seconds:.3f} s", flush=True)
        same = _cards(kept_page) == _cards(cold_page)
    finally:
        for process in (kept_service, cold_service):
            process.terminate()
            process.wait(30)
    medians = {name: round(statistics.median(values), 4) for name, values in times.items()}
    ratio = round(medians["kept"] / medians["recomputed"], 4)
    return {"records": records, "pilot": pilot, "first_view_seconds": round(first, 3), "medians": medians,
            "runs": times, "kept_over_recomputed": ratio, "same_bilan_on_both_pages": same,
            "goals": GOALS, "met": same and ratio <= GOALS["kept_over_recomputed_seconds_max"],
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "data")
    args = parser.parse_args()
    result = bench(args.records, args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"web_pages-{args.records}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"== medians: kept {result['medians']['kept']} s, recomputed {result['medians']['recomputed']} s; "
          f"ratio {result['kept_over_recomputed']} (goal ≤ {GOALS['kept_over_recomputed_seconds_max']}); "
          f"same bilan: {result['same_bilan_on_both_pages']}")
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
