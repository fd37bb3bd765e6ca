"""Who may see what in the registry: the roles of the présérie's parties, as pure rules.

- `vendor`: its own pilots (the vendor named on its account), read and write while they are its to change;
- `cnam`, `gie`: every pilot once sent (a draft is the vendor's own until it sends it); the Cnam decides;
- `cpam`: read-only, once the Cnam has accepted the pilot and informed the CPAMs (seed: « la Cnam informe les CPAM
  concernées »): the pilots with a practitioner in its department, and of those only its zone's practitioners;
- `practitioner`: its own survey answers only (the survey issue).

A pilot a caller may not see is, to that caller, a pilot that does not exist: the API answers the same 404.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from preserie.domain.lifecycle import Status


class Role(StrEnum):
    CNAM = "cnam"
    GIE = "gie"
    VENDOR = "vendor"
    CPAM = "cpam"
    PRACTITIONER = "practitioner"


ROLE_LABELS: dict[str, str] = {Role.CNAM: "Cnam", Role.GIE: "GIE SESAM-Vitale", Role.VENDOR: "éditeur",
                               Role.CPAM: "CPAM", Role.PRACTITIONER: "médecin"}
COORDINATORS = (Role.CNAM, Role.GIE)
_SENT = (Status.SUBMITTED, Status.ACCEPTED, Status.RUNNING, Status.DEPLOY_APPROVED, Status.DEPLOYED)
_INFORMED = (Status.ACCEPTED, Status.RUNNING, Status.DEPLOY_APPROVED, Status.DEPLOYED)


@dataclass(frozen=True)
class Caller:
    """An authenticated account: its id, role, and what it speaks for (a vendor's name, a CPAM's department)."""

    account_id: int
    role: Role
    name: str
    vendor: str | None = None
    department: str | None = None


@dataclass(frozen=True)
class PilotScope:
    """What the visibility of one pilot depends on."""

    vendor: str
    status: Status
    departments: Collection[str]  # the departments of its practitioners' CPAMs


def may_see(caller: Caller, pilot: PilotScope) -> bool:
    """Whether the pilot exists for this caller.

    >>> scope = PilotScope(vendor="MedSoft", status=Status.DRAFT, departments={"69"})
    >>> may_see(Caller(1, Role.VENDOR, "a", vendor="MedSoft"), scope), may_see(Caller(2, Role.CNAM, "c"), scope)
    (True, False)
    """
    if caller.role == Role.VENDOR:
        return caller.vendor == pilot.vendor
    if caller.role in COORDINATORS:
        return pilot.status in _SENT
    if caller.role == Role.CPAM:
        return pilot.status in _INFORMED and caller.department in pilot.departments
    return False


def may_write(caller: Caller, pilot: PilotScope) -> bool:
    """Whether the caller acts on the pilot as its vendor (the life cycle says what may change when)."""
    return caller.role == Role.VENDOR and caller.vendor == pilot.vendor


def sees_practitioner(caller: Caller, department: str) -> bool:
    """A CPAM sees the practitioners of its zone only; the others see every practitioner of a pilot they see."""
    return caller.role != Role.CPAM or caller.department == department


def sees_whole_pilot(caller: Caller) -> bool:
    """Whether the caller sees the pilot's every figure (the assessment, its exports and report, the decisions'
    evidence): a CPAM's view is its zone's only, so the whole-pilot figures are not its to read."""
    return caller.role in (Role.VENDOR, *COORDINATORS)
