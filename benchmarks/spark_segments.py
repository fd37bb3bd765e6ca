"""Can a distributed engine (Spark) read the service's trace store as it lies on disk (decision 0003)?

    .venv/bin/python benchmarks/spark_segments.py build ROOT          # the project's venv: a small store
    python3 -m venv /work/spark-venv && /work/spark-venv/bin/pip install pyspark==4.0.5   # a throwaway venv
    SPARK_LOCAL_IP=127.0.0.1 /work/spark-venv/bin/python benchmarks/spark_segments.py read ROOT

`build` appends to ROOT, with `SegmentStore`, the golden cases' traces: collector batches of JSON Lines (plain and
gzipped) for two pilots, one with a key of digits only, and one phase mixing JSON Lines, CSV and Parquet
imported verbatim; it leaves a temporary file as a dead writer would, and prints the records per pilot, phase
and format that Spark must find. `read` needs only pyspark (kept out of the project's dependencies): it reads
ROOT with `spark.read.json`, then per format with `pathGlobFilter`, and prints what Spark finds.
"""

from __future__ import annotations

import sys
from pathlib import Path

CASES = Path(__file__).resolve().parents[1] / "tests" / "cases"


def build(root: Path) -> None:
    import gzip
    import json

    import pyarrow.parquet as pq

    from preserie.adapters.trace_segments import SegmentStore

    store = SegmentStore(root)
    lines = (CASES / "nominal" / "traces" / "2025-01.jsonl").read_bytes().splitlines(keepends=True)
    for pilot in ("pilot-a", "0012"):
        for start in range(0, len(lines), 50):
            data = b"".join(lines[start:start + 50])
            store.append(pilot, 1, gzip.compress(data) if start == 50 else data,
                         suffix=".jsonl.gz" if start == 50 else ".jsonl")
    two = CASES / "duplicates_conflicts_two_formats" / "traces"
    for name in ("2025-01.jsonl", "2025-02-resent.csv", "2025-03-resent.parquet"):
        store.append_file("pilot-a", 2, two / name, origin=name.split(".")[0])
    (store.folder("pilot-a", 1) / ".tmp-1-dead.jsonl").write_bytes(lines[0])
    expected = {
        "pilot-a/1 (jsonl, jsonl.gz)": len(lines), "0012/1 (jsonl, jsonl.gz)": len(lines),
        "pilot-a/2 jsonl": len((two / "2025-01.jsonl").read_bytes().splitlines()),
        "pilot-a/2 csv": len((two / "2025-02-resent.csv").read_bytes().splitlines()) - 1,
        "pilot-a/2 parquet": pq.read_metadata(two / "2025-03-resent.parquet").num_rows,
    }
    print(json.dumps(expected, indent=1))


def read(root: Path) -> None:
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[2]").appName("segments")
             .config("spark.sql.warehouse.dir", str(root.parent / "spark-warehouse"))
             .config("spark.ui.enabled", "false").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    base = str(root)

    def show(title: str, frame: object) -> None:
        print(f"\n== {title}")
        frame.show(truncate=False)  # type: ignore[attr-defined]

    everything = spark.read.json(base).cache()  # Spark refuses a query of _corrupt_record alone on raw files
    print("schema of spark.read.json(root):", everything.schema.simpleString()[:400])
    show("spark.read.json(root): records per pilot, phase (every file, whatever its format)",
         everything.groupBy("pilot", "phase").count().orderBy("pilot", "phase"))
    if "_corrupt_record" in everything.columns:
        show("... of which lines Spark could not parse as JSON (_corrupt_record)",
             everything.where("_corrupt_record IS NOT NULL").groupBy("pilot", "phase").count())
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    jsonl = spark.read.option("pathGlobFilter", "*.{jsonl,jsonl.gz}").json(base)
    show("JSON Lines only (pathGlobFilter *.{jsonl,jsonl.gz}), partition types not inferred",
         jsonl.groupBy("pilot", "phase").count().orderBy("pilot", "phase"))
    show("... per segment file (input_file_name)", jsonl.selectExpr(
        "pilot", "phase", "regexp_extract(input_file_name(), '[^/]+$', 0) AS segment")
        .groupBy("pilot", "phase", "segment").count().orderBy("pilot", "phase", "segment"))
    csv = spark.read.option("pathGlobFilter", "*.csv").option("header", "true").csv(base)
    show("CSV only", csv.groupBy("pilot", "phase").count())
    parquet = spark.read.option("pathGlobFilter", "*.parquet").parquet(base)
    show("Parquet only", parquet.groupBy("pilot", "phase").count())
    digits = spark.read.option("basePath", base).json(f"{base}/pilot=0012")
    print("\nonly a key of digits, partition types not inferred:", digits.select("pilot").first())
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "true")
    digits = spark.read.option("basePath", base).json(f"{base}/pilot=0012")
    print("only a key of digits, partition types inferred (Spark's default):", digits.select("pilot").first(),
          digits.schema["pilot"].dataType)
    show("one pilot's phase read alone (basePath keeps the partition columns)",
         spark.read.option("basePath", base).json(f"{base}/pilot=pilot-a/phase=1").groupBy("pilot", "phase").count())
    spark.stop()


if __name__ == "__main__":
    {"build": build, "read": read}[sys.argv[1]](Path(sys.argv[2]))
