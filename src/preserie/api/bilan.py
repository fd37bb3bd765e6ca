"""Routes: the bilan on demand (the `preserie.assessment/1` JSON, its exports and report), the Cnam's decisions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from preserie.api.deps import CallerDep, RegistryDep
from preserie.api.schemas import DecisionCreate, DecisionPublic
from preserie.domain.access import sees_whole_pilot
from preserie.report import downloads
from preserie.services import bilan
from preserie.services.assess import AssessmentRun
from preserie.services.errors import RegistryError

router = APIRouter(prefix="/api/v1/pilots/{pilot}", tags=["bilan"])
Phase = Annotated[int | None, Query(ge=1, le=1000, description="la phase (défaut : la phase en cours)")]
AsOf = Annotated[str | None, Query(max_length=40, description="date du bilan, ISO 8601 (défaut : le dernier "
                                                              "moment que la présérie enregistre)")]
XLSX = downloads.XLSX


def _as_of(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    from preserie.domain.as_of import parse_as_of

    try:
        return parse_as_of(value)
    except ValueError as error:
        raise RegistryError("INVALID_REQUEST", f"as_of : {error}", field="as_of") from None


def _run(registry: Any, caller: Any, pilot: str, phase: int | None, as_of: str | None) -> AssessmentRun:
    return bilan.assessment(registry, caller, pilot, phase=phase, as_of=_as_of(as_of))


@router.get("/assessment", summary="Le bilan, calculé à la demande (preserie.assessment/1)")
def assessment(pilot: str, registry: RegistryDep, caller: CallerDep, phase: Phase = None,
               as_of: AsOf = None) -> dict[str, Any]:
    return _run(registry, caller, pilot, phase, as_of).result


@router.get("/export.xlsx", summary="Le bilan en classeur (comme preserie export --format xlsx)",
            response_class=Response, responses={200: {"content": {XLSX: {}}}})
def export_xlsx(pilot: str, registry: RegistryDep, caller: CallerDep, phase: Phase = None,
                as_of: AsOf = None) -> Response:
    run = _run(registry, caller, pilot, phase, as_of)
    return Response(downloads.workbook(run.assessment), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="bilan-{pilot}.xlsx"'})


@router.get("/exports/{table}.csv", summary="Une table du bilan en CSV (comme preserie export)",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def export_csv(pilot: str, table: Annotated[str, Query(pattern=r"^[a-z0-9_]{1,40}$")] | str,
               registry: RegistryDep, caller: CallerDep, phase: Phase = None, as_of: AsOf = None) -> Response:
    run = _run(registry, caller, pilot, phase, as_of)
    files = downloads.csv_tables(run.assessment)
    if table not in files:
        raise RegistryError("NOT_FOUND", f"table « {table} » inconnue (tables : {', '.join(sorted(files))})",
                            field="table")
    return Response(files[table], media_type="text/csv; charset=utf-8")


@router.get("/report.html", summary="Le rapport partagé", response_class=Response,
            responses={200: {"content": {"text/html": {}}}})
def report_html(pilot: str, registry: RegistryDep, caller: CallerDep, phase: Phase = None,
                as_of: AsOf = None) -> Response:
    run = _run(registry, caller, pilot, phase, as_of)
    return Response(downloads.report_html(run.assessment, run.pilot), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": downloads.REPORT_CSP})


@router.get("/report.pdf", summary="Le rapport partagé en PDF", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})
def report_pdf(pilot: str, registry: RegistryDep, caller: CallerDep, phase: Phase = None,
               as_of: AsOf = None) -> Response:
    run = _run(registry, caller, pilot, phase, as_of)
    return Response(downloads.report_pdf(run.assessment, run.pilot), media_type="application/pdf")


@router.get("/decisions", summary="Les décisions de la Cnam (une CPAM : sans le bilan complet)")
def decisions(pilot: str, registry: RegistryDep, caller: CallerDep) -> list[DecisionPublic]:
    record = registry.visible(caller, pilot)
    return [DecisionPublic.of(d, with_assessment=sees_whole_pilot(caller)) for d in registry.repo.decisions(record.id)]


@router.post("/decisions", status_code=201, summary="Décider (Cnam) : généraliser ou prolonger, sur le bilan du jour")
def decide(pilot: str, body: DecisionCreate, registry: RegistryDep, caller: CallerDep) -> DecisionPublic:
    return DecisionPublic.of(bilan.decide(registry, caller, pilot, body.decision, body.justification),
                             with_assessment=True)
