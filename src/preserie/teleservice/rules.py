"""The pure rules of the sandbox: what a create may hold, which dispensing or cancel is allowed, and the status of a
prescription on a given day. No I/O: the store reads the rows, asks these, and writes what they decide.

Where each rule comes from (public models, or what the sandbox assumes where the French service is not public):
docs/teleservice.md and docs/decisions/0007-sandbox-fidelity.md.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from preserie.domain.identifiers import check_am, check_finess, check_rpps
from preserie.teleservice.catalogue import DISPENSERS, TeleserviceError
from preserie.teleservice.records import (
    CANCELLED,
    DISPENSED,
    EXPIRED,
    ISSUED,
    OPEN_STATUSES,
    PARTIALLY_DISPENSED,
    NewLine,
    NewPrescription,
)

# The code system of each category and the shape of its codes. ASSUMPTION (the national rule is not public): the
# coding the French claims already use — a CIP13 presentation code (13 digits from 3400, an EAN-13 key) for
# medicines, an LPP code (7 digits) for devices, a NABM act (4 digits) for biology, an NGAP key letter and its
# coefficient for the acts of each profession.
CODE_SYSTEMS: dict[str, tuple[str, re.Pattern[str]]] = {
    "medicines": ("cip13", re.compile(r"3400[0-9]{9}")),
    "medical_devices": ("lpp", re.compile(r"[0-9]{7}")),
    "biology": ("nabm", re.compile(r"[0-9]{4}")),
    "nursing": ("ngap", re.compile(r"(AMI|AIS|DI|AMX) [0-9]+(\.[0-9]+)?")),
    "physiotherapy": ("ngap", re.compile(r"(AMK|AMC|RKD) [0-9]+(\.[0-9]+)?")),
    "speech_therapy": ("ngap", re.compile(r"AMO [0-9]+(\.[0-9]+)?")),
    "orthoptics": ("ngap", re.compile(r"AMY [0-9]+(\.[0-9]+)?")),
    "podiatry": ("ngap", re.compile(r"POD [0-9]+(\.[0-9]+)?")),
}
DEFAULT_VALIDITY = timedelta(days=90)  # ASSUMPTION: 3 months to first dispense, when the prescription says none
LONGEST_VALIDITY = timedelta(days=366)  # ASSUMPTION: a prescription, renewals included, covers one year at most


def _ean13_key(digits: str) -> str:
    """
    >>> _ean13_key("340093000001")
    '4'
    """
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return str(-total % 10)


def cip13(payload: str) -> str:
    """A CIP13 code from its first 12 digits (its EAN-13 key added): for tests, the simulator and the examples."""
    return payload + _ean13_key(payload)


def code_problem(category: str, code: str) -> str | None:
    """Why a line code cannot be one of ``category``'s (French), or None.

    >>> code_problem("nursing", cip13("340093000001"))
    'code cip13 de médicaments, catégorie nursing : code ngap attendu'
    >>> code_problem("medicines", "3400930000017"), code_problem("nursing", "AMI 2")
    ('clé du CIP13 incorrecte : 7, attendu 4', None)
    """
    system, shape = CODE_SYSTEMS[category]
    if shape.fullmatch(code):
        if system == "cip13" and code[-1] != _ean13_key(code[:12]):
            return f"clé du CIP13 incorrecte : {code[-1]}, attendu {_ean13_key(code[:12])}"
        return None
    for other, (other_system, other_shape) in CODE_SYSTEMS.items():
        if other_shape.fullmatch(code) and other_system != system:
            return f"code {other_system} de {_LABELS[other]}, catégorie {category} : code {system} attendu"
    return f"code {system} attendu pour la catégorie {category}"


_LABELS = {"medicines": "médicaments", "medical_devices": "dispositifs médicaux", "biology": "biologie",
           "nursing": "soins infirmiers", "physiotherapy": "kinésithérapie", "speech_therapy": "orthophonie",
           "orthoptics": "orthoptie", "podiatry": "pédicurie-podologie"}


def check_content(draft: NewPrescription, today: date) -> tuple[date, date]:
    """Refuse what the public models do not allow in ``draft``; return its (authored_on, valid_until), the
    defaults applied (authored today, valid DEFAULT_VALIDITY)."""
    _check_prescriber(draft)
    for number, line in enumerate(draft.lines, start=1):
        _check_line(draft.category, number, line)
    authored = draft.authored_on or today
    if authored > today:
        raise TeleserviceError("INVALID_VALIDITY_PERIOD", f"prescription datée du futur ({authored.isoformat()})")
    until = draft.valid_until or authored + DEFAULT_VALIDITY
    if until < authored:
        raise TeleserviceError("INVALID_VALIDITY_PERIOD", "la fin de validité précède la date de prescription")
    if until - authored > LONGEST_VALIDITY:
        raise TeleserviceError("INVALID_VALIDITY_PERIOD", f"plus de {LONGEST_VALIDITY.days} jours")
    if draft.execute_on is not None and not authored <= draft.execute_on <= until:
        raise TeleserviceError("INVALID_EXECUTION_DATE", f"{draft.execute_on.isoformat()} hors de "
                                                         f"{authored.isoformat()} – {until.isoformat()}")
    return authored, until


def _check_prescriber(draft: NewPrescription) -> None:
    who = draft.prescriber
    if who is None:
        raise TeleserviceError("INVALID_PRESCRIBER", "prescripteur absent")
    rpps = check_rpps(who.rpps, allow_test=True)
    if not rpps.valid:
        raise TeleserviceError("INVALID_PRESCRIBER", f"RPPS {rpps.reason}")
    structure = (check_am if who.structure_kind == "am" else check_finess)(who.structure_id, allow_test=True)
    if not structure.valid:
        raise TeleserviceError("INVALID_PRESCRIBER", f"{'N° AM' if who.structure_kind == 'am' else 'FINESS'} "
                                                     f"{structure.reason}")


def _check_line(category: str, number: int, line: NewLine) -> None:
    if line.code is not None and (problem := code_problem(category, line.code)) is not None:
        raise TeleserviceError("CODE_NOT_FOR_CATEGORY", f"ligne {number} : {problem}")
    if category == "medicines" and line.posology is None:
        raise TeleserviceError("POSOLOGY_REQUIRED", f"ligne {number}")
    if category != "medicines" and line.substitution_allowed is not None:
        raise TeleserviceError("FIELD_NOT_FOR_CATEGORY", f"ligne {number} : substitution_allowed (médicaments "
                                                         "seulement)")
    cover = line.coverage
    if cover.non_reimbursable and (cover.ald or cover.at_mp or cover.prevention):
        raise TeleserviceError("INCONSISTENT_COVERAGE", f"ligne {number}")


def status_at(stored: str, valid_until: date | None, today: date) -> str:
    """The status of a prescription on ``today``: the stored one, or expired once its validity has passed and
    something is still to dispense.

    >>> status_at("issued", date(2026, 1, 31), date(2026, 2, 1)), status_at("dispensed", date(2026, 1, 31),
    ...                                                                     date(2026, 2, 1))
    ('expired', 'dispensed')
    """
    if stored in OPEN_STATUSES and valid_until is not None and valid_until < today:
        return EXPIRED
    return stored


def refuse_if_gone(status: str) -> None:
    """A cancelled or expired prescription is gone for whoever would carry it out (410)."""
    if status == CANCELLED:
        raise TeleserviceError("PRESCRIPTION_CANCELLED")
    if status == EXPIRED:
        raise TeleserviceError("PRESCRIPTION_EXPIRED")


def check_cancel(status: str) -> None:
    """A prescriber cancels a prescription before any dispensing; cancelling it again changes nothing."""
    if status in (PARTIALLY_DISPENSED, DISPENSED):
        raise TeleserviceError("PRESCRIPTION_ALREADY_DISPENSED")
    if status == EXPIRED:
        raise TeleserviceError("PRESCRIPTION_EXPIRED")


def status_of(quantities: list[tuple[int, int]]) -> str:
    """Status from (prescribed, dispensed) quantities of each line.

    >>> status_of([(2, 0), (1, 0)]), status_of([(2, 1), (1, 0)]), status_of([(2, 2), (1, 1)])
    ('issued', 'partially_dispensed', 'dispensed')
    """
    if all(dispensed >= prescribed for prescribed, dispensed in quantities):
        return DISPENSED
    return PARTIALLY_DISPENSED if any(dispensed for _, dispensed in quantities) else ISSUED


def status_after_dispensing(category: str, status: str, role: str, lines: dict[int, tuple[int, int]],
                            given: dict[int, int]) -> str:
    """The status a dispensing of ``given`` (line number → quantity) leaves, or the catalogue's refusal.
    ``lines`` holds each line's (prescribed, dispensed) quantities; ``status`` is the one of today (status_at).

    >>> status_after_dispensing("medicines", "issued", "pharmacist", {1: (2, 0), 2: (1, 0)}, {1: 2})
    'partially_dispensed'
    >>> try:
    ...     status_after_dispensing("nursing", "issued", "pharmacist", {1: (1, 0)}, {1: 1})
    ... except TeleserviceError as refused:
    ...     refused.code
    'PROFESSION_NOT_PRESCRIBED'
    """
    if role not in DISPENSERS[category]:
        raise TeleserviceError("PROFESSION_NOT_PRESCRIBED", f"{role} pour {category}")
    refuse_if_gone(status)
    if status == DISPENSED:
        raise TeleserviceError("PRESCRIPTION_FULLY_DISPENSED")
    for number, quantity in given.items():
        if number not in lines:
            raise TeleserviceError("UNKNOWN_LINE", f"ligne {number}")
        prescribed, dispensed = lines[number]
        if quantity > prescribed - dispensed:
            raise TeleserviceError("QUANTITY_EXCEEDS_REMAINING", f"ligne {number}, reste {prescribed - dispensed}")
    return status_of([(q, d + given.get(n, 0)) for n, (q, d) in lines.items()])
