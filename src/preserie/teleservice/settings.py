"""The sandbox's one settings object. The token secret has no default: the service refuses to start without it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

SECRET_ENV = "PRESERIE_TELESERVICE_SECRET"
DEFAULT_DATABASE = "preserie-teleservice.db"
MIN_SECRET_LENGTH = 16


class SettingsError(ValueError):
    """The sandbox cannot start with these settings (the message is French, for a person)."""


def database_url(value: str) -> str:
    """A SQLAlchemy URL: a URL is kept, a file path becomes a SQLite URL.

    >>> database_url("sandbox.db")
    'sqlite:///sandbox.db'
    >>> database_url("postgresql+psycopg://postgres@127.0.0.1/test")
    'postgresql+psycopg://postgres@127.0.0.1/test'
    """
    return value if "://" in value else f"sqlite:///{value}"


@dataclass(frozen=True)
class Settings:
    """How one sandbox runs: token secret, database, and a table prefix (tests share one database)."""

    secret: str
    database: str = DEFAULT_DATABASE
    table_prefix: str = ""

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise SettingsError(f"secret des jetons absent ou trop court ({MIN_SECRET_LENGTH} caractères au moins) : "
                                f"définir {SECRET_ENV}")
        if not self.table_prefix.replace("_", "").isalnum() and self.table_prefix:
            raise SettingsError("préfixe de tables : lettres, chiffres et _ uniquement")

    @property
    def database_url(self) -> str:
        return database_url(self.database)

    @classmethod
    def from_env(cls, *, database: str | None = None, secret: str | None = None,
                 environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from arguments, the secret falling back to the environment variable (never to a default)."""
        return cls(secret=secret or environ.get(SECRET_ENV, ""), database=database or DEFAULT_DATABASE)
