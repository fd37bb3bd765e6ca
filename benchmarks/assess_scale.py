"""How `preserie assess` scales, against three hand-written baselines over the same files.

    python benchmarks/assess_scale.py --records 1000000 [--records 10000000] [--workdir DIR] [--repeat 1]

For each N: writes (or reuses, when DIR/<N>/pilot.yaml exists) a simulated pilot of N records, then
times, each in a fresh process with its peak resident memory:
  (a) `preserie assess DIR/<N> --json` (the tool; exit status 0 or 1 both fine),
  (b) `baseline_duckdb.py` (plain DuckDB SQL),
  (c) `baseline_polars.py` (lazy Polars),
  (d) `baseline_pandas.py` (pandas, for reference; skipped from 10M records on unless --pandas-at-10m).
The commands take turns (one run of each, --repeat times), so that a busy machine slows them alike; the median
run counts. It checks that the C1/C2/C3 counts all agree (and agree with what the generator wrote), prints a
table, writes benchmarks/results/assess_scale-<N>.json, and exits 1 when a count or a goal (GOALS) is missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TIME = Path("/usr/bin/time")
PANDAS_LIMIT = 10_000_000
BASELINES = {"duckdb_sql": "baseline_duckdb.py", "polars": "baseline_polars.py", "pandas": "baseline_pandas.py"}
FAST_BASELINES = ("duckdb_sql", "polars")  # what the tool must keep up with; pandas is only a reference
# Fallback when /usr/bin/time is absent: a fresh wrapper whose only child is the measured command.
WRAPPER = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[2:]); "
           "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); "
           "sys.exit(r.returncode)")


def ensure_pilot(workdir: Path, records: int, seed: int) -> dict[str, Any]:
    """The pilot folder of N records, written once; pilot.yaml is written last, so it marks a complete one."""
    from preserie.simulate import write_pilot

    folder, summary_file = workdir / str(records), workdir / f"{records}.generator.json"
    if (folder / "pilot.yaml").is_file() and summary_file.is_file():
        return {**json.loads(summary_file.read_text()), "reused": True}
    if folder.exists():
        shutil.rmtree(folder)  # an interrupted earlier run
    summary = write_pilot(folder, seed=seed, records=records, formats=("jsonl",))
    summary_file.write_text(json.dumps(summary, indent=1))
    return {**summary, "reused": False}


def measure(command: list[str], stdout: Path) -> dict[str, Any]:
    """Wall seconds and peak RSS (MiB) of one fresh process; its standard output goes to `stdout`."""
    with tempfile.NamedTemporaryFile(suffix=".rss", delete=False) as handle:
        rss_file = Path(handle.name)
    if TIME.exists():
        wrapped = [str(TIME), "-v", "-o", str(rss_file), *command]
    else:
        wrapped = [sys.executable, "-c", WRAPPER, str(rss_file), *command]
    with stdout.open("wb") as out:
        began = time.perf_counter()
        done = subprocess.run(wrapped, stdout=out, stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - began
    report = rss_file.read_text(errors="replace")
    rss_file.unlink()
    if TIME.exists():
        lines = [ln for ln in report.splitlines() if "Maximum resident set size" in ln]
        kib = int(lines[0].rsplit(":", 1)[1]) if lines else 0
    else:
        kib = int(report or 0)
    return {"seconds": round(seconds, 3), "peak_mib": round(kib / 1024, 1), "exit": done.returncode,
            "stderr_tail": done.stderr.decode(errors="replace")[-2000:]}


Command = tuple[list[str], tuple[int, ...]]  # the command and the exit statuses that mean it worked


def run_in_turns(commands: dict[str, Command], out: dict[str, Path], repeat: int) -> dict[str, dict[str, Any]]:
    """Each command `repeat` times, taking turns; per command the median seconds and the highest peak."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in commands}
    for turn in range(repeat):
        for name, (command, ok_exits) in commands.items():
            run = measure(command, out[name])
            runs[name].append(run)
            print(f"   {turn + 1}/{repeat} {name}: {run['seconds']} s, {run['peak_mib']} MiB", flush=True)
            if run["exit"] not in ok_exits:
                print(f"!! {' '.join(command)} exited {run['exit']}:\n{run['stderr_tail']}", file=sys.stderr)
    return {name: {"seconds": statistics.median(r["seconds"] for r in done),
                   "peak_mib": max(r["peak_mib"] for r in done),
                   "runs": [{k: r[k] for k in ("seconds", "peak_mib", "exit")} for r in done]}
            for name, done in runs.items()}


