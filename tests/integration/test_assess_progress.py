"""What a long assessment says while it runs: each trace file, then each stage, on a terminal only."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

from preserie.services.assess import assess_folder

CASE = Path(__file__).parents[1] / "cases" / "duplicates_conflicts_two_formats"


def test_progress_names_each_trace_file_in_order_then_each_stage() -> None:
    said: list[str] = []
    run = assess_folder(CASE, progress=said.append)
    assert said == [
        "lecture des traces : traces/2025-01.jsonl (1/3)",
        "lecture des traces : traces/2025-02-resent.csv (2/3)",
        "lecture des traces : traces/2025-03-resent.parquet (3/3)",
        "lecture du registre : registrations.csv",
        "comptabilité des traces (doublons, conflits, date du bilan)",
        "calcul des critères",
    ]
    assert run.result == assess_folder(CASE).result  # telling changes nothing


def _assess(stderr: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "preserie", "assess", str(CASE), "--json"], stdout=subprocess.PIPE,
                          stderr=stderr, text=True, timeout=120, env={**os.environ, "COLUMNS": "200"}, check=False)


def test_a_terminal_sees_the_stages_and_a_pipe_sees_none() -> None:
    piped = _assess(subprocess.PIPE)
    assert "lecture des traces" not in piped.stderr
    leader, follower = pty.openpty()
    seen = bytearray()

    def drain() -> None:
        try:
            while chunk := os.read(leader, 4096):
                seen.extend(chunk)
        except OSError:  # the terminal closed
            pass

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        on_terminal = _assess(follower)
    finally:
        os.close(follower)
        reader.join(timeout=10)
        os.close(leader)
    # a spinner, not a log: it shows the stage current at each refresh, at least the last one when it stops
    assert "calcul des critères" in seen.decode(errors="replace")
    assert json.loads(on_terminal.stdout) == json.loads(piped.stdout)  # the JSON on stdout is untouched
    assert on_terminal.returncode == piped.returncode
