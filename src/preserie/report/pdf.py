"""The PDF of the report, made by WeasyPrint from the very same HTML (page numbers come from its CSS)."""

from __future__ import annotations

from pathlib import Path


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML  # heavy import, only when a PDF is asked for

    HTML(string=html).write_pdf(path)
