"""A bounded load on the teleservice sandbox, over loopback, against PostgreSQL.

    python benchmarks/teleservice_load.py [--duration 15] [--concurrency 16] [--rate 500] [--workers CORES]
                                          [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]

Starts the sandbox as a real uvicorn server process on 127.0.0.1 (its tables under a random prefix, dropped at
the end; a token secret made for this run), seeds prescriptions and warms up, then measures in the same run:
  (a) `GET /v1/health`, a bare `SELECT 1` through the store's engine, at fixed concurrency (the server's floor);
  (b) the mix at the same fixed concurrency: create / consult / search, ~90 % valid and ~10 % invalid
      (bad NIR key, out-of-scope category, a line code of another category → 422; a mistyped id → 400; an
      unknown id → 404; expired or forged token → 401); its
      throughput must reach 500 requests/s, and is compared with (a)'s;
  (c) the same mix open-loop at --rate requests/s, latency counted from when each request was due (no coordinated
      omission): the issue's goal, ≥ 500 requests/s sustained with p99 < 100 ms and no unexpected status.
The creates carry what the public models have (docs/teleservice.md): the id the prescriber's software made (its
check character), the prescriber's RPPS and structure id, validity and execution dates, and lines with their
category's code, posology (text and structured), renewals, substitution and coverage flags.
Every response is counted by (operation, variant, status); a status the variant does not expect is an error. After
the server stopped (its journal flushed), the journal must hold one row per call. The client is one asyncio process
speaking HTTP/1.1 keep-alive on raw sockets (cheaper than an HTTP library: it shares the 2 cores with the server
and PostgreSQL); the CPU each side took is reported. Writes benchmarks/results/teleservice_load.json; exit 1 when
the goal is unmet.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from preserie.teleservice.ids import ALPHABET, PAYLOAD_LENGTH, with_check_character
from preserie.teleservice.rules import cip13
from preserie.teleservice.settings import SECRET_ENV
from preserie.teleservice.tokens import issue_token

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PG_ENV = "PRESERIE_TEST_DATABASE_URL"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GOAL_RATE, GOAL_P99_MS = 500, 100.0
WEIGHTS = {"create": 0.3, "consult": 0.5, "search": 0.2}  # a prescription is consulted more often than created
INVALID_SHARE = 0.1
CATEGORIES = ("medicines", "medicines", "medicines", "medical_devices", "nursing", "biology")
# The prescriber as the prescription carries them (keys right): a RPPS, the practice's N° AM or a centre's FINESS;
# a code of each category's system (rules.CODE_SYSTEMS), line n.
RPPS = "10003456786"
STRUCTURES = ({"kind": "am", "id": "750123457"}, {"kind": "finess", "id": "750000127"})
CODES: dict[str, Callable[[int], str]] = {
    "medicines": lambda n: cip13(f"34009300000{n % 10}"), "medical_devices": lambda n: f"{1000000 + n}",
    "biology": lambda n: f"{1000 + n}", "nursing": lambda n: f"AMI {n}"}
PARIS = ZoneInfo("Europe/Paris")
TICK = os.sysconf("SC_CLK_TCK")
SERVER = """import os, sys
from preserie.teleservice.app import serve
from preserie.teleservice.settings import SECRET_ENV, Settings
settings = Settings(secret=os.environ[SECRET_ENV], database=sys.argv[1], table_prefix=sys.argv[2])
serve(settings, port=int(sys.argv[3]), workers=int(sys.argv[4]))
"""


def _mistyped(prescription_id: str) -> str:
    """The id with its check character mistyped."""
    return prescription_id[:-1] + ("0" if prescription_id[-1] != "0" else "1")


def nir(rng: random.Random, valid: bool = True) -> str:
    body = f"{rng.choice('12')}{rng.randint(40, 99):02d}{rng.randint(1, 12):02d}75{rng.randint(0, 999_999):06d}"
    key = 97 - int(body) % 97
    return body + f"{key if valid else (key % 97) + 1:02d}"


# -- the calls -------------------------------------------------------------------------------------------------

@dataclass
class Call:
    operation: str
    variant: str  # "valid" or what makes it invalid
    expected: int
    raw: bytes
    on_created: Callable[[str], None] | None = None


def _request(method: str, path: str, token: str | None, body: Any = None, key: str | None = None) -> bytes:
    data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    if key:
        head += f"Idempotency-Key: {key}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    return (head + "\r\n").encode() + data


@dataclass
class Mix:
    """What to send next: ~90 % valid calls of the three operations, ~10 % invalid ones of known outcome."""

    secret: str
    seed: int = 7
    prescribers: int = 200
    weights: dict[str, float] = field(default_factory=lambda: dict(WEIGHTS))
    invalid_share: float = INVALID_SHARE

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.tokens = [issue_token(self.secret, f"BENCH{n:04d}", "prescriber", ttl=7200)
                       for n in range(self.prescribers)]
        self.pharmacist = issue_token(self.secret, "BENCHPHARMA", "pharmacist", ttl=7200)
        self.expired = issue_token(self.secret, "BENCH0000", "prescriber", ttl=60, now=time.time() - 120)
        self.forged = issue_token("not-the-secret-of-this-run", "BENCH0000", "prescriber", ttl=7200)
        self.patients = [nir(self.rng) for _ in range(2000)]
        self.known: list[tuple[str, int, str]] = []  # (id, prescriber index, patient)

    def next(self) -> Call:
        operation = self.rng.choices(list(self.weights), list(self.weights.values()))[0]
        if operation != "create" and not self.known:
            operation = "create"
        invalid = self.rng.random() < self.invalid_share
        return getattr(self, f"_{operation}")(invalid)

    def _new_id(self) -> str:
        """An id as the prescriber's software makes it (ids.py's rule), from this run's seeded generator."""
        return with_check_character("".join(self.rng.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH)))

    def _line(self, category: str, n: int) -> dict[str, Any]:
        """A line as the public models have it: its category's code, a posology in text and structured, renewals,
        substitution (medicines only) and coverage."""
        line: dict[str, Any] = {
            "code": CODES[category](n), "text": f"ligne {n}", "quantity": self.rng.randint(1, 3), "duration_days": 30,
            "posology": {"text": "1 comprimé matin et soir pendant 30 jours", "dose": 1, "unit": "comprimé",
                         "frequency": 2, "period": 1, "period_unit": "d"},
            "renewals": self.rng.choice((0, 0, 1, 3)),
            "coverage": {"ald": self.rng.random() < 0.2, "at_mp": False, "prevention": False,
                         "non_reimbursable": False}}
        if category == "medicines":
            line["substitution_allowed"] = self.rng.random() < 0.9
        return line

    def _create(self, invalid: bool) -> Call:
        who, patient = self.rng.randrange(self.prescribers), self.rng.choice(self.patients)
        variant = self.rng.choice(("bad_nir_key", "out_of_scope", "code_not_for_category", "bad_check_character",
                                   "expired_token")) if invalid else "valid"
        category = self.rng.choice(CATEGORIES)
        today = datetime.now(PARIS).date()
        body = {"id": self._new_id(), "category": "imaging" if variant == "out_of_scope" else category,
                "patient_nir": nir(self.rng, valid=False) if variant == "bad_nir_key" else patient,
                "prescriber": {"rpps": RPPS, "structure": self.rng.choice(STRUCTURES)},
                "authored_on": today.isoformat(), "valid_until": (today + timedelta(days=90)).isoformat(),
                "execute_on": today.isoformat(),
                "lines": [self._line(category, n) for n in range(1, self.rng.randint(1, 3) + 1)],
                "software": {"name": "LogiMed Cabinet", "version": "5.2.0"},
                "consents": {"dispensing_visible_to_prescriber": True, "dmp_deposit": True}}
        if variant == "code_not_for_category":  # a drug code on an act, or an act on a medicine
            body["lines"][0]["code"] = CODES["nursing" if category == "medicines" else "medicines"](1)
        if variant == "bad_check_character":
            body["id"] = _mistyped(body["id"])
        token = self.expired if variant == "expired_token" else self.tokens[who]
        raw = _request("POST", "/v1/prescriptions", token, body, key=secrets.token_hex(8))
        expected = {"valid": 201, "expired_token": 401, "bad_check_character": 400}.get(variant, 422)
        return Call("create", variant, expected, raw,
                    (lambda pid: self.known.append((pid, who, patient))) if variant == "valid" else None)

    def _consult(self, invalid: bool) -> Call:
        pid, who, _ = self.rng.choice(self.known)
        variant = self.rng.choice(("unknown_id", "mistyped_id", "forged_token")) if invalid else "valid"
        if variant == "unknown_id":  # well formed, its check character right: the base does not know it
            pid = self._new_id()
        elif variant == "mistyped_id":  # a known id with its check character mistyped: told apart (400)
            pid = _mistyped(pid)
        token = {"forged_token": self.forged}.get(variant) or self.rng.choice((self.pharmacist, self.tokens[who]))
        return Call("consult", variant, {"valid": 200, "unknown_id": 404, "mistyped_id": 400}.get(variant, 401),
                    _request("GET", f"/v1/prescriptions/{pid}", token))

    def _search(self, invalid: bool) -> Call:
        _, who, patient = self.rng.choice(self.known)
        variant = self.rng.choice(("bad_nir_key", "expired_token")) if invalid else "valid"
        if variant == "bad_nir_key":
            patient = nir(self.rng, valid=False)
        # Mostly a patient's prescriptions from this prescriber; sometimes their latest page of 10.
        query = f"patient={patient}" if variant != "valid" or self.rng.random() < 0.7 else "size=10"
        token = self.expired if variant == "expired_token" else self.tokens[who]
        return Call("search", variant, {"valid": 200, "bad_nir_key": 422}.get(variant, 401),
                    _request("GET", f"/v1/prescriptions?{query}", token))


