"""Exports of the assessment's tables for spreadsheets (CSV the French way, or one Excel workbook).

Every table is written whole, never truncated, and its number of rows is said outside it, so that a reader can
tell a complete file from a cut one without a spreadsheet's filter or a program taking the count for data:
in the workbook, a line below each table after a blank row (the autofilter stops at the table); with the CSVs,
a summary file, `sommaire.csv`, lists each file with its rows (a CSV has no place outside its rows: a last line
« 12 ligne(s) » would be read as one more row by every program that loads it).
A text cell that a spreadsheet would read as a formula (it begins with =, +, -, @, a tab or a carriage return)
is neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from preserie import french as fr
from preserie.adapters.export_tables import Cell, Table, tables
from preserie.domain.results import Assessment

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SUMMARY = "sommaire.csv"
EXCEL_FORMATS = {"percent": "0.0 %", "date": "dd/mm/yyyy", "datetime": "dd/mm/yyyy hh:mm", "integer": "#,##0",
                 "decimal": "0.0"}
WIDTH_MIN, WIDTH_MAX = 8, 70

__all__ = ["Table", "neutralise", "tables", "write", "write_csv", "write_xlsx"]


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


def _french_cell(value: Cell) -> Cell:
    """A CSV cell as a French spreadsheet reads it: decimal comma, dates day first."""
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, dt.datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return neutralise(value)


def _rows_label(n: int) -> str:
    return fr.count(n, "ligne")


def write_csv(result: Assessment, out: Path) -> list[Path]:
    """One CSV per table: `;` between cells, decimal comma, UTF-8 with a BOM (Excel in French opens it as is),
    and `sommaire.csv`: each file, what it holds, its number of rows."""
    out.mkdir(parents=True, exist_ok=True)
    written, summary = [], []
    for table in tables(result):
        path = out / f"{table.name}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(table.header)
            writer.writerows(tuple(_french_cell(c) for c in row) for row in table.rows)
        written.append(path)
        summary.append((path.name, table.title, len(table.rows)))
    path = out / SUMMARY
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(("fichier", "contenu", "lignes"))
        writer.writerows(summary)
    return [*written, path]


def _sheet(workbook: Any, table: Table) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(table.name[:31])
    sheet.append(table.header)
    for row in table.rows:
        sheet.append([neutralise(c) for c in row])
    last_column = get_column_letter(len(table.columns))
    for i, column in enumerate(table.columns, start=1):
        cells = sheet.iter_rows(min_row=2, max_row=len(table.rows) + 1, min_col=i, max_col=i)
        for (cell,) in cells:
            if column.kind in EXCEL_FORMATS:
                cell.number_format = EXCEL_FORMATS[column.kind]
        texts = [str(row[i - 1]) for row in table.rows if isinstance(row[i - 1], str)]
        wide = max((len(t) for t in [column.name, *texts]), default=0) + 2
        sheet.column_dimensions[get_column_letter(i)].width = min(max(wide, WIDTH_MIN, 12 if column.kind in
                                                                      ("date", "datetime") else 0), WIDTH_MAX)
        sheet.cell(row=1, column=i).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{last_column}{len(table.rows) + 1}"
    footer = sheet.cell(row=len(table.rows) + 3, column=1, value=_rows_label(len(table.rows)))
    footer.font = Font(italic=True)


def write_xlsx(result: Assessment, out: Path) -> list[Path]:
    """One workbook, a sheet per table: real numbers, dates and percentages, a bold frozen header with a filter,
    and the number of rows under each table, outside the filtered range. The file is `out` when its name ends in
    .xlsx, else bilan-<pilot>.xlsx in the folder `out`."""
    from openpyxl import Workbook  # only this export needs it

    path = destinations(result, out, "xlsx")[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables(result):
        _sheet(workbook, table)
    workbook.save(path)
    return [path]


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


def destinations(result: Assessment, out: Path, kind: str) -> list[Path]:
    """The files `write` writes: a CSV per table and the summary in the folder `out`; for xlsx, see
    `write_xlsx`."""
    if kind == "xlsx":
        return [out if out.suffix.lower() == ".xlsx" else out / f"bilan-{_safe(result.pilot)}.xlsx"]
    return [*(out / f"{table.name}.csv" for table in tables(result)), out / SUMMARY]


def write(result: Assessment, out: Path, kind: str) -> Sequence[Path]:
    return write_xlsx(result, out) if kind == "xlsx" else write_csv(result, out)
