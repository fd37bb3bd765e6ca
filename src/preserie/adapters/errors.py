"""The error that makes a pilot folder unusable (exit status 2). Light on purpose: the CLI imports it first."""

from __future__ import annotations


class UnusableInput(Exception):
    """The folder cannot be assessed; the message says which file, where, and what to fix."""

    def __init__(self, file: str, message: str, line: int | None = None, field: str | None = None) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        where = file + (f", ligne {line}" if line else "") + (f", champ {field}" if field else "")
        super().__init__(f"{where} : {message}")
