"""Simulated pilots (SPEC §8 « Simulator »): seeded, streaming, at any scale."""

from preserie.simulate.generator import write_pilot

__all__ = ["write_pilot"]