def _utc(text: str | None) -> str | None:
    if text is None:
        return None
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).isoformat()


def tool_counts(result: dict[str, Any]) -> dict[str, Any]:
    """The tool's C1/C2/C3 counts, in the baselines' shape."""
    criteria = result["criteria"]
    usage = {p["id"]: {"window_start": _utc(p["window_start"]), "digital": p["digital"], "total": p["total"]}
             for p in criteria["usage_rate"]["practitioners"] if p["window_start"] is not None}
    reg = criteria["registration_rate"]
    ops = {op: {k: v for k, v in row.items() if isinstance(v, int) and not isinstance(v, bool)}
           for op, row in criteria["operations"]["operations"].items() if row["calls"]}
    return {"as_of": _utc(result["as_of"]), "used": result["data_quality"]["used"], "usage": usage,
            "registration": {k: reg[k] for k in ("created", "registered", "orphans")}, "operations": ops}


def baseline_counts(result: dict[str, Any]) -> dict[str, Any]:
    usage = {pid: {**row, "window_start": _utc(row["window_start"])} for pid, row in result["usage"].items()}
    return {**{k: result[k] for k in ("used", "registration", "operations")}, "as_of": _utc(result["as_of"]),
            "usage": usage}


def differences(expected: Any, found: Any, path: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(found, dict):
        found_diffs = []
        for key in sorted(set(expected) | set(found)):
            found_diffs += differences(expected.get(key), found.get(key), f"{path}.{key}" if path else key)
        return found_diffs
    return [] if expected == found else [f"{path}: tool {expected!r} != baseline {found!r}"]


def generator_differences(tool: dict[str, Any], summary: dict[str, Any]) -> list[str]:
    """What the generator knows it wrote: every record used but the re-sent duplicates and the records of the
    doctors' other situation (older summaries, written before those existed, have no `used`)."""
    truth = {"used": summary.get("used", summary["records"]), "created": summary["digital"],
             "registered": summary["registered"], "orphans": summary["orphans"], "calls": summary["calls"]}
    seen = {"used": tool["used"], **tool["registration"],
            "calls": sum(o["calls"] for o in tool["operations"].values())}
    return [f"{k}: tool {seen[k]} != generator {v}" for k, v in truth.items() if seen[k] != v]


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    except (OSError, ValueError) as error:
        print(f"!! cannot read {path}: {error}", file=sys.stderr)
        return None


def bench_one(records: int, args: argparse.Namespace) -> dict[str, Any]:
    workdir: Path = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    summary = ensure_pilot(workdir, records, args.seed)
    folder = workdir / str(records)
    print(f"\n== {records:,} records in {folder} ({'reused' if summary['reused'] else 'written'}; "
          f"generator {summary['seconds']} s, {summary['records_per_second']:,} records/s)", flush=True)
    preserie = shutil.which("preserie", path=str(Path(sys.executable).parent)) or "preserie"
    commands: dict[str, Command] = {"tool": ([preserie, "assess", str(folder), "--json"], (0, 1))}
    for name, script in BASELINES.items():
        if name != "pandas" or records < PANDAS_LIMIT or args.pandas_at_10m:
            commands[name] = ([sys.executable, str(HERE / script), str(folder)], (0,))
    out = {name: workdir / f"{records}.{name}.json" for name in commands}
    timings = run_in_turns(commands, out, args.repeat)
    outputs = {name: _load_json(path) for name, path in out.items()}
    return {"records": records, "summary": summary, "timings": timings,
            "mismatches": check_counts(outputs, summary)}


def check_counts(outputs: dict[str, dict[str, Any] | None], summary: dict[str, Any]) -> list[str]:
    if outputs.get("tool") is None:
        return ["tool: no JSON output"]
    tool = tool_counts(outputs["tool"])  # type: ignore[arg-type]
    problems = [f"generator: {d}" for d in generator_differences(tool, summary)]
    for name in BASELINES:
        if name in outputs:
            found = outputs[name]
            problems += ([f"{name}: no JSON output"] if found is None else
                         [f"{name}: {d}" for d in differences(tool, baseline_counts(found))])
    return problems


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def report(result: dict[str, Any]) -> None:
    t = result["timings"]

    def get(name: str, key: str) -> float | None:
        return t[name][key] if name in t else None

    fastest = min((name for name in FAST_BASELINES if name in t), key=lambda name: t[name]["seconds"])
    tool_s, tool_mib = get("tool", "seconds"), get("tool", "peak_mib")
    result["ratios"] = {
        **{f"tool_over_{name}_seconds": ratio(tool_s, get(name, "seconds")) for name in BASELINES},
        **{f"tool_over_{name}_mib": ratio(tool_mib, get(name, "peak_mib")) for name in BASELINES},
        "fastest_baseline": fastest, "tool_over_fastest_seconds": ratio(tool_s, get(fastest, "seconds")),
    }
    names = ("tool", *BASELINES)
    header = f"{'records':>12} | " + " | ".join(f"{name.split('_')[0] + ' s':>10} {'MiB':>7}" for name in names) \
        + " | " + " | ".join(f"{'tool/' + name.split('_')[0]:>11}" for name in BASELINES)
    cells = [f"{result['records']:>12,}"]
    cells += [f"{get(name, 'seconds') or '-':>10} {get(name, 'peak_mib') or '-':>7}" for name in names]
    cells += [f"{result['ratios'][f'tool_over_{name}_seconds'] or '-':>11}" for name in BASELINES]
    print(header + "\n" + "-" * len(header) + "\n" + " | ".join(cells))
    if result["mismatches"]:
        print("\n!!!!!! COUNT MISMATCH — the tool and a baseline (or the generator) disagree:")
        for line in result["mismatches"]:
            print("   ", line)
    else:
        print("counts: tool = " + " = ".join(f"{name} baseline" for name in BASELINES if name in t)
              + " = generator (C1 per practitioner, C2, C3 per operation and error class)")


# The goals of issue 9: from 1M records on, no slower than the fastest hand-written baseline (DuckDB SQL or Polars;
# pandas is only a reference), and under 4 GiB at any size. They replace issue 2's "within 2x the SQL, 10x pandas".
GOAL_FROM_RECORDS = 1_000_000
GOALS = {"tool_over_fastest_seconds_max": 1.0, "tool_peak_mib_max": 4096.0}


def goal_failures(result: dict[str, Any]) -> list[str]:
    ratios, tool = result["ratios"], result["timings"]["tool"]
    failures = []
    if result["records"] >= GOAL_FROM_RECORDS:
        fastest = ratios.get("tool_over_fastest_seconds")
        if fastest is None or fastest > GOALS["tool_over_fastest_seconds_max"]:
            failures.append(f"tool/{ratios['fastest_baseline']} {fastest} > {GOALS['tool_over_fastest_seconds_max']}")
    if tool["peak_mib"] >= GOALS["tool_peak_mib_max"]:
        failures.append(f"tool peak {tool['peak_mib']} MiB >= {GOALS['tool_peak_mib_max']}")
    return failures


def _versions() -> dict[str, str | None]:
    """The engines measured, as installed (runs on two machines compare only with the same ones)."""
    from importlib import metadata

    found: dict[str, str | None] = {}
    for name in ("duckdb", "polars", "pandas", "pyarrow"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, action="append", required=True)
    parser.add_argument("--workdir", type=Path, default=HERE / "data")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pandas-at-10m", action="store_true", help="also run pandas from 10M records on")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    failed = False
    for records in args.records:
        load_before = os.getloadavg()
        result = bench_one(records, args)
        report(result)
        result["machine"] = {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform(), "when": dt.datetime.now(dt.UTC).isoformat(),
                             "load_average": {"before": load_before, "after": os.getloadavg()},
                             "versions": _versions()}
        result["goal_failures"] = goal_failures(result)
        print("goals: " + ("met" if not result["goal_failures"] else "NOT met: " + "; ".join(result["goal_failures"])))
        (RESULTS / f"assess_scale-{records}.json").write_text(json.dumps(result, indent=1) + "\n")
        failed |= bool(result["mismatches"]) or bool(result["goal_failures"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
