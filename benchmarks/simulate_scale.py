"""How the simulator and the report scale: wall time and peak memory of `preserie simulate` and of
`preserie report --pdf` for N records, each in a fresh process measured by /usr/bin/time -v.

    python benchmarks/simulate_scale.py --records 1000000 [--records 10000000] [--workdir DIR]

The goal of issue 3: 10 million records simulated with a peak under 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PRESERIE = [sys.executable, "-m", "preserie"]


def measure(command: list[str]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile(suffix=".time") as report:
        began = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-v", "-o", report.name, *command], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seconds = time.perf_counter() - began
        text = Path(report.name).read_text()
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))  # type: ignore[union-attr]
    return {"seconds": round(seconds, 2), "peak_mib": round(peak_kib / 1024, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, action="append", required=True)
    parser.add_argument("--workdir", type=Path, default=HERE / "data" / "simulated")
    args = parser.parse_args()
    if not Path("/usr/bin/time").exists():
        print("needs /usr/bin/time (apt-get install -y time)", file=sys.stderr)
        return 2
    results = []
    for records in args.records:
        folder = args.workdir / str(records)
        shutil.rmtree(folder, ignore_errors=True)
        simulate = measure([*PRESERIE, "simulate", str(folder), "--records", str(records), "--seed", "5"])
        report = measure([*PRESERIE, "report", str(folder), "-o", str(folder / "report.html"),
                          "--pdf", str(folder / "report.pdf")])
        results.append({"records": records, "simulate": simulate, "report": report,
                        "simulate_under_1_gib": simulate["peak_mib"] < 1024})
        print(f"{records:>12,} records | simulate {simulate['seconds']:>7} s {simulate['peak_mib']:>8} MiB | "
              f"report (HTML + PDF) {report['seconds']:>7} s {report['peak_mib']:>8} MiB")
    out = HERE / "results" / "simulate_scale.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(r["simulate_under_1_gib"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
