"""What the browser tests share: Debian's Chromium and its switches, the vendored axe-core, the served world."""

from __future__ import annotations

import html
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
AXE = HERE / "vendor" / "axe.min.js"


@dataclass
class Served:
    url: str
    data: Path
    parties: Any  # web_world.Parties


@contextmanager
def other_site(action: str, fields: dict[str, str]) -> Iterator[str]:
    """Another site on the same machine, its URL: a page whose form (button `#go`) posts ``fields`` to ``action``
    of the registry, without the session's token (it cannot read it)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    body = (f'<!DOCTYPE html><html lang="fr"><body><form method="post" action="{html.escape(action)}">{inputs}'
            '<button id="go">Gagner un prix</button></form></body></html>').encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
