"""Running the real command line in a fresh process, as a user would (shared by the end-to-end tests)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CASES = Path(__file__).parents[1] / "cases"


def run(*args: str, cwd: Path | None = None, timeout: int = 300,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`preserie ARGS...`; a wide terminal so that rich never wraps what a test reads; `env`: variables to set
    (an empty value removes the variable)."""
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    environment = {name: value for name, value in environment.items() if value != ""}
    return subprocess.run([sys.executable, "-m", "preserie", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=environment)


def copy_case(name: str, dest: Path) -> Path:
    """A golden case's pilot folder, without its expectations, to change freely."""
    shutil.copytree(CASES / name, dest, ignore=shutil.ignore_patterns("case.yaml", "expected*"))
    return dest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving_registry(data: Path, log: Path) -> Iterator[str]:
    """`preserie serve --data DATA` in its own process on 127.0.0.1, its output in ``log``: its URL once its health
    probe answers; stopped (SIGTERM) afterwards."""
    url = f"http://127.0.0.1:{free_port()}"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "preserie", "serve", "--data", str(data), "--host",
                                    "127.0.0.1", "--port", url.rsplit(":", 1)[1]], stdout=out,
                                   stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(15)
