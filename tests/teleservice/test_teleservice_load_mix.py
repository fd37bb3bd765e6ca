"""The load benchmark's calls (benchmarks/teleservice_load.py) get from a real sandbox the answer the benchmark
expects of each: its payloads follow the API as it is (a client-made id, the prescriber, posology, codes bound to
the category), so that a change of the API cannot leave the benchmark measuring refusals."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections import Counter
from pathlib import Path

from teleservice_sandbox import SECRET, Sandbox, read_answer

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "teleservice_load.py"
_spec = importlib.util.spec_from_file_location("teleservice_load_bench", SCRIPT)
assert _spec is not None and _spec.loader is not None
bench = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = bench  # its dataclasses look their module up
_spec.loader.exec_module(bench)


def test_every_variant_of_the_mix_gets_the_status_it_expects(sandbox: Sandbox) -> None:
    mix = bench.Mix(secret=SECRET, seed=11, prescribers=5, invalid_share=0.5)
    host, port = sandbox.base_url.removeprefix("http://").split(":")
    seen: Counter[tuple[str, str]] = Counter()
    with socket.create_connection((host, int(port)), timeout=20) as sock:
        for _ in range(160):
            call = mix.next()
            sock.sendall(call.raw)
            status, _, body = read_answer(sock)
            assert status == call.expected, (call.operation, call.variant, body[:300])
            if call.on_created is not None:
                call.on_created(bench.json.loads(body)["id"])
            seen[call.operation, call.variant] += 1
    assert {variant for _, variant in seen} >= {"valid", "bad_nir_key", "out_of_scope", "code_not_for_category",
                                                "bad_check_character", "unknown_id", "mistyped_id"}, seen
