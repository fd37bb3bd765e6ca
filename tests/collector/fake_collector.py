"""A fake collector for the workstation side's tests: a small real HTTP server on 127.0.0.1 that keeps the
collector's contract (issue 11) and fails on a script.

It enrols workstations (`POST …/practitioners/{ref}/workstations` with the vendor's token → a `prw_…` token) and
takes batches (`POST …/traces`): gzipped or plain JSON Lines, one Idempotency-Key per batch (201 the first time,
200 `replayed` for the same key and body, 409 for the same key and another body), records stored once by
event_id (`duplicated` otherwise), a line that is not a JSON object rejected. `script` holds what the next
requests get instead, in order: "ok" (the contract), "503", "503:<s>" (with Retry-After), "429:<s>", "410",
"lost" (store the batch, then close the connection without answering), "stall" (store it, then answer only once
`release` is set). Batches over `max_records` answer 413.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VENDOR_TOKEN = "vendor-token-of-the-fake"


@dataclass
class FakeState:
    pilot: str = "PILOT1"
    max_records: int = 10_000
    script: list[str] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # token -> practitioner
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # event_id -> record
    times_stored: Counter[str] = field(default_factory=Counter)  # event_id -> how many times it was written
    batches: dict[tuple[str, str], tuple[str, dict[str, Any]]] = field(default_factory=dict)
    keys_seen: list[str] = field(default_factory=list)  # every Idempotency-Key received, in order
    answers: list[int] = field(default_factory=list)
    request_times: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_stored: threading.Event = field(default_factory=threading.Event)
    stalled: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class Handler(BaseHTTPRequestHandler):
    state: FakeState  # set on the subclass made per server
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass

    def _answer(self, status: int, body: dict[str, Any], **headers: str) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.state.answers.append(status)

    def do_POST(self) -> None:
        import time

        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        parts = self.path.strip("/").split("/")
        self.state.request_times.append(time.monotonic())
        if len(parts) == 7 and parts[:3] == ["api", "v1", "pilots"] and parts[4] == "practitioners" \
                and parts[6] == "workstations":
            return self._enrol(parts[3], parts[5])
        if len(parts) == 5 and parts[:3] == ["api", "v1", "pilots"] and parts[4] == "traces":
            return self._traces(parts[3], body)
        return self._answer(404, {"code": "NOT_FOUND", "message": "adresse inconnue"})

    def _enrol(self, pilot: str, practitioner: str) -> None:
        if self.headers.get("Authorization") != f"Bearer {VENDOR_TOKEN}":
            return self._answer(401, {"code": "UNAUTHENTICATED", "message": "jeton inconnu"})
        if pilot != self.state.pilot:
            return self._answer(404, {"code": "PILOT_NOT_FOUND", "message": "présérie inconnue"})
        token = "prw_" + secrets.token_hex(16)
        with self.state.lock:
            self.state.tokens[token] = practitioner
        return self._answer(201, {"id": str(len(self.state.tokens)), "practitioner": practitioner, "token": token})

    def _traces(self, pilot: str, body: bytes) -> None:
        state = self.state
        token = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in state.tokens:
            return self._answer(401, {"code": "UNAUTHENTICATED", "message": "jeton de poste inconnu"})
        if pilot != state.pilot:
            return self._answer(404, {"code": "PILOT_NOT_FOUND", "message": "présérie inconnue"})
        key = self.headers.get("Idempotency-Key", "")
        with state.lock:
            state.keys_seen.append(key)
            action = state.script.pop(0) if state.script else None
        if action not in (None, "ok", "lost", "stall"):
            status, _, wait = action.partition(":")
            headers = {"Retry-After": wait} if wait else {}
            code = {"503": "UNAVAILABLE", "429": "RATE_LIMITED", "410": "TRACES_CLOSED"}[status]
            return self._answer(int(status), {"code": code, "message": "scripté"}, **headers)
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        lines = body.splitlines()
        if len(lines) > state.max_records:
            return self._answer(413, {"code": "BATCH_TOO_LARGE", "message": "lot trop grand"})
        status, answer = self._store(token, key, body, lines)
        if action == "stall":  # stored, then no answer until the test says so (it kills the client meanwhile)
            state.stalled.set()
            state.release.wait(30)
        if action == "lost":  # stored, then the answer is lost on the way
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        return self._answer(status, answer)

    def _store(self, token: str, key: str, body: bytes, lines: list[bytes]) -> tuple[int, dict[str, Any]]:
        state, digest = self.state, hashlib.sha256(body).hexdigest()
        with state.lock:
            earlier = state.batches.get((token, key))
            if earlier is not None:
                if earlier[0] != digest:
                    return 409, {"code": "IDEMPOTENCY_KEY_REUSED", "message": "clé réutilisée"}
                return 200, {**earlier[1], "replayed": True}
            accepted = duplicated = 0
            rejections = []
            for number, line in enumerate(lines, 1):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict) or "event_id" not in record:
                    rejections.append({"line": number, "reason": "unparseable", "message": "ligne illisible"})
                    continue
                if record["event_id"] in state.stored:
                    duplicated += 1
                    continue
                state.stored[record["event_id"]] = record
                state.times_stored[record["event_id"]] += 1
                accepted += 1
            answer = {"batch": len(state.batches) + 1, "records": len(lines), "accepted": accepted,
                      "duplicated": duplicated, "rejected": len(rejections), "rejections": rejections,
                      "segment": f"collector.{len(state.batches) + 1}"}
            state.batches[(token, key)] = (digest, answer)
        state.on_stored.set()
        return 201, answer


@contextmanager
def serving(state: FakeState, port: int = 0) -> Iterator[str]:
    """Serve the fake on 127.0.0.1 (`port`, or a free one); yield its base URL."""
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
