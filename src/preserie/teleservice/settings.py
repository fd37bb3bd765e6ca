"""The sandbox's one settings object. The token secret has no default: the service refuses to start without it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from preserie.teleservice.faults import FaultProfile, FaultProfileError, load_profile

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
    """How one sandbox runs: token secret, database, a table prefix (tests share one database), and the fault
    profile to inject (a name of fault_profiles.yaml or a YAML file; None: no fault)."""

    secret: str
    database: str = DEFAULT_DATABASE
    table_prefix: str = ""
    faults: str | None = None
    stateless: bool = False  # canned answers, no database (stateless.py)
    _profile: FaultProfile | None = field(init=False, repr=False, compare=False, default=None)

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise SettingsError(f"secret des jetons absent ou trop court ({MIN_SECRET_LENGTH} caractères au moins) : "
                                f"définir {SECRET_ENV}")
        if not self.table_prefix.replace("_", "").isalnum() and self.table_prefix:
            raise SettingsError("préfixe de tables : lettres, chiffres et _ uniquement")
        try:
            profile = load_profile(self.faults) if self.faults is not None else None
        except FaultProfileError as error:
            raise SettingsError(str(error)) from error
        object.__setattr__(self, "_profile", profile)  # read once, here, where a bad profile is refused

    def fault_profile(self) -> FaultProfile | None:
        return self._profile

    @property
    def database_url(self) -> str:
        return database_url(self.database)

    @classmethod
    def from_env(cls, *, database: str | None = None, secret: str | None = None, faults: str | None = None,
                 stateless: bool = False, environ: Mapping[str, str] = os.environ) -> Settings:
        """Settings from arguments, the secret falling back to the environment variable (never to a default)."""
        return cls(secret=secret or environ.get(SECRET_ENV, ""), database=database or DEFAULT_DATABASE, faults=faults,
                   stateless=stateless)
