"""The error that makes a pilot folder unusable (exit status 2). Light on purpose: the CLI imports it first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing to fix: the file, where in it, and what."""

    file: str
    message: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file + (f", ligne {self.line}" if self.line else "") + (
            f", champ {self.field}" if self.field else "")
        return f"{where} : {self.message}"


class UnusableInput(Exception):
    """The folder cannot be assessed; the message says which file, where, and what to fix.

    A declaration can break the contract in several places: `problems` lists them all (the first is also
    `file`, `line`, `field` and `message`), so that a user fixes them in one go; `str()` gives one per line.
    """

    def __init__(self, file: str, message: str, line: int | None = None, field: str | None = None,
                 *, more: Sequence[Problem] = ()) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        self.problems: tuple[Problem, ...] = (Problem(file, message, line, field), *more)
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> UnusableInput:
        """The error for several problems (at least one)."""
        first, *more = problems
        return cls(first.file, first.message, first.line, first.field, more=more)
