"""The sandbox app: ``create_app(settings)`` wires the store, the routes, the error catalogue and the journal.

A SIMULATION of the national e-prescription service, not the national service (see the package docstring).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from time import perf_counter

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from preserie.teleservice.catalogue import ERRORS, TeleserviceError
from preserie.teleservice.records import JournalEntry
from preserie.teleservice.routes import router
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import SqlPrescriptionStore

log = logging.getLogger(__name__)

DESCRIPTION = """**Simulation** du téléservice de l'ordonnance numérique, **pas le service national** de
l'Assurance Maladie (dont l'interface n'est pas publique). Bac à sable de preserie pour que les éditeurs éprouvent
leur module (créer, consulter, rechercher, délivrer) avant et pendant la présérie.

Authentification : jeton porteur signé (`preserie teleservice token --id ID --role ROLE`), tenant lieu de la carte
CPS / Pro Santé Connect. Erreurs : `{"code": ..., "message": ...}`, codes stables du catalogue :

""" + "\n".join(f"- `{code}` ({kind.status}) : {kind.message}" for code, kind in ERRORS.items())


def _answer(request: Request, error: TeleserviceError) -> JSONResponse:
    request.state.error_code = error.code
    return JSONResponse(error.body(), status_code=error.kind.status)


async def _on_teleservice_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, TeleserviceError)
    return _answer(request, error)


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [{"loc": list(problem.get("loc", ())), "msg": problem.get("msg", ""), "type": problem.get("type", "")}
                for problem in error.errors()]
    if any(problem["type"] == "json_invalid" for problem in problems):
        return _answer(request, TeleserviceError("MALFORMED_REQUEST", details=problems))
    return _answer(request, TeleserviceError("INVALID_REQUEST", details=problems))


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    code = {404: "ROUTE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code)
    if code is None:
        code = "TS_INTERNAL_ERROR" if error.status_code >= 500 else "MALFORMED_REQUEST"
    return _answer(request, TeleserviceError(code))


async def _on_database_down(request: Request, error: Exception) -> Response:
    log.warning("base de données indisponible : %s", error)
    return _answer(request, TeleserviceError("TS_DATABASE_UNAVAILABLE"))


def _journal_entry(request: Request, status: int, started: float) -> JournalEntry:
    route = request.scope.get("route")
    caller = getattr(request.state, "caller", None)
    return JournalEntry(
        operation=getattr(route, "name", None) or "unknown", method=request.method, status=status,
        duration_ms=round((perf_counter() - started) * 1000), error_code=getattr(request.state, "error_code", None),
        caller_id=caller.id if caller else None, caller_role=caller.role if caller else None,
        prescription_id=getattr(request.state, "prescription_id", None))


def _journal_calls(store: SqlPrescriptionStore) -> Callable[..., Awaitable[Response]]:
    async def journal_calls(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = perf_counter()
        try:
            response = await call_next(request)
        except Exception:
            log.exception("erreur interne sur %s %s", request.method, request.url.path)
            response = _answer(request, TeleserviceError("TS_INTERNAL_ERROR"))
        try:
            await run_in_threadpool(store.journal, _journal_entry(request, response.status_code, started))
        except Exception:  # the answer stands even when the journal cannot be written (database down)
            log.exception("journal non écrit")
        return response

    return journal_calls


def create_app(settings: Settings, *, store: SqlPrescriptionStore | None = None) -> FastAPI:
    """The sandbox's app. Creates its tables at startup; closes the store it made (not one it was given)."""
    owned = store is None
    the_store = store or SqlPrescriptionStore(settings.database_url, table_prefix=settings.table_prefix)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(the_store.create_tables)
        yield
        if owned:
            the_store.close()

    app = FastAPI(title="Téléservice ordonnance numérique — bac à sable preserie (simulation)", version="1",
                  description=DESCRIPTION, lifespan=lifespan)
    app.state.settings, app.state.store = settings, the_store
    app.include_router(router)
    app.add_exception_handler(TeleserviceError, _on_teleservice_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(OperationalError, _on_database_down)
    app.middleware("http")(_journal_calls(the_store))
    return app


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8700) -> None:
    """Run the sandbox with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