def health_call() -> Call:
    return Call("health", "valid", 200, _request("GET", "/v1/health", None))


# -- the client ------------------------------------------------------------------------------------------------

class Connection:
    """One HTTP/1.1 keep-alive connection; the sandbox always answers with a Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        """Status and head of the answer (the body is read and dropped)."""
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise RuntimeError(f"réponse sans Content-Length : {head[:200]!r}")
        length = int(lower[at + 17:lower.index(b"\r\n", at + 2)])
        await self.reader.readexactly(length)
        return int(head[9:12]), head

    def close(self) -> None:
        self.writer.close()


async def open_connections(port: int, n: int) -> list[Connection]:
    """n connections, a few ms apart as clients would come: opened at once, the uvicorn worker that wakes first
    accepts them all and the other workers stay idle."""
    connections = []
    for _ in range(n):
        connections.append(await Connection.open(port))
        await asyncio.sleep(0.005)
    return connections


@dataclass
class Phase:
    name: str
    began: float = field(default_factory=time.perf_counter)
    latencies: list[float] = field(default_factory=list)
    by_operation: dict[str, list[float]] = field(default_factory=dict)
    slow: list[tuple[float, str, float]] = field(default_factory=list)  # (when due, operation, latency) over the goal
    counts: Counter[tuple[str, str, int]] = field(default_factory=Counter)
    unexpected: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    async def run(self, conn: Connection, call: Call, due: float) -> bool:
        """Send ``call`` and count its answer; False when the connection failed (counted, and closed)."""
        try:
            status, head = await asyncio.wait_for(conn.send(call.raw), 30)
        except (OSError, RuntimeError, TimeoutError, asyncio.IncompleteReadError) as error:
            self.unexpected[(call.operation, call.variant, type(error).__name__)] += 1
            conn.close()
            return False
        latency = time.perf_counter() - due
        self.latencies.append(latency)
        self.by_operation.setdefault(call.operation, []).append(latency)
        if latency * 1000 >= GOAL_P99_MS:
            self.slow.append((due, call.operation, latency))
        self.counts[(call.operation, call.variant, status)] += 1
        if status != call.expected:
            self.unexpected[(call.operation, call.variant, str(status))] += 1
        elif call.on_created is not None:
            call.on_created(head.split(b"/v1/prescriptions/", 1)[1][:18].decode())
        return True


async def closed_loop(port: int, phase: Phase, next_call: Callable[[], Call], concurrency: int,
                      duration: float, limit: int | None = None) -> float:
    """`concurrency` connections, each sending its next call as soon as the previous answer came; seconds taken."""
    connections = await open_connections(port, concurrency)
    began = time.perf_counter()
    deadline, sent = began + duration, [0]

    async def loop(conn: Connection) -> None:
        while time.perf_counter() < deadline and (limit is None or sent[0] < limit):
            sent[0] += 1
            if not await phase.run(conn, next_call(), time.perf_counter()):
                conn = await Connection.open(port)
        conn.close()

    await asyncio.gather(*(loop(conn) for conn in connections))
    elapsed = time.perf_counter() - began
    return elapsed


async def open_loop(port: int, phase: Phase, next_call: Callable[[], Call], rate: float, duration: float,
                    connections: int) -> float:
    """One call due every 1/rate s whatever the answers; a call waits for a free connection (of `connections`)
    and its latency runs from when it was due. Seconds until the last answer."""
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for conn in await open_connections(port, connections):
        pool.put_nowait(conn)

    async def one(call: Call, due: float) -> None:
        conn = await pool.get()
        try:
            if not await phase.run(conn, call, due):
                conn = await Connection.open(port)
        finally:
            pool.put_nowait(conn)

    began = time.perf_counter()
    tasks, n = [], 0
    while (due := began + n / rate) < began + duration:
        if (wait := due - time.perf_counter()) > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(next_call(), due)))
        n += 1
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - began
    while not pool.empty():
        pool.get_nowait().close()
    return elapsed


# -- CPU, from /proc: who took the 2 cores -----------------------------------------------------------------------

def _stat(pid: int | str) -> tuple[int, str, float]:
    """(parent pid, command, CPU seconds) of one process."""
    text = Path(f"/proc/{pid}/stat").read_text()
    command, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    return int(fields[1]), command, (int(fields[11]) + int(fields[12])) / TICK


def cpu_snapshot(server_pid: int) -> dict[str, Any]:
    """CPU seconds so far of the server's processes and of PostgreSQL's, by pid; of this client; of the machine."""
    processes: dict[int, tuple[int, str, float]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                processes[int(entry)] = _stat(entry)
            except (OSError, ValueError, IndexError):
                continue  # ended meanwhile
    tree, found = {server_pid}, True
    while found:
        children = {pid for pid, (parent, _, _) in processes.items() if parent in tree} - tree
        tree, found = tree | children, bool(children)
    machine = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return {"server": {pid: processes[pid][2] for pid in tree if pid in processes},
            "postgres": {pid: cpu for pid, (_, command, cpu) in processes.items() if command == "postgres"},
            "client": time.process_time(), "machine": (sum(machine) - machine[3] - machine[4]) / TICK,
            "wall": time.perf_counter()}


def cpu_used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Cores used on average by each side: the server (and each of its processes), PostgreSQL (all its processes,
    other sessions' included; a process that ended meanwhile is left out), this client, the whole machine."""
    wall = after["wall"] - before["wall"]

    def cores(side: str) -> list[float]:
        return sorted((round((cpu - before[side].get(pid, 0.0)) / wall, 2) for pid, cpu in after[side].items()),
                      reverse=True)

    server = cores("server")
    return {"server": round(sum(server), 2), "postgres": round(sum(cores("postgres")), 2),
            "client": round((after["client"] - before["client"]) / wall, 2),
            "machine": round((after["machine"] - before["machine"]) / wall, 2),
            "server_processes": [c for c in server if c >= 0.01]}


