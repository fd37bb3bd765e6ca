"""The bilan's files as the command line writes them (`preserie report`, `preserie export`), handed back as bytes
for the service's downloads (the API's routes and the web pages'): written in a temporary folder by the same
functions, so that a file downloaded is byte for byte the file the CLI makes of the same bilan."""

from __future__ import annotations

import tempfile
from pathlib import Path

from preserie.domain.pilot import PilotDeclaration
from preserie.domain.results import Assessment

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def report_html(result: Assessment, pilot: PilotDeclaration) -> bytes:
    from preserie.report.html import render_html

    return render_html(result, pilot).encode("utf-8")


def report_pdf(result: Assessment, pilot: PilotDeclaration) -> bytes:
    from preserie.report.html import render_html
    from preserie.report.pdf import write_pdf

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bilan.pdf"
        write_pdf(render_html(result, pilot), path)
        return path.read_bytes()


def workbook(result: Assessment) -> bytes:
    from preserie.adapters.exports import write_xlsx

    with tempfile.TemporaryDirectory() as folder:
        return write_xlsx(result, Path(folder) / "bilan.xlsx")[0].read_bytes()


def csv_tables(result: Assessment) -> dict[str, bytes]:
    """Every CSV table of the export by name (its file's stem), the summary `sommaire` among them."""
    from preserie.adapters.exports import write_csv

    with tempfile.TemporaryDirectory() as folder:
        return {path.stem: path.read_bytes() for path in write_csv(result, Path(folder))}

# The report is a standalone page with its own style sheet and no script: opened from the service, it may style
# itself and show its inline SVG, nothing more (no script, no request, no frame, no form).
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; "
              "base-uri 'none'; form-action 'none'; sandbox")
