"""Use case: the assessment of a pilot folder as a shared report (HTML, and PDF on request)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from preserie.report.html import render_html
from preserie.services.assess import AssessmentRun, assess_folder


def write_report(folder: Path, html_path: Path, *, pdf_path: Path | None = None, as_of: dt.datetime | None = None,
                 run: AssessmentRun | None = None) -> AssessmentRun:
    """Assess the folder (unless `run` is given) and write the report; returns the assessment."""
    run = run or assess_folder(folder, as_of=as_of)
    html = render_html(run.assessment, run.pilot)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    if pdf_path is not None:
        from preserie.report.pdf import write_pdf

        write_pdf(html, pdf_path)
    return run
