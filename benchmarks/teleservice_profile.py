"""Where the sandbox's CPU goes under the load benchmark's mix (benchmarks/teleservice_load.py), by package.

    python benchmarks/teleservice_profile.py [--calls 3000] [--database postgresql+psycopg://…] [--top 25]

One server in this process (its tables under a random prefix, dropped at the end), every thread it starts
profiled by cProfile: the event loop's, which runs the operations (decision 0007, « Throughput »), the journal
writer's and any worker thread's; a profiler of the main thread alone sees none of it. The calls are the
benchmark's mix, sent one after another on a keep-alive socket from the main thread, which is not profiled.
Prints the server's CPU by package (own time), then the functions that take most. No py-spy needed. The
figures are shares of the server's time, not a throughput: the client shares the process.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import socket
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import uvicorn

from preserie.teleservice.app import create_app
from preserie.teleservice.settings import Settings
from preserie.teleservice.store import SqlPrescriptionStore

sys.path.insert(0, str(Path(__file__).resolve().parent))
from teleservice_load import DEFAULT_DATABASE, PG_ENV, Mix

PROFILES: list[cProfile.Profile] = []


def _profile_this_thread(*_: Any) -> None:
    """threading.setprofile's hook: the first event of each new thread enables a profiler of its own."""
    profile = cProfile.Profile()
    PROFILES.append(profile)
    profile.enable()


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)
    return int(head.split()[1]), body


def _package(filename: str) -> str:
    """A function's file as a package name: preserie's modules by name, the others by their top package."""
    path = filename.replace(os.sep, "/")
    if "/preserie/" in path:
        return "preserie." + path.rsplit("/preserie/", 1)[1].removesuffix(".py").replace("/", ".")
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if filename.startswith("<") or filename == "~":
        return "builtins (C)"
    return "stdlib." + Path(path).stem


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--database", default=os.environ.get(PG_ENV) or DEFAULT_DATABASE)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    secret, prefix = secrets.token_urlsafe(32), f"prof{secrets.token_hex(4)}_"
    store = SqlPrescriptionStore(args.database, table_prefix=prefix)
    app = create_app(Settings(secret=secret, database=args.database, table_prefix=prefix), store=store)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    threading.setprofile(_profile_this_thread)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    mix, statuses = Mix(secret=secret), Counter[tuple[str, int]]()
    started = time.perf_counter()
    try:
        with socket.create_connection(sock.getsockname(), timeout=30) as conn:
            for _ in range(args.calls):
                call = mix.next()
                conn.sendall(call.raw)
                status, body = _answer(conn)
                statuses[call.operation, status] += 1
                if call.on_created is not None and status == 201:
                    call.on_created(body.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode())
        elapsed = time.perf_counter() - started
    finally:
        server.should_exit = True
        thread.join(20)
        threading.setprofile(None)  # type: ignore[arg-type]
        store.drop_tables()
        store.close()
    stats = pstats.Stats(*PROFILES)
    own: Counter[str] = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        own[_package(filename)] += tottime
    total = sum(own.values())
    print(f"{args.calls} appels en {elapsed:.1f} s ({args.calls / elapsed:.0f}/s, un à un) ; {dict(statuses)}")
    print(f"temps CPU du serveur profilé : {total:.2f} s, par paquet (temps propre) :")
    for package, seconds in own.most_common(args.top):
        print(f"  {100 * seconds / total:5.1f} %  {seconds:6.2f} s  {package}")
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