# -- one run ------------------------------------------------------------------------------------------------------

def _ms(ordered: list[float], q: float) -> float:
    """The q-quantile of sorted latencies in ms (nan for none)."""
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1) if ordered else float("nan")


def summary(name: str, phase: Phase, elapsed: float, load: dict[str, Any], cpu: dict[str, Any]) -> dict[str, Any]:
    ordered = sorted(phase.latencies)

    def ms(q: float) -> float:
        return _ms(ordered, q)

    return {"phase": name, **load, "seconds": round(elapsed, 2), "requests": len(ordered),
            "throughput": round(len(ordered) / elapsed, 1), "p50_ms": ms(0.50), "p99_ms": ms(0.99),
            "max_ms": ms(1.0), "unexpected": sum(phase.unexpected.values()),
            "unexpected_by_call": {"/".join(map(str, key)): n for key, n in sorted(phase.unexpected.items())},
            "p99_ms_by_operation": {op: _ms(sorted(lat), 0.99) for op, lat in sorted(phase.by_operation.items())},
            "slow_calls": [{"due_s": round(due - phase.began, 3), "operation": op, "ms": round(lat * 1000, 1)}
                           for due, op, lat in sorted(phase.slow)][:200],
            "counts": {"/".join(map(str, key)): n for key, n in sorted(phase.counts.items())}, "cpu_cores": cpu}


