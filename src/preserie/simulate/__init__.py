"""Simulated pilots (SPEC §8 « Simulator »): seeded, streaming, at any scale."""

from preserie.simulate.folder import write_pilot
from preserie.simulate.scenarios import SCENARIOS, Scenario

__all__ = ["SCENARIOS", "Scenario", "write_pilot"]
