"""The sandbox app: ``create_app(settings)`` wires the store, the routes, the error catalogue and the journal.

A SIMULATION of the national e-prescription service, not the national service (see the package docstring).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Route

from preserie.teleservice.catalogue import ERRORS, TeleserviceError
from preserie.teleservice.faults import OPERATIONS, FaultInjector
from preserie.teleservice.fhir_http import router as fhir_router
from preserie.teleservice.health import router as health_router
from preserie.teleservice.limits import MAX_BODY_BYTES, MAX_ERROR_DETAILS, invalid_request, too_large
from preserie.teleservice.middleware import JournalCalls, LimitBody, access_log, answer, matching_routes
from preserie.teleservice.ports import PrescriptionStore
from preserie.teleservice.registrations import router as registrations_router
from preserie.teleservice.routes import router
from preserie.teleservice.settings import Settings
from preserie.teleservice.stateless import CannedStore
from preserie.teleservice.store import SqlPrescriptionStore

log = logging.getLogger(__name__)

DESCRIPTION = f"""**Simulation** du téléservice de l'ordonnance numérique, **pas le service national** de
l'Assurance Maladie (dont l'interface n'est pas publique). Bac à sable de preserie pour que les éditeurs éprouvent
leur module (créer, consulter, rechercher, délivrer) avant et pendant la présérie.

Authentification : jeton porteur signé (`preserie teleservice token --id ID --role ROLE`), tenant lieu de la carte
CPS / Pro Santé Connect. Corps de requête : {MAX_BODY_BYTES // 1024} Kio au plus ({MAX_BODY_BYTES} octets, que
redit `x-max-body-bytes` de chaque requestBody) ; au-delà, 413 `REQUEST_TOO_LARGE`. Un 422 détaille ses
{MAX_ERROR_DETAILS} premières erreurs et les compte toutes (`details_total`). Erreurs : `{{"code": ..., "message":
...}}`, codes stables du catalogue :

""" + "\n".join(f"- `{code}` ({kind.status}) : {kind.message}" for code, kind in ERRORS.items())


async def _on_teleservice_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, TeleserviceError)
    return answer(request, error)


async def _on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    problems = [{"loc": list(problem.get("loc", ())), "msg": problem.get("msg", ""), "type": problem.get("type", "")}
                for problem in error.errors()]
    return answer(request, invalid_request(problems))


async def _on_http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 413:  # a chunked body past the cap (middleware.LimitBody)
        return answer(request, too_large())
    code = {404: "ROUTE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code)
    if code is None:
        code = "TS_INTERNAL_ERROR" if error.status_code >= 500 else "MALFORMED_REQUEST"
    response = answer(request, TeleserviceError(code))
    if error.status_code == 405:
        # RFC 9110: a 405 carries Allow. Starlette's names the methods of the path's first route only (GET and POST
        # /v1/prescriptions are two routes): every method some route of this path takes.
        allowed = {method for route in matching_routes(request.scope) for method in getattr(route, "methods", ())}
        response.headers["Allow"] = ", ".join(sorted(allowed))
    return response


async def _on_database_down(request: Request, error: Exception) -> Response:
    log.warning("base de données indisponible : %s", error)
    return answer(request, TeleserviceError("TS_DATABASE_UNAVAILABLE"))


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


def create_app(settings: Settings, *, store: PrescriptionStore | None = None,
               faults: FaultInjector | None = None) -> FastAPI:
    """The sandbox's app. Creates its tables at startup; closes the store it made (not one it was given).
    ``faults``, when given, injects the faults of its profile into the operations (never into the health check).
    With ``settings.stateless``, no database: the canned examples of stateless.py."""
    owned = store is None
    if faults is None and (profile := settings.fault_profile()) is not None:
        faults = FaultInjector(profile)
    the_store: PrescriptionStore = store or (CannedStore() if settings.stateless else SqlPrescriptionStore(
        settings.database_url, table_prefix=settings.table_prefix))

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
    app.state.store_in_threads = faults is not None and faults.profile.database_latency_ms > 0  # routes.on_store
    app.include_router(router, dependencies=[Depends(_inject_fault)])
    app.include_router(fhir_router, dependencies=[Depends(_inject_fault)])
    app.include_router(registrations_router)
    app.include_router(health_router)
    app.state.routes = (*(route for route in app.routes if isinstance(route, Route)), *router.routes,
                        *fhir_router.routes, *registrations_router.routes,
                        *health_router.routes)  # middleware.matching_routes
    app.add_exception_handler(TeleserviceError, _on_teleservice_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(OperationalError, _on_database_down)
    if faults is not None and isinstance(the_store, SqlPrescriptionStore):
        faults.slow_database(the_store.engine)
    app.add_middleware(LimitBody)
    app.add_middleware(JournalCalls, store=the_store)  # the outermost: it journals the 413s of LimitBody too
    return app


_WORKER_SETTINGS = "PRESERIE_TELESERVICE_WORKER_SETTINGS"  # from serve() to its worker processes, never set by hand


def worker_app() -> FastAPI:
    """The app of one worker process started by ``serve(workers=N)``, with the settings handed down by it."""
    return create_app(Settings(**json.loads(os.environ[_WORKER_SETTINGS])))


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8700, workers: int = 1) -> None:
    """Run the sandbox with uvicorn until interrupted; ``workers`` > 1 runs as many processes on the one port.
    uvicorn's access log is off (it writes the query, patients' NIRs included): the sandbox writes its own
    (middleware.access_log), in uvicorn's format, with the route's template for the path."""
    import uvicorn

    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", access_log=False,
                    log_config=_log_config())
        return
    from uvicorn.supervisors import Multiprocess

    if not settings.stateless:
        store = SqlPrescriptionStore(settings.database_url, table_prefix=settings.table_prefix)
        store.create_tables()  # migrated once, before the workers start: theirs then find nothing to do
        store.close()
    os.environ[_WORKER_SETTINGS] = json.dumps({f.name: getattr(settings, f.name)  # what Settings() takes
                                               for f in dataclasses.fields(settings) if f.init})
    config = uvicorn.Config(f"{__name__}:worker_app", factory=True, host=host, port=port, workers=workers,
                            log_level="info", access_log=False, log_config=_log_config())
    log.info("bac à sable sur http://%s:%d, %d processus", host, port, workers)
    Multiprocess(config, sockets=[_listening_socket(host, port)]).run()  # what uvicorn.run does, but this socket


def _log_config() -> dict[str, Any]:
    """uvicorn's logging configuration, with the sandbox's access log on uvicorn's access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"][access_log.name] = {"handlers": ["access"], "level": "INFO", "propagate": False}
    return config


def _listening_socket(host: str, port: int) -> socket.socket:
    """The workers' shared socket, created with its protocol number. uvicorn's own (0.54) has none, so asyncio's event
    loop leaves Nagle's algorithm on for each connection and an answer waits ~40 ms for the client's delayed ACK
    (measured: 44 ms per health probe with 2 workers, 1.5 ms with this socket; uvloop sets TCP_NODELAY itself)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock
