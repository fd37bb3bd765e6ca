"""Fault injection for rehearsing a pilot: error rates per operation, added latency, outage windows, a slow
database. Off by default (``preserie teleservice serve --faults PROFILE``).

A profile is data: one of the named profiles of ``fault_profiles.yaml`` or a YAML file of the same shape.
Faults act before the operation runs (a refused create stores nothing), so a retried call is a new call; every
injected answer carries a code of the catalogue (TS_UNAVAILABLE, TS_TOO_MANY_REQUESTS with ``Retry-After``,
TS_TIMEOUT, TS_GATEWAY_TIMEOUT, TS_INTERNAL_ERROR) and is journaled like any other call. Outage windows count
from the sandbox's start, so that a rehearsal is repeatable; the random draws come from the profile's seed.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from preserie.teleservice.catalogue import REGISTRY_REJECT_CODES

OPERATIONS = ("create", "consult", "search", "dispense", "cancel", "qr", "fhir")
ALL = "*"
PROFILES_FILE = "fault_profiles.yaml"


class FaultProfileError(ValueError):
    """A profile that cannot be used (the message is French and says where)."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OperationFaults(_Data):
    errors: float = Field(default=0.0, ge=0, le=1, description="Part des appels refusés en 503 TS_UNAVAILABLE ou "
                                                       "500 TS_INTERNAL_ERROR.")
    rate_limited: float = Field(default=0.0, ge=0, le=1, description="Part des appels refusés en 429 avec Retry-After.")
    timeouts: float = Field(default=0.0, ge=0, le=1, description="Part des appels qui attendent timeout_ms puis 408.")
    latency_ms: tuple[int, int] = Field(default=(0, 0), description="Latence ajoutée, tirée entre ces deux bornes.")

    @model_validator(mode="after")
    def _consistent(self) -> OperationFaults:
        low, high = self.latency_ms
        if not 0 <= low <= high <= 60_000:
            raise ValueError("latency_ms : [min, max] avec 0 <= min <= max <= 60000")
        if self.errors + self.rate_limited + self.timeouts > 1:
            raise ValueError("errors + rate_limited + timeouts dépasse 1")
        return self


class OutageWindow(_Data):
    start_s: float = Field(ge=0, description="Début, en secondes après le démarrage du bac à sable.")
    duration_s: float = Field(gt=0)
    every_s: float | None = Field(default=None, gt=0, description="Période de répétition ; absente : une seule fois.")
    mode: Literal["unavailable", "timeout"] = "unavailable"

    @model_validator(mode="after")
    def _fits(self) -> OutageWindow:
        if self.every_s is not None and self.duration_s >= self.every_s:
            raise ValueError("duration_s doit être inférieure à every_s")
        return self

    def remaining(self, elapsed: float) -> float | None:
        """Seconds left of the window at ``elapsed`` seconds after the start, or None outside it."""
        since = elapsed - self.start_s
        if since < 0:
            return None
        if self.every_s is not None:
            since %= self.every_s
        return self.duration_s - since if since < self.duration_s else None


class FaultProfile(_Data):
    description: str = ""
    seed: int = 0
    operations: dict[str, OperationFaults] = Field(default_factory=dict, description=(
        "Par opération (create, consult, search, dispense, cancel, qr, fhir) ou « * » pour toutes ; une opération "
        "nommée remplace « * » en entier."))
    outages: list[OutageWindow] = Field(default_factory=list)
    database_latency_ms: int = Field(default=0, ge=0, le=10_000, description="Attente avant chaque requête SQL.")
    timeout_ms: int = Field(default=30_000, ge=1, le=120_000, description="Attente d'un appel qui n'aboutit pas.")
    retry_after_s: int = Field(default=2, ge=1, le=3600)
    registry_rejects: float = Field(default=0.0, ge=0, le=1, description=(
        "Part des e-prescriptions créées (201) que le registre rejette ensuite, avec un code : registrations.csv "
        "les dit rejected."))

    @model_validator(mode="after")
    def _known_operations(self) -> FaultProfile:
        unknown = sorted(set(self.operations) - {ALL, *OPERATIONS})
        if unknown:
            raise ValueError(f"opération inconnue : {', '.join(unknown)} (attendu : {ALL}, {', '.join(OPERATIONS)})")
        return self

    def for_operation(self, operation: str) -> OperationFaults:
        return self.operations.get(operation) or self.operations.get(ALL) or OperationFaults()


