"""Routes: a vendor declares a présérie (`/pilotes/nouvelle`) and changes it while it is in preparation
(`/pilotes/{pilot}/declaration`). « Vérifier le dossier » answers the dossier checks of what is typed without
saving it (`pilots.check_typed`); « Enregistrer » calls `pilots.create` or `pilots.update`, the API's own."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from preserie.api.deps import RegistryDep
from preserie.domain.access import Caller
from preserie.domain.registry import PilotRecord
from preserie.services import pilots
from preserie.services.check import TRACE_CHECKS
from preserie.services.registry import Registry
from preserie.web import declaration_form as form_of
from preserie.web.editing import attempt, done, notice
from preserie.web.form_errors import FormErrors
from preserie.web.forms import FormDep
from preserie.web.render import page
from preserie.web.session import SessionDep

router = APIRouter(include_in_schema=False)
NEW = {"software.audience": "liberal", "planned_weeks": "6"}


def _render(request: Request, session: SessionDep, *, pilot: PilotRecord | None, values: dict[str, str],
            rows: int, checks: Any = None, checked: bool = False, errors: FormErrors | None = None) -> Response:
    errors = errors or FormErrors()
    return page(request, "declaration.html.j2", status=errors.status if errors else 200, session=session,
                pilot=pilot, values=values, rows=rows, checks=checks, checked=checked, errors=errors,
                options=form_of.options(), header=form_of.HEADER, readiness=form_of.READINESS,
                doctor=form_of.DOCTOR, not_checked=TRACE_CHECKS, done_notice=notice(request))


def _kept(registry: Registry, pilot: PilotRecord | None) -> dict[str, Any]:
    if pilot is None:
        return {}
    content = pilots.declaration(registry, pilot)
    return {k: v for k, v in content.items() if k not in ("schema", "reduced_minimum")}


@router.get("/pilotes/nouvelle", summary="Déclarer une présérie (éditeur)")
def new_pilot(request: Request, session: SessionDep) -> Response:
    pilots.declaring(session.caller)
    return _render(request, session, pilot=None, values=dict(NEW), rows=5)


@router.post("/pilotes/nouvelle", summary="Déclarer une présérie : vérifier, ou enregistrer")
def declare(request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    pilots.declaring(session.caller)
    return _posted(request, registry, session, form, None)


@router.get("/pilotes/{pilot}/declaration", summary="La déclaration d'une présérie en préparation (éditeur)")
def edit(pilot: str, request: Request, registry: RegistryDep, session: SessionDep) -> Response:
    record = pilots.editable(registry, session.caller, pilot)
    kept = _kept(registry, record)
    values, rows = form_of.values_of(kept)
    checks = attempt(lambda _: None, lambda: pilots.check_typed(registry, session.caller, kept, pilot))
    return _render(request, session, pilot=record, values=values, rows=rows + form_of.BLANK_ROWS,
                   checks=None if isinstance(checks, FormErrors) else checks)


@router.post("/pilotes/{pilot}/declaration", summary="Changer la déclaration : vérifier, ou enregistrer")
def save(pilot: str, request: Request, registry: RegistryDep, session: SessionDep, form: FormDep) -> Response:
    record = pilots.editable(registry, session.caller, pilot)
    return _posted(request, registry, session, form, record)


def _posted(request: Request, registry: Registry, session: SessionDep, form: Any,
            record: PilotRecord | None) -> Response:
    values = {name: value.strip() if name != "technical_prerequisites" else value
              for name, value in form.items() if isinstance(value, str) and name != "csrf"}
    rows = _rows(values.get("rows", ""))
    action = values.get("action", "enregistrer")
    if action == "lignes":
        return _render(request, session, pilot=record, values=values, rows=min(rows + form_of.MORE_ROWS,
                                                                                form_of.MAX_ROWS))
    typed = form_of.typed(values, rows, _kept(registry, record), session.caller.vendor)
    where = form_of.where(typed.rows)
    caller: Caller = session.caller
    key = record.key if record else None
    if action == "verifier":
        checks = attempt(where, lambda: pilots.check_typed(registry, caller, typed.content, key))
        if isinstance(checks, FormErrors):
            return _render(request, session, pilot=record, values=values, rows=rows, errors=checks)
        return _render(request, session, pilot=record, values=values, rows=rows, checks=checks, checked=True)
    saved = attempt(where, lambda: pilots.update(registry, caller, key, typed.content) if key
                    else pilots.create(registry, caller, typed.content))
    if isinstance(saved, FormErrors):
        return _render(request, session, pilot=record, values=values, rows=rows, errors=saved)
    return done(f"/pilotes/{saved.key}/declaration", "enregistree" if key else "declaree")


def _rows(text: str) -> int:
    return max(1, min(int(text), form_of.MAX_ROWS)) if text.isdigit() else form_of.BLANK_ROWS
