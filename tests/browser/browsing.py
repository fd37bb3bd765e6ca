"""What the browser tests share: Debian's Chromium and its switches, the vendored axe-core, the served world."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
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
