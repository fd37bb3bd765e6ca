"""Baseline for `assess_scale.py`: the C1, C2 and C3 counts of a pilot folder the way an analyst would
compute them in pandas: read the JSON Lines in chunks, concatenate, filter, drop duplicates, group by.

Same reading of SPEC §5 as `baseline_duckdb.py`, with the same simplifications (types coerced by the
reader, unparseable lines not handled, duplicates and conflicts not told apart, C1-C3 counts only).

Usage: python benchmarks/baseline_pandas.py PILOT_FOLDER
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from baseline_as_of import default_as_of

CHUNK = 250_000
IN_SCOPE = ["medicines", "medical_devices", "biology", "nursing", "physiotherapy", "speech_therapy",
            "orthoptics", "podiatry"]
OUT_OF_SCOPE = ["imaging", "transport"]
TEXT = ["event_id", "ts", "practitioner", "situation", "workstation", "software_version", "type", "category",
        "prescription_id", "operation", "outcome", "error_code"]
COLUMNS = [*TEXT, "digital", "http_status", "duration_ms"]
CLASSES = ["authentication", "not_found", "network", "teleservice", "software"]


def read_traces(folder: Path) -> pd.DataFrame:
    frames = []
    for path in sorted((folder / "traces").glob("*.jsonl")):
        for chunk in pd.read_json(path, lines=True, chunksize=CHUNK, dtype=dict.fromkeys(TEXT, str)):
            frames.append(chunk.reindex(columns=COLUMNS))
    return pd.concat(frames, ignore_index=True)


def _present(df: pd.DataFrame, column: str) -> pd.Series:
    return df[column].notna() & (df[column].astype("string").str.strip() != "")


def valid_records(df: pd.DataFrame) -> pd.DataFrame:
    df["ts"] = pd.to_datetime(df["ts"], utc=True, format="ISO8601", errors="coerce")
    status = pd.to_numeric(df["http_status"], errors="coerce")
    is_prescription, is_call = df["type"] == "prescription", df["type"] == "call"
    digital = df["digital"] == 1
    ok = df["ts"].notna() & (df["event_id"].str.len() <= 128)
    for column in ("event_id", "practitioner", "situation", "workstation", "software_version", "type"):
        ok &= _present(df, column)
    ok &= df["type"].isin(["prescription", "call", "workstation"])
    ok &= ~is_prescription | (df["category"].isin(IN_SCOPE + OUT_OF_SCOPE) & df["digital"].isin([0, 1])
                              & (~digital | _present(df, "prescription_id")))
    ok &= ~is_call | (df["operation"].isin(["create", "consult", "search"])
                      & df["outcome"].isin(["ok", "error"]))
    ok &= status.isna() | status.between(100, 599)
    ok &= ~(is_call & (df["outcome"] == "error") & (status < 400))
    ok &= ~(is_call & (df["outcome"] == "ok") & (status >= 400))
    kept = df[ok].copy()
    kept["digital"] = kept["digital"] == 1
    kept["http_status"] = status[ok]
    return kept


def usage(used: pd.DataFrame) -> dict[str, dict[str, object]]:
    prescriptions = used[used["type"] == "prescription"]
    digital = prescriptions[prescriptions["digital"]]
    windows = digital.groupby("practitioner")["ts"].min().rename("window_start")
    inside = prescriptions.join(windows, on="practitioner", how="inner")
    inside = inside[inside["ts"] >= inside["window_start"]]
    grouped = inside.groupby("practitioner").agg(
        window_start=("window_start", "first"), digital=("digital", "sum"),
        total=("category", lambda c: int(c.isin(IN_SCOPE).sum())))
    return {str(pid): {"window_start": row.window_start.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00"),
                       "digital": int(row.digital), "total": int(row.total)}
            for pid, row in grouped.sort_index().iterrows()}


def registration(folder: Path, kept: pd.DataFrame, used: pd.DataFrame) -> dict[str, int]:
    created = set(used.loc[(used["type"] == "prescription") & used["digital"], "prescription_id"])
    registry = pd.read_csv(folder / "registrations.csv", dtype=str, keep_default_na=False)
    registered = set(registry.loc[registry["status"] == "registered", "prescription_id"])
    digital_ids = set(kept.loc[(kept["type"] == "prescription") & kept["digital"], "prescription_id"])
    orphans = set(registry["prescription_id"]) - digital_ids - {""}
    return {"created": len(created), "registered": len(created & registered), "orphans": len(orphans)}


def operations(used: pd.DataFrame) -> dict[str, dict[str, int]]:
    calls = used[used["type"] == "call"].copy()
    status = calls["http_status"]
    error = calls["outcome"] == "error"
    calls["error_class"] = np.select(
        [error & status.isin([401, 403]), error & (status == 404), error & (status.isna() | (status == 408)),
         error & ((status == 429) | status.between(500, 599)), error & status.between(400, 499)],
        CLASSES, default="")
    result = {}
    for operation, group in calls.groupby("operation"):
        counts = group["error_class"].value_counts()
        result[str(operation)] = {"calls": len(group), "ok": int((group["outcome"] == "ok").sum()),
                                  **{c: int(counts.get(c, 0)) for c in CLASSES}}
    return dict(sorted(result.items()))


def counts(folder: Path) -> dict[str, object]:
    declared = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    users = pd.DataFrame([(p["id"], p["situation"]) for p in declared["practitioners"] if p.get("equipped")],
                         columns=["practitioner", "situation"])
    kept = valid_records(read_traces(folder)).drop_duplicates("event_id", keep="first")
    as_of = kept["ts"].max()
    used = kept.merge(users, on=["practitioner", "situation"], how="inner")
    used = used[(used["ts"] <= as_of) & ~((used["type"] == "prescription") & used["digital"]
                                          & used["category"].isin(OUT_OF_SCOPE))]
    as_of = default_as_of(folder, as_of.to_pydatetime() if pd.notna(as_of) else None)
    return {"engine": "pandas", "as_of": as_of.isoformat() if as_of else None, "used": len(used),
            "usage": usage(used), "registration": registration(folder, kept, used),
            "operations": operations(used)}


if __name__ == "__main__":
    print(json.dumps(counts(Path(sys.argv[1])), indent=1))
