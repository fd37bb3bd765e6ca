"""The registry's shared ground: one `Registry` per service (its repository, trace segments, registry extracts,
clock), and the rule every use case starts with: find the pilot as this caller sees it, or a 404 that reads the
same whether the pilot is another's or does not exist."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from preserie.adapters.db.page_reads import shared_reads
from preserie.adapters.db.repository import SqlRegistry
from preserie.adapters.trace_segments import SegmentStore
from preserie.domain.access import Caller, PilotScope, Role, may_see, may_write, sees_whole_pilot
from preserie.domain.lifecycle import Status, TransitionRefused, refused_unless
from preserie.domain.registry import PilotRecord
from preserie.services.bilan_cache import AssessmentCache
from preserie.services.errors import RegistryError


@contextmanager
def one_reading() -> Iterator[None]:
    """Within it, the registry is read through one connection and each query once (`page_reads`): a page that asks
    several use cases' guards about one pilot reads the pilot and its zone once (never around a write: what is read
    is what was there when the page began). Nothing is kept past it."""
    with shared_reads():
        yield


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Registry:
    repo: SqlRegistry
    segments: SegmentStore
    registrations: Path  # one registrations.csv per pilot and phase: registrations/<key>/phase=<n>.csv
    now: Callable[[], dt.datetime] = field(default=utc_now)
    cache: AssessmentCache = field(default_factory=AssessmentCache)  # the last bilan of each pilot
    parsed_runs: bool = True  # read traces through their parsed runs (adapters/trace_runs.py)

    def registrations_file(self, pilot: PilotRecord, phase: int) -> Path:
        return self.registrations / pilot.key / f"phase={phase}.csv"

    # ── finding a pilot as the caller may see it ─────────────────────────────────────────────────────────
    def visible(self, caller: Caller, key: str) -> PilotRecord:
        pilot = self.repo.pilot(key) if _plausible(key) else None  # read once within a page (one_reading)
        if pilot is None or not may_see(caller, PilotScope(pilot.vendor, pilot.status,
                                                           self.repo.departments(pilot.id))):
            raise RegistryError("PILOT_NOT_FOUND")  # the same for another's pilot as for no pilot
        return pilot

    def writable(self, caller: Caller, key: str, allowed: Sequence[Status], what: str) -> PilotRecord:
        """The pilot, when the caller is its vendor and its status lets ``what`` be done."""
        pilot = self.visible(caller, key)
        if not may_write(caller, PilotScope(pilot.vendor, pilot.status, ())):
            raise RegistryError("FORBIDDEN_ROLE", f"{what} : réservé à l'éditeur de la présérie")
        self.in_status(pilot, allowed, what)
        return pilot

    def coordinated(self, caller: Caller, key: str, roles: Sequence[Role], what: str) -> PilotRecord:
        """The pilot, when the caller's role is one of ``roles``."""
        pilot = self.visible(caller, key)
        if caller.role not in roles:
            raise RegistryError("FORBIDDEN_ROLE", f"{what} : réservé à {_roles(roles)}")
        return pilot

    def whole(self, caller: Caller, key: str) -> PilotRecord:
        """The pilot, when the caller may read its every figure (not a CPAM: its view is its zone's)."""
        pilot = self.visible(caller, key)
        if not sees_whole_pilot(caller):
            raise RegistryError("FORBIDDEN_ROLE", "le bilan complet de la présérie n'est pas lisible par une CPAM "
                                "(elle en voit sa zone et la décision)")
        return pilot

    @staticmethod
    def in_status(pilot: PilotRecord, allowed: Sequence[Status], what: str) -> None:
        try:
            refused_unless(pilot.status, allowed, what)
        except TransitionRefused as error:
            raise RegistryError("TRANSITION_REFUSED", str(error)) from error

    def record(self, conn: Connection, pilot: PilotRecord, caller: Caller | None, event: str, *,
               to: Status | None = None, detail: str | None = None) -> None:
        """One line of the pilot's history (who, when, from, to)."""
        self.repo.add_history(conn, pilot.id, at=self.now(), account_id=caller.account_id if caller else None,
                              event=event, from_status=pilot.status.value if to else None,
                              to_status=to.value if to else None, detail=detail)
        values: dict[str, Any] = {"updated_at": self.now()}
        if to is not None:
            values["status"] = to.value
        if not self.repo.set_pilot(conn, pilot.id, expected=pilot.status, **values):
            # another request changed the pilot's status since this one read it: its step no longer stands
            raise RegistryError("TRANSITION_REFUSED", "la présérie vient de changer d'état : relire et recommencer")


_ROLE_NAMES = {Role.CNAM: "la Cnam", Role.GIE: "le GIE SESAM-Vitale", Role.VENDOR: "l'éditeur",
               Role.CPAM: "la CPAM"}


def _roles(roles: Sequence[Role]) -> str:
    return " ou ".join(_ROLE_NAMES.get(r, r.value) for r in roles)


def _plausible(key: str) -> bool:
    return len(key) == 16 and all(c in "0123456789abcdef" for c in key)