@dataclass(frozen=True)
class Fault:
    """What to do to one call: wait ``delay_s``, then answer ``code`` (None: let the operation run)."""

    delay_s: float = 0.0
    code: str | None = None
    retry_after: int | None = None


def _builtin_profiles() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(resources.files(__package__).joinpath(PROFILES_FILE)
                                          .read_text(encoding="utf-8"))
    return data


def profile_names() -> list[str]:
    return sorted(_builtin_profiles())


def load_profile(name_or_path: str) -> FaultProfile:
    """A named profile of fault_profiles.yaml, or a YAML file of the same shape."""
    builtins = _builtin_profiles()
    if name_or_path in builtins:
        source, data = f"profil {name_or_path}", builtins[name_or_path]
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise FaultProfileError(f"profil de pannes inconnu « {name_or_path} » : ni un profil nommé "
                                    f"({', '.join(sorted(builtins))}) ni un fichier")
        source = str(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            raise FaultProfileError(f"{source} : YAML illisible : {error}") from error
    try:
        return FaultProfile.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(part) for part in problem['loc']) or '(racine)'} : {problem['msg']}"
                             for problem in error.errors())
        raise FaultProfileError(f"{source} : {problems}") from error


class FaultInjector:
    """Decides the fault of each call. Thread-safe; ``clock`` and the profile's seed make it repeatable."""

    def __init__(self, profile: FaultProfile, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.profile, self.clock = profile, clock
        self.started = clock()
        self._random = random.Random(profile.seed)
        self._lock = threading.Lock()

    def decide(self, operation: str) -> Fault:
        profile = self.profile
        elapsed = self.clock() - self.started
        for window in profile.outages:
            left = window.remaining(elapsed)
            if left is not None:
                if window.mode == "timeout":
                    return Fault(profile.timeout_ms / 1000, "TS_GATEWAY_TIMEOUT")
                return Fault(0.0, "TS_UNAVAILABLE", retry_after=max(1, math.ceil(left)))
        faults = profile.for_operation(operation)
        with self._lock:
            u, v, w = self._random.random(), self._random.random(), self._random.random()
        low, high = faults.latency_ms
        delay = (low + (high - low) * v) / 1000
        if u < faults.errors:
            return Fault(delay, "TS_UNAVAILABLE" if w < 0.7 else "TS_INTERNAL_ERROR",
                         retry_after=profile.retry_after_s if w < 0.7 else None)
        if u < faults.errors + faults.rate_limited:
            return Fault(delay, "TS_TOO_MANY_REQUESTS", retry_after=profile.retry_after_s)
        if u < faults.errors + faults.rate_limited + faults.timeouts:
            return Fault(profile.timeout_ms / 1000, "TS_TIMEOUT")
        return Fault(delay)

    def registry_verdict(self, prescription_id: str) -> str | None:
        """The reject code the registry gives this e-prescription, or None when it registers it: a share
        ``registry_rejects`` of them, decided by the id and the profile's seed alone (the same on every run and
        in every worker, whatever the order of the calls)."""
        digest = hashlib.sha256(f"{self.profile.seed}:{prescription_id}".encode()).digest()
        if int.from_bytes(digest[:8], "big") >= self.profile.registry_rejects * 2**64:
            return None
        codes = sorted(REGISTRY_REJECT_CODES)
        return codes[digest[8] % len(codes)]

    def slow_database(self, engine: Any) -> None:
        """Make every SQL statement of ``engine`` wait ``database_latency_ms`` first (a slow database)."""
        wait = self.profile.database_latency_ms / 1000
        if not wait:
            return
        from sqlalchemy import event

        @event.listens_for(engine, "before_cursor_execute")
        def _slow(*_args: Any) -> None:
            time.sleep(wait)