async def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"le bac à sable s'est arrêté au démarrage (code {server.returncode})")
        try:
            conn = await Connection.open(port)
            status, _ = await conn.send(health_call().raw)
            conn.close()
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise RuntimeError("le bac à sable n'a pas répondu en 60 s")


async def drive(args: argparse.Namespace, port: int, server: subprocess.Popen[bytes], secret: str
                ) -> tuple[list[dict[str, Any]], int]:
    """Seed, warm up, then the three measured phases; their summaries and how many calls (health aside) were sent."""
    await wait_ready(port, server)
    mix, c, d = Mix(secret), args.concurrency, args.duration
    sent, results = 0, []
    plan: list[tuple[str, Callable[[], Call], dict[str, Any], bool]] = [
        ("seed", lambda: mix._create(False), {"prescriptions": args.seed_prescriptions}, False),
        ("warmup", mix.next, {"seconds": args.warmup}, False),
        ("select1", health_call, {"concurrency": c}, True),
        ("mix", mix.next, {"concurrency": c}, True),
        ("mix_open_loop", mix.next, {"rate": args.rate, "connections": args.connections}, True)]
    for name, next_call, load, measured in plan:
        phase, before = Phase(name), cpu_snapshot(server.pid)
        if name == "mix_open_loop":
            elapsed = await open_loop(port, phase, next_call, args.rate, d, args.connections)
        elif name == "seed":
            elapsed = await closed_loop(port, phase, next_call, c, 120, limit=args.seed_prescriptions)
        else:
            elapsed = await closed_loop(port, phase, next_call, c, d if measured else args.warmup)
        result = summary(name, phase, elapsed, load, cpu_used(before, cpu_snapshot(server.pid)))
        sent += 0 if name == "select1" else result["requests"]
        results.append(result)
        print(row(result), flush=True)
    return results, sent


