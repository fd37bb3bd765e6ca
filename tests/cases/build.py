"""Builds the golden scenario folders under tests/cases/ from compact descriptions.

Each case is a pilot folder (pilot.yaml, traces/, registrations.csv, anomalies.csv, survey.csv) plus
`case.yaml`: what the case is about, the command-line arguments, the exit status and hand-written
expectations (dotted paths into the assessment JSON) that hold whatever the snapshot says.
`expected.json` is the reviewed snapshot, refreshed by `pytest tests/integration/test_golden_cases.py
--update-golden`.

Run: python tests/cases/build.py   (rewrites every case folder but expected.json)
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

HERE = Path(__file__).parent
TZ = dt.timezone(dt.timedelta(hours=1))
FIELDS = ["event_id", "ts", "practitioner", "situation", "workstation", "software_version", "type", "category",
          "digital", "prescription_id", "operation", "outcome", "http_status", "error_code", "duration_ms",
          "os", "os_version", "card_reader", "card_kind", "network"]
AM = ["331012344", "331012351", "441000015", "441000023", "331000034"]
RPPS = ["10000000017", "10000000025", "10000000033", "10000000041", "10000000058"]
AS_OF = "2025-03-03"


class Pilot:
    """A pilot folder under construction: the nominal pilot, then each case changes what it is about."""

    def __init__(self) -> None:
        self.declaration: dict[str, Any] = {
            "schema": "preserie.pilot/1", "id": "logimed-2025-01", "vendor": "LogiMed SAS",
            "software": {"name": "LogiMed Cabinet", "version": "5.2.0", "cnda_authorization": "CNDA-ON-2024-117",
                         "audience": "liberal", "market_share_percent": 2.5},
            "readiness": {"support": True, "installation_and_training": True, "kit": True},
            "cpams": ["33", "44"], "planned_weeks": 6, "launch_meeting": dt.date(2025, 1, 8),
            "technical_prerequisites": ["Windows 10 22H2 ou ultérieur", "lecteur de carte PC/SC"],
            "practitioners": [self.practitioner(i, am) for i, am in enumerate(AM)],
        }
        self.traces: dict[str, list[dict[str, Any]]] = {"traces/2025-01.jsonl": []}
        self.registrations: list[dict[str, Any]] | None = []
        self.anomalies: list[dict[str, Any]] | None = [
            {"id": "ANO-1", "opened_on": "2025-01-20", "closed_on": "2025-01-24", "operation": "create",
             "severity": "blocking", "origin": "software", "practitioner": AM[0], "summary": "QR code illisible"}]
        self.survey: list[dict[str, Any]] | None = [self.answer(am, overall=4) for am in AM]
        self.counter = 0
        for i, am in enumerate(AM):
            self.snapshot(am, day=0)
            self.activity(am, digital=12, paper=4, start_day=1 + i)

    @staticmethod
    def practitioner(i: int, am: str, **changes: Any) -> dict[str, Any]:
        entry = {"id": am, "situation": "liberal", "health_center": None,
                 "specialty": "general" if i % 2 == 0 else "specialist", "practice": "group" if i < 3 else "solo",
                 "cpam": am[:2], "equipped": True, "installed_on": dt.date(2025, 1, 13),
                 "trained_on": dt.date(2025, 1, 13)}
        entry.update(changes)
        return entry

    @staticmethod
    def answer(practitioner: str, overall: int = 4, blocking: bool = False, text: str = "",
               submitted_on: str = "2025-02-28") -> dict[str, Any]:
        return {"practitioner": practitioner, "submitted_on": submitted_on, "ease": 4, "speed": 4, "integration": 3,
                "training": 5, "support": 4, "overall": overall, "blocking_issue": "true" if blocking else "false",
                "blocking_issue_text": text, "comment": ""}

    def ts(self, day: int, minute: int = 0) -> str:
        moment = dt.datetime(2025, 1, 14, 9, 0, tzinfo=TZ) + dt.timedelta(days=day, minutes=minute)
        return moment.isoformat()

    def record(self, practitioner: str, day: int, kind: str, file: str | None = None, **fields: Any) -> dict:
        self.counter += 1
        rec = {"event_id": f"ev-{self.counter:05d}", "ts": self.ts(day, self.counter % 600),
               "practitioner": practitioner, "situation": fields.pop("situation", "liberal"),
               "workstation": fields.pop("workstation", f"{practitioner}-P1"), "software_version": "5.2.0",
               "type": kind, **fields}
        self.traces.setdefault(file or next(iter(self.traces)), []).append(rec)
        return rec

    def snapshot(self, practitioner: str, day: int, **config: Any) -> None:
        values = {"os": "Windows", "os_version": "10 22H2", "card_reader": "Ingenico IWL250", "card_kind": "cps",
                  "network": "fibre"}
        values.update(config)
        self.record(practitioner, day, "workstation", **values)

    def prescription(self, practitioner: str, day: int, digital: bool, category: str = "medicines",
                     registered: bool | None = True, create: str | None = "ok", **extra: Any) -> dict:
        fields: dict[str, Any] = {"category": category, "digital": digital}
        if digital:
            fields["prescription_id"] = f"RX{self.counter + 1:016d}"
        rec = self.record(practitioner, day, "prescription", **fields, **extra)
        if digital and create:
            self.call(practitioner, day, "create", create, prescription_id=rec["prescription_id"],
                      situation=rec["situation"])
            if registered is not None and self.registrations is not None:
                self.registrations.append({
                    "prescription_id": rec["prescription_id"], "practitioner": practitioner,
                    "registered_at": rec["ts"], "status": "registered" if registered else "rejected",
                    "reject_code": "" if registered else "R042"})
        return rec

    def call(self, practitioner: str, day: int, operation: str, outcome: str = "ok", status: int | None = None,
             **extra: Any) -> dict:
        if status is None and outcome == "ok":
            status = 201 if operation == "create" else 200
        return self.record(practitioner, day, "call", operation=operation, outcome=outcome, http_status=status,
                           error_code=None if outcome == "ok" else f"E{status}", duration_ms=180, **extra)

    def activity(self, practitioner: str, digital: int, paper: int, start_day: int = 1) -> None:
        for n in range(digital):
            self.prescription(practitioner, start_day + n * 3, True, category=("medicines", "biology")[n % 2])
        for n in range(paper):
            self.prescription(practitioner, start_day + 1 + n * 3, False, category="nursing")
        self.call(practitioner, start_day + 2, "consult")
        self.call(practitioner, start_day + 5, "search")

    # -- writing ---------------------------------------------------------------------------------------------

    def write(self, folder: Path, case: dict[str, Any]) -> None:
        for child in folder.iterdir() if folder.exists() else []:
            if child.name != "expected.json":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "case.yaml").write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False))
        (folder / "pilot.yaml").write_text(yaml.safe_dump(self.declaration, allow_unicode=True, sort_keys=False))
        for name, records in self.traces.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith(".jsonl"):
                path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
            elif name.endswith(".csv"):
                path.write_text(_csv(records, FIELDS))
            elif name.endswith(".parquet"):
                types = {"digital": pa.bool_(), "http_status": pa.int64(), "duration_ms": pa.int64()}
                schema = pa.schema([(f, types.get(f, pa.string())) for f in FIELDS])
                pq.write_table(pa.Table.from_pylist(records, schema=schema), path)
        for name, rows in (("registrations.csv", self.registrations), ("anomalies.csv", self.anomalies),
                           ("survey.csv", self.survey)):
            if rows is not None:
                header = list(rows[0]) if rows else _HEADERS[name]
                (folder / name).write_text(_csv(rows, header))


_HEADERS = {
    "registrations.csv": ["prescription_id", "practitioner", "registered_at", "status", "reject_code"],
    "anomalies.csv": ["id", "opened_on", "closed_on", "operation", "severity", "origin", "practitioner", "summary"],
    "survey.csv": ["practitioner", "submitted_on", "ease", "speed", "integration", "training", "support", "overall",
                   "blocking_issue", "blocking_issue_text", "comment"],
}


def _csv(rows: list[dict[str, Any]], header: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("true" if v is True else "false" if v is False else "" if v is None else v)
                         for k, v in row.items()})
    return out.getvalue()


CASES: dict[str, tuple[str, Callable[[Pilot], None], int, dict[str, Any]]] = {}


def case(name: str, about: str, exit_status: int, expect: dict[str, Any]) -> Callable:
    def register(build: Callable[[Pilot], None]) -> Callable[[Pilot], None]:
        CASES[name] = (about, build, exit_status, expect)
        return build

    return register


def build_all() -> None:
    from cases_catalogue import register_all, write_extra

    register_all(case, Pilot)
    for name, (about, build, exit_status, expect) in sorted(CASES.items()):
        pilot = Pilot()
        args = ["--as-of", AS_OF]
        build(pilot)
        args = getattr(pilot, "args", args)
        pilot.write(HERE / name, {"about": about, "args": args, "exit": exit_status,
                                  "expect": copy.deepcopy(expect)})
        write_extra(pilot, HERE / name)
    print(f"{len(CASES)} cases written under {HERE}")


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(HERE))
    build_all()
