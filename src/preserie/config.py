"""The registry service's one settings object (`preserie serve`, `preserie accounts`, `preserie pilots`).

Everything lives in the data directory unless told otherwise: the SQLite database, the trace segments, the
registrations extracts, and the secret under which tokens are hashed. The secret has no default: it is generated
into the data directory on first start (readable by its owner only), never written in the repository.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA = Path("preserie-data")
DATABASE_ENV, DATA_ENV, TOKEN_ENV = "PRESERIE_DATABASE", "PRESERIE_DATA", "PRESERIE_TOKEN"
# "0": every bilan computed again (benchmarks/service_assess.py measures the computation, not the kept answer)
CACHE_ENV = "PRESERIE_ASSESSMENT_CACHE"
# A rehearsal's sandbox (`preserie teleservice serve`), from which the Cnam takes the registry's extract, and the
# token of its `registry` role (`preserie teleservice token --role registry`): both or neither, never a default.
SANDBOX_URL_ENV, SANDBOX_TOKEN_ENV = "PRESERIE_TELESERVICE_URL", "PRESERIE_TELESERVICE_TOKEN"
SECRET_FILE = "secret.key"
DEFAULT_TOKEN_DAYS = 90


class SettingsError(ValueError):
    """The service cannot start with these settings (the message is French, for a person)."""


@dataclass(frozen=True)
class ServiceSettings:
    data: Path = DEFAULT_DATA
    database: str | None = None  # a SQLAlchemy URL; None: SQLite in the data directory
    keep_bilans: bool = True  # keep each pilot's last bilan until its facts change (services/bilan_cache.py)
    # the collector's pace per workstation (a token bucket): batches a second, and at once
    collector_rate: float = 200.0
    collector_burst: float = 400.0
    # the collector's groups checked at once, each by the engine in a process of its own (adapters/check_process.py;
    # False: in this one)
    collector_checks: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))  # one a core (at most 4)
    collector_check_process: bool = True
    sandbox_url: str | None = None  # SANDBOX_URL_ENV
    sandbox_token: str | None = field(default=None, repr=False)  # SANDBOX_TOKEN_ENV, never printed

    @property
    def database_url(self) -> str:
        if self.database is None:
            return f"sqlite:///{self.data / 'registry.db'}"
        if "://" not in self.database:
            return f"sqlite:///{self.database}"
        if self.database.startswith("postgresql://"):  # the driver this project installs
            return "postgresql+psycopg://" + self.database.removeprefix("postgresql://")
        return self.database

    @property
    def segments(self) -> Path:
        return self.data / "traces"

    @property
    def registrations(self) -> Path:
        return self.data / "registrations"

    @property
    def collector_aside(self) -> Path:
        """Where start-up moves the segments of batches never acknowledged (decision 0004)."""
        return self.data / "collector-unacknowledged"

    @classmethod
    def from_env(cls, *, data: Path | None = None, database: str | None = None,
                 environ: os._Environ[str] | dict[str, str] = os.environ) -> ServiceSettings:
        """Arguments first, then PRESERIE_DATA and PRESERIE_DATABASE."""
        chosen = data or (Path(environ[DATA_ENV]) if environ.get(DATA_ENV) else DEFAULT_DATA)
        return cls(data=chosen, database=database or environ.get(DATABASE_ENV) or None,
                   keep_bilans=environ.get(CACHE_ENV, "1") != "0",
                   sandbox_url=environ.get(SANDBOX_URL_ENV, "").strip() or None,
                   sandbox_token=environ.get(SANDBOX_TOKEN_ENV, "").strip() or None)

    def prepare(self) -> None:
        """Check the settings, create the data directory (owner only) and check it can be written."""
        if (self.sandbox_url is None) != (self.sandbox_token is None):
            raise SettingsError(f"{SANDBOX_URL_ENV} et {SANDBOX_TOKEN_ENV} vont ensemble : l'adresse du bac à "
                                "sable et le jeton de son rôle registry, ou ni l'un ni l'autre")
        if self.sandbox_url is not None and not self.sandbox_url.startswith(("http://", "https://")):
            raise SettingsError(f"{SANDBOX_URL_ENV}={self.sandbox_url} : adresse http:// ou https:// attendue")
        try:
            self.data.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.segments.mkdir(exist_ok=True)
            self.registrations.mkdir(exist_ok=True)
        except OSError as error:
            raise SettingsError(f"dossier de données {self.data} : impossible de l'écrire "
                                f"({error.strerror})") from error

    def secret(self) -> bytes:
        """The secret tokens are hashed under, generated on first use into the data directory."""
        path = self.data / SECRET_FILE
        try:
            return bytes.fromhex(path.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as error:
            raise SettingsError(f"{path} : secret illisible ; le restaurer depuis la sauvegarde (les jetons en "
                                "dépendent)") from error
        self.prepare()
        value = secrets.token_bytes(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: theirs is the one
            return self.secret()
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(value.hex() + "\n")
        return value
