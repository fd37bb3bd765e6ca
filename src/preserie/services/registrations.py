"""Use case: the national registry's extract for a pilot (C2's other half), uploaded by the Cnam or the GIE
SESAM-Vitale as often as it comes: each upload is kept (its bytes, who, when, how many rows), and the extract the
engine reads is every upload merged by prescription id, a later row replacing an earlier one.

An upload is all or nothing: a row without a prescription id or with a status other than registered / rejected is
refused with its line and field, and nothing of the upload is recorded.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preserie.adapters.registrations import COLUMNS
from preserie.adapters.sandbox_registrations import SandboxUnavailable
from preserie.adapters.trace_files import delimiter_of
from preserie.domain.access import Caller, Role
from preserie.domain.lifecycle import TRACES_OPEN
from preserie.domain.registry import PilotRecord
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry

STATUSES = ("registered", "rejected")
Feed = Callable[[Sequence[str]], bytes]  # the practitioners' extract from a rehearsal's sandbox


@dataclass(frozen=True)
class Upload:
    rows: int
    new: int
    replaced: int
    total: int

    def as_dict(self) -> dict[str, int]:
        return self.__dict__.copy()


def _rows(data: bytes) -> list[dict[str, str]]:
    """The upload's rows, or a 422 naming the first line and field to fix."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RegistryError("MALFORMED_REQUEST", "registrations.csv : encodage UTF-8 attendu") from None
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter_of(text.split("\n", 1)[0], COLUMNS))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in ("prescription_id", "status") if c not in header]
    if missing:
        raise RegistryError("INVALID_REQUEST", f"registrations.csv : colonnes obligatoires absentes de l'en-tête : "
                            f"{', '.join(missing)} (en-tête attendu : {','.join(COLUMNS)})", field=missing[0])
    rows, problems, ended = [], [], 1
    for raw in reader:
        line, ended = ended + 1, reader.line_num
        row = {c: (raw.get(c) or "").strip() for c in COLUMNS}
        if not row["prescription_id"]:
            problems.append({"line": line, "field": "prescription_id", "message": "identifiant manquant"})
        elif row["status"] not in STATUSES:
            problems.append({"line": line, "field": "status", "message": "registered ou rejected attendu"})
        else:
            rows.append(row)
    if problems:
        p = problems[0]
        raise RegistryError("INVALID_REQUEST", f"registrations.csv, ligne {p['line']}, champ {p['field']} : "
                            f"{p['message']} ; rien n'est enregistré", field=str(p["field"]), details=problems[:100])
    return rows


def _merged(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["prescription_id"]: row for row in csv.DictReader(handle)}


def _write(path: Path, rows: dict[str, dict[str, str]]) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows.values())
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)


def upload(registry: Registry, caller: Caller, key: str, data: bytes, *, origin: str = "dépôt") -> Upload:
    """Merge an extract into the pilot's current phase; what it brought (`origin`: how it came, in the history)."""
    pilot = _receiving(registry, caller, key)
    rows = _rows(data)
    path = registry.registrations_file(pilot, pilot.phase)
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = _merged(path)
    incoming = {row["prescription_id"]: row for row in rows}
    replaced = sum(1 for pid in incoming if pid in merged)
    merged.update(incoming)
    uploads = path.parent / f"phase={pilot.phase}.uploads"
    uploads.mkdir(exist_ok=True)
    number = len(registry.repo.registration_uploads(pilot.id)) + 1
    (uploads / f"{number:06d}.csv").write_bytes(data)
    _write(path, merged)
    result = Upload(rows=len(rows), new=len(incoming) - replaced, replaced=replaced, total=len(merged))
    with registry.repo.writing() as conn:
        registry.repo.add_registration_upload(conn, pilot.id, phase=pilot.phase, number=number,
                                              uploaded_at=registry.now(), uploaded_by=caller.account_id,
                                              rows=result.rows, new=result.new, replaced=result.replaced)
        registry.record(conn, pilot, caller, "registrations_uploaded",
                        detail=f"{origin}, phase {pilot.phase} : {result.rows} ligne(s), {result.new} nouvelle(s)")
    return result


def _receiving(registry: Registry, caller: Caller, key: str) -> PilotRecord:
    pilot = registry.coordinated(caller, key, (Role.CNAM, Role.GIE), "déposer l'extrait du registre national")
    registry.in_status(pilot, TRACES_OPEN, "déposer l'extrait du registre national")
    return pilot


def pull(registry: Registry, caller: Caller, key: str, feed: Feed | None) -> Upload:
    """In a rehearsal: the extract of the pilot's practitioners taken from the sandbox (`feed`), merged as an
    upload is (issue 11: « or, in a rehearsal, the service takes it from a sandbox's export »)."""
    pilot = _receiving(registry, caller, key)
    if feed is None:
        raise RegistryError("SANDBOX_NOT_CONFIGURED")
    practitioners = [p.ref for p in registry.repo.practitioners(pilot.id)]
    try:
        data = feed(practitioners)
    except SandboxUnavailable as error:
        raise RegistryError("SANDBOX_UNAVAILABLE", str(error)) from None
    return upload(registry, caller, key, data, origin="pris au bac à sable")


_COUNTED: dict[Path, tuple[int, int, int]] = {}  # extract → (modified, size, data rows): counted once per change


def _prescriptions(path: Path) -> int:
    """The extract's data rows (its prescriptions): counted when the file changed, not at every page view."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0
    kept = _COUNTED.get(path)
    if kept is not None and kept[:2] == (stat.st_mtime_ns, stat.st_size):
        return kept[2]
    lines, last = 0, b"\n"
    with path.open("rb") as extract:
        while chunk := extract.read(1 << 20):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    rows = max(0, lines + (last != b"\n") - 1)  # the header is no prescription
    _COUNTED[path] = (stat.st_mtime_ns, stat.st_size, rows)
    return rows


def freshness(registry: Registry, pilot: PilotRecord) -> dict[str, Any]:
    """The uploads of the extract, the latest first: how fresh the registry's view of C2 is."""
    uploads = sorted(registry.repo.registration_uploads(pilot.id), key=lambda u: u["number"], reverse=True)
    path = registry.registrations_file(pilot, pilot.phase)
    return {"latest": uploads[0]["uploaded_at"] if uploads else None, "prescriptions": _prescriptions(path),
            "uploads": [{k: u[k] for k in ("number", "phase", "uploaded_at", "uploaded_by", "rows", "new",
                                           "replaced")} for u in uploads]}
