"""The pure rules of the sandbox's life cycle: what a create may hold, which dispensing is allowed and the status it
leaves. No I/O: the store reads the rows, asks these, and writes what they decide."""

from __future__ import annotations

from preserie.teleservice.catalogue import DISPENSERS, TeleserviceError
from preserie.teleservice.records import DISPENSED, ISSUED, PARTIALLY_DISPENSED


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
    ``lines`` holds each line's (prescribed, dispensed) quantities.

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
    if status == DISPENSED:
        raise TeleserviceError("PRESCRIPTION_FULLY_DISPENSED")
    for number, quantity in given.items():
        if number not in lines:
            raise TeleserviceError("UNKNOWN_LINE", f"ligne {number}")
        prescribed, dispensed = lines[number]
        if quantity > prescribed - dispensed:
            raise TeleserviceError("QUANTITY_EXCEEDS_REMAINING", f"ligne {number}, reste {prescribed - dispensed}")
    return status_of([(q, d + given.get(n, 0)) for n, (q, d) in lines.items()])
