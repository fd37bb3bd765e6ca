"""The sandbox's ASGI middleware: the journal and the access log of every call, and the cap on request bodies.

Plain ASGI, not Starlette's BaseHTTPMiddleware, which runs each call in a task of its own (measured by
benchmarks/teleservice_load.py).
"""

from __future__ import annotations

import logging
from time import perf_counter

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from preserie.teleservice.catalogue import TeleserviceError
from preserie.teleservice.fhir import FHIR_JSON
from preserie.teleservice.fhir_outcome import is_fhir_path, operation_outcome
from preserie.teleservice.health import HEALTH_PATH
from preserie.teleservice.limits import MAX_BODY_BYTES, too_large
from preserie.teleservice.ports import PrescriptionStore
from preserie.teleservice.records import JournalEntry

log = logging.getLogger(__name__)
# uvicorn's own access log writes the target as sent, query included: `GET /v1/prescriptions?patient=<NIR>` put
# patients' NIRs (health data) in the server's output, for 200, 401 and 403 alike. This one writes the route's
# template instead (`/v1/prescriptions/{prescription_id}`), never a value the client put in the path or the query.
# Its arguments are those of uvicorn's AccessFormatter, whose handler app.serve() gives it.
access_log = logging.getLogger("preserie.teleservice.access")
UNKNOWN_ROUTE = "(adresse inconnue)"


def answer(request: Request, error: TeleserviceError) -> JSONResponse:
    """The JSON answer of a catalogue error (an OperationOutcome on the FHIR route); its code goes to the journal."""
    request.state.error_code = error.code
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    if is_fhir_path(request.url.path):
        return JSONResponse(operation_outcome(error), status_code=error.kind.status, headers=headers,
                            media_type=FHIR_JSON)
    return JSONResponse(error.body(), status_code=error.kind.status, headers=headers)


def matching_routes(scope: Scope) -> list[BaseRoute]:
    """The app's routes whose path matches this call's, whatever their methods (``app.state.routes``, set by
    create_app: FastAPI nests the routes of an included router in a private wrapper)."""
    app = scope.get("app")
    routes: tuple[BaseRoute, ...] = getattr(app.state, "routes", ()) if app is not None else ()
    return [route for route in routes if route.matches(scope)[0] != Match.NONE]


def route_template(scope: Scope) -> str:
    """The template of the route this call went to (or would go to, when answered before routing): what the logs
    say of the path."""
    route = scope.get("route") or next(iter(matching_routes(scope)), None)
    return getattr(route, "path", None) or UNKNOWN_ROUTE


def _journal_entry(request: Request, status: int, started: float) -> JournalEntry:
    route = request.scope.get("route")
    caller = getattr(request.state, "caller", None)
    return JournalEntry(
        operation=getattr(route, "name", None) or "unknown", method=request.method, status=status,
        duration_ms=round((perf_counter() - started) * 1000), error_code=getattr(request.state, "error_code", None),
        caller_id=caller.id if caller else None, caller_role=caller.role if caller else None,
        prescription_id=getattr(request.state, "prescription_id", None))


def _log_access(scope: Scope, status: int) -> None:
    if access_log.isEnabledFor(logging.INFO):  # off in the tests' servers: not even the template is looked up
        client = scope.get("client")
        access_log.info('%s - "%s %s HTTP/%s" %d', f"{client[0]}:{client[1]}" if client else "-", scope["method"],
                        route_template(scope), scope.get("http_version", "1.1"), status)


class JournalCalls:
    """Journals every call, the health probe aside (a monitoring probe, not a call of an operation: health.py), when
    its answer starts, so before the caller can read it, and writes its access line; answers TS_INTERNAL_ERROR for a
    failure nothing else answered. The journal only queues the entry: its writer thread inserts it."""

    def __init__(self, app: ASGIApp, store: PrescriptionStore) -> None:
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
                _log_access(scope, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, journal_then_send)
        except Exception:
            log.exception("erreur interne sur %s %s", scope["method"], route_template(scope))
            if answered:
                raise
            await answer(Request(scope), TeleserviceError("TS_INTERNAL_ERROR"))(scope, receive, journal_then_send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None  # the HTTP parser refuses one that is not a number
    return None


class LimitBody:
    """Refuses a body over MAX_BODY_BYTES with 413 REQUEST_TOO_LARGE: from its Content-Length before a byte of it is
    read, or, chunked, as soon as the bytes received pass the cap (raised from ``receive``: FastAPI passes an
    HTTPException met while reading the body on to the app's handler). uvicorn then drops the rest of the body as it
    comes, and keeps the connection, so that a client that sends its whole body before reading reads the 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > self.limit:
            await answer(Request(scope), too_large(declared))(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise StarletteHTTPException(413)
            return message

        await self.app(scope, counted, send)
