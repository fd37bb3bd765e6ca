"""The web pages' tests reuse the registry's test helpers (tests/registry) and share one world per module."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "registry"))
