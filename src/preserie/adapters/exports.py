"""Exports of the assessment's tables for spreadsheets (CSV the French way, or one Excel workbook).

Every table is written whole, never truncated, and ends with a row giving its number of rows, so that a
reader can tell a complete file from a cut one. A text cell that a spreadsheet would read as a formula
(it begins with =, +, -, @, a tab or a carriage return) is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preserie import french as fr
from preserie.domain.accounting import STEPS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Cell = str | int | float | None
TABLE_NAMES = ("medecins", "qualite-des-donnees", "rejets")  # file stems and sheet names, in order


@dataclass(frozen=True)
class Table:
    name: str  # file stem and sheet name
    header: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]


def neutralise(value: Cell) -> Cell:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-3), neutralise("331012344")
    (-3, '331012344')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def tables(result: dict[str, Any]) -> list[Table]:
    """The per-doctor table (C1), the data-quality counts and every rejected record."""
    doctors = [
        (r["id"], fr.short_date(r["window_start"]) if r["window_start"] else None, r["digital"], r["total"],
         r["rate"], *(r["rate_ci95"] or (None, None)), "oui" if r["low_volume"] else "non",
         "oui" if r["met"] else "non")
        for r in result["criteria"]["usage_rate"]["practitioners"]
    ]
    quality = result["data_quality"]
    counts: list[tuple[Cell, ...]] = [("events_read", "enregistrements lus", quality["events_read"])]
    counts += [(name, label, quality[name]) for name, label in STEPS]
    rejections = [(r["file"], r["line"], r["field"] or None, r["reason"], r["message"])
                  for r in quality["rejections"]]
    medecins, qualite, rejets = TABLE_NAMES
    return [
        Table(medecins, ("médecin", "depuis", "numériques", "total", "taux", "IC 95 % bas", "IC 95 % haut",
                         "faible volume", "atteint"), doctors),
        Table(qualite, ("étape", "libellé", "nombre"), counts),
        Table(rejets, ("fichier", "ligne", "champ", "motif", "message"), rejections),
    ]


def _french_cell(value: Cell) -> Cell:
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    return neutralise(value)


def _footer(table: Table) -> tuple[Cell, ...]:
    return (f"{len(table.rows)} ligne(s)",)


def write_csv(result: dict[str, Any], out: Path) -> list[Path]:
    """One CSV per table: `;` between cells, decimal comma, UTF-8 with a BOM (Excel in French opens it as is)."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables(result):
        path = out / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(table.header)
            writer.writerows(tuple(_french_cell(c) for c in row) for row in table.rows)
            writer.writerow(_footer(table))
        written.append(path)
    return written


def write_xlsx(result: dict[str, Any], out: Path) -> list[Path]:
    """One workbook, a sheet per table, numbers kept as numbers: the file `out` when it ends in .xlsx, else
    bilan-<pilot>.xlsx in the folder `out`."""
    from openpyxl import Workbook  # only this export needs it

    path = destinations(result, out, "xlsx")[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables(result):
        sheet = workbook.create_sheet(table.name[:31])
        sheet.append(table.header)
        for row in table.rows:
            sheet.append([neutralise(c) for c in row])
        sheet.append(_footer(table))
    workbook.save(path)
    return [path]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def destinations(result: dict[str, Any], out: Path, kind: str) -> list[Path]:
    """The files `write` writes: a CSV per table in the folder `out`; for xlsx, see `write_xlsx`."""
    if kind == "xlsx":
        return [out if out.suffix.lower() == ".xlsx" else out / f"bilan-{_safe(result['pilot'])}.xlsx"]
    return [out / f"{name}.csv" for name in TABLE_NAMES]


def write(result: dict[str, Any], out: Path, kind: str) -> Sequence[Path]:
    return write_xlsx(result, out) if kind == "xlsx" else write_csv(result, out)
