"""The sandbox app: ``create_app(settings)`` wires the store, the routes, the error catalogue and the journal.

A SIMULATION of the national e-prescription service, not the national service (see the package docstring).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from time import perf_counter

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from preserie.teleservice.catalogue import ERRORS, TeleserviceError
from preserie.teleservice.faults import OPERATIONS, FaultInjector
from preserie.teleservice.health import HEALTH_PATH
from preserie.teleservice.health import router as health_router
from preserie.teleservice.records import JournalEntry
from preserie.teleservice.routes import router
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import SqlPrescriptionStore

log = logging.getLogger(__name__)
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")  # those a 405's Allow may name

DESCRIPTION = """**Simulation** du téléservice de l'ordonnance numérique, **pas le service national** de
l'Assurance Maladie (dont l'interface n'est pas publique). Bac à sable de preserie pour que les éditeurs éprouvent
leur module (créer, consulter, rechercher, délivrer) avant et pendant la présérie.

Authentification : jeton porteur signé (`preserie teleservice token --id ID --role ROLE`), tenant lieu de la carte
CPS / Pro Santé Connect. Erreurs : `{"code": ..., "message": ...}`, codes stables du catalogue :

""" + "\n".join(f"- `{code}` ({kind.status}) : {kind.message}" for code, kind in ERRORS.items())


def _answer(request: Request, error: TeleserviceError) -> JSONResponse:
    request.state.error_code = error.code
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return JSONResponse(error.body(), status_code=error.kind.status, headers=headers)


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
    answer = _answer(request, TeleserviceError(code))
    if error.status_code == 405:
        answer.headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return answer


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route takes at this path (RFC 9110: a 405 carries Allow). Starlette's own 405 names the
    methods of the first route of the path only (GET and POST /v1/prescriptions are two routes), and FastAPI nests
    the routes of an included router: each method is asked of the app's routes."""
    return {method for method in _METHODS if any(
        route.matches({**request.scope, "method": method})[0] == Match.FULL for route in request.app.router.routes)}


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


class _JournalCalls:
    """Journals every call, the health probe aside (a monitoring probe, not a call of an operation: health.py), when
    its answer starts, so before the caller can read it; answers TS_INTERNAL_ERROR for a failure nothing else
    answered. Plain ASGI: Starlette's BaseHTTPMiddleware runs each call in a task of its own (measured by
    benchmarks/teleservice_load.py). The journal only queues the entry: its writer thread inserts it."""

    def __init__(self, app: ASGIApp, store: SqlPrescriptionStore) -> None:
        self.app, self.store = app, store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, answered = perf_counter(), False

        async def journal_then_send(message: Message) -> None:
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                if scope["path"] != HEALTH_PATH:
                    self.store.journal(_journal_entry(Request(scope), message["status"], started))
            await send(message)

        try:
            await self.app(scope, receive, journal_then_send)
        except Exception:
            log.exception("erreur interne sur %s %s", scope["method"], scope["path"])
            if answered:
                raise
            await _answer(Request(scope), TeleserviceError("TS_INTERNAL_ERROR"))(scope, receive, journal_then_send)


async def _inject_fault(request: Request) -> None:
    """A dependency of every operation: the fault its profile draws, before the operation (and its checks) run."""
    injector: FaultInjector | None = request.app.state.faults
    operation = getattr(request.scope.get("route"), "name", None)
    if injector is None or operation not in OPERATIONS:
        return
    fault = injector.decide(operation)
    if fault.delay_s:
        await asyncio.sleep(fault.delay_s)
    if fault.code is not None:
        raise TeleserviceError(fault.code, "panne simulée", retry_after=fault.retry_after)


def create_app(settings: Settings, *, store: SqlPrescriptionStore | None = None,
               faults: FaultInjector | None = None) -> FastAPI:
    """The sandbox's app. Creates its tables at startup; closes the store it made (not one it was given).
    ``faults``, when given, injects the faults of its profile into the operations (never into the health check)."""
    owned = store is None
    if faults is None and (profile := settings.fault_profile()) is not None:
        faults = FaultInjector(profile)
    the_store = store or SqlPrescriptionStore(settings.database_url, table_prefix=settings.table_prefix)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(the_store.create_tables)
        the_store.start_journal_writer()
        yield
        await run_in_threadpool(the_store.stop_journal_writer)
        if owned:
            the_store.close()

    # No redirect of /path/ to /path: Starlette built its Location from the request's Host header, an open redirect
    # that a forged Host steers anywhere. A trailing slash is an unknown route (404).
    app = FastAPI(title="Téléservice ordonnance numérique — bac à sable preserie (simulation)", version="1",
                  description=DESCRIPTION, lifespan=lifespan, redirect_slashes=False)
    app.state.settings, app.state.store = settings, the_store
    app.state.faults = faults
    app.include_router(router, dependencies=[Depends(_inject_fault)])
    app.include_router(health_router)
    app.add_exception_handler(TeleserviceError, _on_teleservice_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(OperationalError, _on_database_down)
    if faults is not None:
        faults.slow_database(the_store.engine)
    app.add_middleware(_JournalCalls, store=the_store)
    return app


_WORKER_SETTINGS = "PRESERIE_TELESERVICE_WORKER_SETTINGS"  # from serve() to its worker processes, never set by hand


def worker_app() -> FastAPI:
    """The app of one worker process started by ``serve(workers=N)``, with the settings handed down by it."""
    return create_app(Settings(**json.loads(os.environ[_WORKER_SETTINGS])))


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8700, workers: int = 1) -> None:
    """Run the sandbox with uvicorn until interrupted; ``workers`` > 1 runs as many processes on the one port."""
    import uvicorn

    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
        return
    from uvicorn.supervisors import Multiprocess

    store = SqlPrescriptionStore(settings.database_url, table_prefix=settings.table_prefix)
    store.create_tables()  # migrated once, before the workers start: theirs then find nothing to do
    store.close()
    os.environ[_WORKER_SETTINGS] = json.dumps({f.name: getattr(settings, f.name)  # what Settings() takes
                                               for f in dataclasses.fields(settings) if f.init})
    config = uvicorn.Config(f"{__name__}:worker_app", factory=True, host=host, port=port, workers=workers,
                            log_level="info")
    log.info("bac à sable sur http://%s:%d, %d processus", host, port, workers)
    Multiprocess(config, sockets=[_listening_socket(host, port)]).run()  # what uvicorn.run does, but this socket


def _listening_socket(host: str, port: int) -> socket.socket:
    """The workers' shared socket, created with its protocol number. uvicorn's own (0.54) has none, so asyncio's event
    loop leaves Nagle's algorithm on for each connection and an answer waits ~40 ms for the client's delayed ACK
    (measured: 44 ms per health probe with 2 workers, 1.5 ms with this socket; uvloop sets TCP_NODELAY itself)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