def row(r: dict[str, Any]) -> str:
    load = f"c={r['concurrency']}" if "concurrency" in r else f"{r['rate']}/s" if "rate" in r else ""
    cpu = r["cpu_cores"]
    return (f"{r['phase']:<14}{load:>8}{r['requests']:>9}{r['throughput']:>9.1f}{r['p50_ms']:>8.1f}"
            f"{r['p99_ms']:>8.1f}{r['max_ms']:>8.1f}{r['unexpected']:>6}   {cpu['server']:.2f} / {cpu['postgres']:.2f}"
            f" / {cpu['client']:.2f} / {cpu['machine']:.2f}   ({' + '.join(map(str, cpu['server_processes']))})")


def journal_rows(database: str, prefix: str, drop: bool) -> int | None:
    from sqlalchemy import func, select

    from preserie.teleservice.store import SqlPrescriptionStore

    store = SqlPrescriptionStore(database, table_prefix=prefix)
    try:
        journal = store.t["journal"]
        with store.engine.connect() as conn:
            rows = conn.execute(select(func.count()).select_from(journal)).scalar_one()
        return int(rows)
    except Exception as error:  # a missing table is reported, then dropped all the same
        print(f"!! journal illisible : {error}", file=sys.stderr)
        return None
    finally:
        if drop:
            store.drop_tables()
        store.close()


