"""A pilot's web page when the service keeps its bilan, against the same page when every view computes it again;
and a collected pilot's page at scale, alone and under 20 concurrent readers.

    python benchmarks/web_pages.py --records 100000 [--repeat 5] [--workdir DIR]
    python benchmarks/web_pages.py --records 10000000 --collected [--readers 20] [--views 10] [--workdir DIR]

Writes (or reuses) a simulated pilot of N records and its registry (service_assess.py's helpers), gives a Cnam
account a password, and starts two real `preserie serve` on 127.0.0.1 over copies of the registry: one as shipped
(the kept bilan, `services/bilan_cache.py`), one with PRESERIE_ASSESSMENT_CACHE=0 (every view runs the engine, for
the bilan and for the one a week earlier: the cards' trend). Signs in to each through the sign-in form, loads
`/pilotes/{id}` once (the kept service's first view computes), then --repeat times in turns: the whole page's
wall seconds on each. The medians count; prints their ratio, writes benchmarks/results/web_pages-<N>.json, and
exits 1 when the kept page is not at least GOALS' times faster or the two pages differ in their bilan.

--collected (issue 12's goals at 10 M records): the pilot of collected_assess.py (its traces cut into segments of
1,000 records as the collector stores batches, DIR/<N>.collected, built once), one real `preserie serve` that
keeps its bilan. After a first view (which makes the parsed runs and the bilans), --repeat views in turns with
`GET …/assessment` (the kept assessment behind the page): the page's server time (its `Server-Timing` header)
against the assessment's (the ratio). Then --readers signed-in readers on loopback, each loading the page --views
times at once (at most --seconds in all): p50 and p99 of the wall seconds. Writes
benchmarks/results/web_pages-<N>-collected.json; exits 1 when the median page takes GOALS_COLLECTED' 0.3 s or more
of server time, or the p99 under load 1 s or more.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
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
from service_assess import _preserie, ensure_registry, start_service

GOALS = {"kept_over_recomputed_seconds_max": 0.1}  # a view reads what is kept: ten times faster at least
GOALS_COLLECTED = {"page_server_seconds_max": 0.3, "loaded_p99_seconds_max": 1.0}
PASSWORD = "mot de passe du banc d'essai"
_TOKEN = re.compile(r'action="/connexion"[^>]*>\s*<input type="hidden" name="csrf" value="([^"]+)"')


def signed_in(url: str, login: str = "banc d'essai") -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=900, follow_redirects=False)
    form = client.get("/connexion")
    token = _TOKEN.search(form.text)
    assert token, form.text[:300]
    done = client.post("/connexion", data={"csrf": token.group(1), "identifiant": login,
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
    kept_service, kept_url = start_service(data, workdir / f"{records}.web-kept.log", keep=True)
    cold_service, cold_url = start_service(copy, workdir / f"{records}.web-recomputed.log", keep=False)
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


def server_seconds(response: httpx.Response) -> float:
    timing = response.headers.get("server-timing", "")
    found = re.search(r"dur=([0-9.]+)", timing)
    assert found, timing
    return float(found.group(1)) / 1000


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def readers(url: str, login: str, pilot: str, count: int, views: int, seconds: float) -> dict[str, Any]:
    """``count`` signed-in readers loading the page ``views`` times each, all at once, for at most ``seconds``."""
    import threading

    clients = [signed_in(url, login) for _ in range(count)]
    walls: list[float] = []
    servers: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + seconds
    start = threading.Barrier(count)

    def read(client: httpx.Client) -> None:
        start.wait()
        for _ in range(views):
            if time.monotonic() > deadline:
                return
            began = time.perf_counter()
            page = client.get(f"/pilotes/{pilot}")
            _ = page.text
            wall = time.perf_counter() - began
            if page.status_code != 200:
                failures.append(str(page.status_code))
                continue
            walls.append(wall)
            servers.append(server_seconds(page))

    threads = [threading.Thread(target=read, args=(c,)) for c in clients]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for client in clients:
        client.close()
    return {"readers": count, "views_each": views, "views": len(walls), "failures": failures,
            "seconds": round(elapsed, 2), "p50": round(_percentile(walls, 0.5), 4) if walls else None,
            "p99": round(_percentile(walls, 0.99), 4) if walls else None,
            "server_p50": round(_percentile(servers, 0.5), 4) if servers else None,
            "server_p99": round(_percentile(servers, 0.99), 4) if servers else None}


def bench_collected(records: int, args: argparse.Namespace) -> dict[str, Any]:
    from collected_assess import ensure_collected

    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    ensure_pilot(workdir, records, args.seed)
    data, pilot, _ = ensure_collected(workdir, records, workdir / str(records), 1000)
    login = f"banc d'essai {dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"  # an account of this run's own
    subprocess.run([_preserie(), "accounts", "create", "--role", "cnam", "--name", login, "--days", "1",
                    "--data", str(data)], capture_output=True, check=True)
    subprocess.run([_preserie(), "accounts", "password", login, "--data", str(data)], input=PASSWORD + "\n",
                   text=True, capture_output=True, check=True)
    token = subprocess.run([_preserie(), "accounts", "create", "--role", "cnam", "--name", login + " API",
                            "--days", "1", "--data", str(data)], capture_output=True, text=True,
                           check=True).stdout.strip()
    service, url = start_service(data, workdir / f"{records}.web-collected.log", keep=True)
    turns: list[dict[str, float]] = []
    try:
        client = signed_in(url, login)
        api = httpx.Client(base_url=url, timeout=3600, headers={"Authorization": f"Bearer {token}"})
        began = time.perf_counter()
        first = client.get(f"/pilotes/{pilot}", timeout=3600)
        first_seconds = time.perf_counter() - began
        assert first.status_code == 200, first.text[:300]
        print(f"== {records:,} records, pilot {pilot}: first view {first_seconds:.1f} s (parsed runs and bilans "
              "made)", flush=True)
        for turn in range(args.repeat):
            wall, _ = view(client, pilot)
            began = time.perf_counter()
            kept = api.get(f"/api/v1/pilots/{pilot}/assessment")
            _ = kept.content
            kept_seconds = time.perf_counter() - began
            assert kept.status_code == 200, kept.text[:300]
            served = client.get(f"/pilotes/{pilot}")
            turns.append({"page_wall": round(wall, 4), "page_server": round(server_seconds(served), 4),
                          "assessment_wall": round(kept_seconds, 4)})
            print(f"   turn {turn + 1}: page {turns[-1]['page_server']:.3f} s server ({wall:.3f} s wall), kept "
                  f"assessment {kept_seconds:.3f} s", flush=True)
        loaded = readers(url, login, pilot, args.readers, args.views, args.seconds)
        print(f"   {args.readers} readers: {loaded['views']} views in {loaded['seconds']} s, p50 {loaded['p50']} s, "
              f"p99 {loaded['p99']} s", flush=True)
        client.close()
        api.close()
    finally:
        service.terminate()
        service.wait(30)
    page_server = statistics.median(t["page_server"] for t in turns)
    assessment = statistics.median(t["assessment_wall"] for t in turns)
    met = (page_server < GOALS_COLLECTED["page_server_seconds_max"] and loaded["p99"] is not None
           and loaded["p99"] < GOALS_COLLECTED["loaded_p99_seconds_max"] and not loaded["failures"])
    return {"records": records, "pilot": pilot, "first_view_seconds": round(first_seconds, 2), "turns": turns,
            "page_server_seconds": round(page_server, 4), "kept_assessment_seconds": round(assessment, 4),
            "page_over_kept_assessment": round(page_server / assessment, 2), "loaded": loaded,
            "goals": GOALS_COLLECTED, "met": met,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, default=Path(__file__).resolve().parent / "data")
    parser.add_argument("--collected", action="store_true", help="a collected pilot's page, alone and under load")
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--views", type=int, default=10, help="views of each reader under load")
    parser.add_argument("--seconds", type=float, default=300, help="the load's time limit")
    args = parser.parse_args()
    if args.collected:
        if args.seed == 7:
            args.seed = 1  # collected_assess.py's pilot
        found = bench_collected(args.records, args)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"web_pages-{args.records}-collected.json").write_text(json.dumps(found, indent=1) + "\n")
        print(f"== page {found['page_server_seconds']} s server time (goal < "
              f"{GOALS_COLLECTED['page_server_seconds_max']}), {found['page_over_kept_assessment']}x the kept "
              f"assessment ({found['kept_assessment_seconds']} s); {args.readers} readers p50 "
              f"{found['loaded']['p50']} s, p99 {found['loaded']['p99']} s (goal < "
              f"{GOALS_COLLECTED['loaded_p99_seconds_max']})")
        sys.exit(0 if found["met"] else 1)
    result = bench(args.records, args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"web_pages-{args.records}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"== medians: kept {result['medians']['kept']} s, recomputed {result['medians']['recomputed']} s; "
          f"ratio {result['kept_over_recomputed']} (goal ≤ {GOALS['kept_over_recomputed_seconds_max']}); "
          f"same bilan: {result['same_bilan_on_both_pages']}")
    sys.exit(0 if result["met"] else 1)


if __name__ == "__main__":
    main()
