"""Routes: the bilan's files from a pilot's page, the same bytes as the CLI's (`report.downloads`): the report in
HTML (opened in the browser under its own strict policy) and PDF, the workbook, each CSV table. Whole-pilot files:
a CPAM gets the 403 page, as from the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from preserie.api.deps import RegistryDep
from preserie.report import downloads
from preserie.services import bilan
from preserie.services.assess import AssessmentRun
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry
from preserie.web.session import SessionDep

router = APIRouter(prefix="/pilotes/{pilot}", include_in_schema=False)
Table = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,40}$")]


def _run(registry: Registry, session: SessionDep, pilot: str) -> AssessmentRun:
    return bilan.assessment(registry, session.caller, pilot)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@router.get("/rapport.html", summary="Le rapport du bilan (HTML)")
def report_html(pilot: str, registry: RegistryDep, session: SessionDep) -> Response:
    run = _run(registry, session, pilot)
    return Response(downloads.report_html(run.assessment, run.pilot), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": downloads.REPORT_CSP, "Cache-Control": "no-store"})


@router.get("/rapport.pdf", summary="Le rapport du bilan (PDF)")
def report_pdf(pilot: str, registry: RegistryDep, session: SessionDep) -> Response:
    run = _run(registry, session, pilot)
    return Response(downloads.report_pdf(run.assessment, run.pilot), media_type="application/pdf",
                    headers=_attachment(f"bilan-{run.pilot.id}.pdf"))


@router.get("/bilan.xlsx", summary="Le bilan en classeur")
def workbook(pilot: str, registry: RegistryDep, session: SessionDep) -> Response:
    run = _run(registry, session, pilot)
    return Response(downloads.workbook(run.assessment), media_type=downloads.XLSX,
                    headers=_attachment(f"bilan-{run.pilot.id}.xlsx"))


@router.get("/exports/{table}.csv", summary="Une table du bilan en CSV")
def csv_table(pilot: str, table: Table, registry: RegistryDep, session: SessionDep) -> Response:
    run = _run(registry, session, pilot)
    files = downloads.csv_tables(run.assessment)
    if table not in files:
        raise RegistryError("NOT_FOUND")
    return Response(files[table], media_type="text/csv; charset=utf-8",
                    headers=_attachment(f"bilan-{run.pilot.id}-{table}.csv"))