def goal(by_phase: dict[str, dict[str, Any]], sent: int, journaled: int | None, rate: float) -> list[str]:
    mix, open_ = by_phase["mix"], by_phase["mix_open_loop"]
    failures = []
    if mix["throughput"] < GOAL_RATE:
        failures.append(f"débit : {mix['throughput']} requêtes/s < {GOAL_RATE} (mélange, concurrence fixe)")
    if rate < GOAL_RATE:
        failures.append(f"charge ouverte à {rate}/s, sous l'objectif de {GOAL_RATE}/s")
    if not open_["p99_ms"] < GOAL_P99_MS:
        failures.append(f"p99 : {open_['p99_ms']} ms ≥ {GOAL_P99_MS} ms à {rate} requêtes/s (charge ouverte)")
    if unexpected := {k: v for r in by_phase.values() for k, v in r["unexpected_by_call"].items()}:
        failures.append(f"erreurs inattendues : {unexpected}")
    if journaled != sent:
        failures.append(f"journal : {journaled} lignes pour {sent} appels")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get(PG_ENV, DEFAULT_DATABASE))
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of each measured phase")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of mix before measuring")
    parser.add_argument("--concurrency", type=int, default=16, help="connections of the fixed-concurrency phases")
    parser.add_argument("--rate", type=float, default=GOAL_RATE, help="requests/s of the open-loop phase")
    parser.add_argument("--connections", type=int, default=32, help="connections of the open-loop phase")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="uvicorn worker processes (one per "
                        "core, the default: each runs its operations on its event loop, decision 0007)")
    parser.add_argument("--seed-prescriptions", type=int, default=500)
    parser.add_argument("--keep-tables", action="store_true", help="do not drop the run's tables")
    parser.add_argument("--out", type=Path, default=RESULTS / "teleservice_load.json")
    args = parser.parse_args()

    secret, prefix = secrets.token_urlsafe(32), f"bench{secrets.token_hex(4)}_"
    load_before = os.getloadavg()  # the machine is shared: how busy it was says what the figures are worth
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = Path(tempfile.gettempdir()) / "teleservice_load.server.log"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(f"bac à sable : {args.workers} worker(s), port {port}, tables {prefix}*, journal du serveur : {log}")
    print(f"{'phase':<14}{'charge':>8}{'requêtes':>9}{'req/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'err':>6}"
          "   CPU (cœurs) serveur / postgres / client / machine   (par processus du serveur)")
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-c", SERVER, args.database, prefix, str(port), str(args.workers)],
                                  stdout=out, stderr=subprocess.STDOUT, env={**os.environ, SECRET_ENV: secret})
    try:
        results, sent = asyncio.run(drive(args, port, server, secret))
    finally:
        server.send_signal(signal.SIGINT)  # graceful: the journal is flushed before the server stops
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
        journaled = journal_rows(args.database, prefix, drop=not args.keep_tables)
    by_phase = {r["phase"]: r for r in results}
    ratio = round(by_phase["mix"]["throughput"] / by_phase["select1"]["throughput"], 3)
    failures = goal(by_phase, sent, journaled, args.rate)
    report = {"benchmark": "teleservice_load", "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
              "load_average": {"before": [round(x, 2) for x in load_before],
                               "after": [round(x, 2) for x in os.getloadavg()]},
              "settings": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "database"},
              "database": args.database.split("@")[-1], "goal": {"throughput": GOAL_RATE, "p99_ms": GOAL_P99_MS},
              "phases": results, "ratio_mix_to_select1": ratio, "calls_sent": sent, "journal_rows": journaled,
              "met": not failures, "failures": failures}
    args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"\nmélange / SELECT 1 (débit à concurrence {args.concurrency}) : {ratio}  ·  journal : {journaled} lignes "
          f"pour {sent} appels  ·  résultats : {args.out}")
    for failure in failures:
        print(f"OBJECTIF NON ATTEINT — {failure}")
    if not failures:
        print(f"objectif atteint : ≥ {GOAL_RATE} requêtes/s, p99 < {GOAL_P99_MS:g} ms, aucune erreur inattendue")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
