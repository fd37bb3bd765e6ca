"""docs/teleservice.md's generated parts, from the code: the operations (the app's OpenAPI, with who may call each),
every error of the catalogue (its HTTP status, its French message, when it happens and its source) and the
stateless mode's examples. `python -m preserie.teleservice.conformance docs/teleservice.md` rewrites them in place,
between their markers; the prose around them is written by hand. A test fails when a part is stale, and this
module refuses to render when an error code or an operation has no entry below.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path
from typing import Any

from preserie.teleservice.catalogue import DISPENSERS, ERRORS
from preserie.teleservice.records import PrescriptionRecord
from preserie.teleservice.rules import CODE_SYSTEMS, status_at

# Who may call each operation (routes.py's rules), and where it comes from (the labels of docs/teleservice.md,
# « Sources »).
OPERATIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/v1/prescriptions"): ("prescriber", "ANS, EPS"),
    ("GET", "/v1/prescriptions"): ("prescriber (their own)", "sandbox"),
    ("GET", "/v1/prescriptions/{prescription_id}"): ("prescriber (their own); prescribed professional (any id)",
                                                      "ANS"),
    ("POST", "/v1/prescriptions/{prescription_id}/cancel"): ("prescriber (their own)", "EPS, gematik"),
    ("GET", "/v1/prescriptions/{prescription_id}/qr.svg"): ("as consult", "ANS"),
    ("GET", "/v1/prescriptions/{prescription_id}/qr.png"): ("as consult", "ANS"),
    ("POST", "/v1/prescriptions/{prescription_id}/dispensations"): ("the category's prescribed profession",
                                                                    "ANS, gematik"),
    ("GET", "/v1/prescriptions/{prescription_id}/fhir"): ("as consult", "R4, FR Core"),
    ("GET", "/v1/registrations"): ("registry", "sandbox"),
    ("GET", "/v1/health"): ("anyone (no token)", "sandbox"),
}

# When each error of the catalogue happens, and its source.
ERROR_NOTES: dict[str, tuple[str, str]] = {
    "MALFORMED_REQUEST": ("The body is not readable JSON.", "R4"),
    "INVALID_REQUEST": ("The body or the query breaks the published schema (a field missing, of the wrong type or "
                        "out of its bounds: 12 renewals, a structure kind other than am / finess); `details` names "
                        "the first 20 problems, `details_total` counts them all.", "EPS"),
    "REQUEST_TOO_LARGE": ("The body is over 256 KiB.", "sandbox"),
    "INVALID_IDEMPOTENCY_KEY": ("`Idempotency-Key` is empty, longer than 128 characters or not printable ASCII.",
                                "sandbox"),
    "UNKNOWN_CATEGORY": ("A category outside the eight of the ordonnance numérique.", "ANS"),
    "CATEGORY_OUT_OF_SCOPE": ("imaging or transport: no e-prescription.", "ANS"),
    "INVALID_NIR": ("The patient's NIR: its shape, its key (the expected one is named), or spaces in it.", "FR Core"),
    "INVALID_DATE_RANGE": ("A search whose `from` is after its `to`.", "sandbox"),
    "IDEMPOTENCY_KEY_REUSED": ("A key already used by the same caller for another body (create or dispense).",
                               "sandbox"),
    "UNKNOWN_LINE": ("A dispensing names a line the prescription does not have.", "sandbox"),
    "QUANTITY_EXCEEDS_REMAINING": ("A dispensing gives more of a line than remains to dispense.", "sandbox"),
    "PRESCRIPTION_FULLY_DISPENSED": ("A dispensing of a prescription whose every line is dispensed: it is done.",
                                     "ANS, gematik"),
    "INVALID_PRESCRIPTION_ID": ("An id that cannot be one: not 18 characters, a character outside A-Z 0-9 (lower "
                                "case included) or a wrong check character; on create and on every route that "
                                "takes an id, decided from the text alone.", "EPS, gematik"),
    "PRESCRIPTION_ID_TAKEN": ("A create with an id already registered, by anyone, outside the replay of its own "
                              "Idempotency-Key: the software must make a new id.", "EPS"),
    "METHOD_NOT_ALLOWED": ("A method the path does not take; `Allow` names those it takes.", "R4"),
    "NOT_ACCEPTABLE": ("The FHIR route asked, by `_format` or `Accept`, for a format it does not serve (XML, "
                       "Turtle, anything but JSON).", "R4"),
    "INVALID_PRESCRIBER": ("The prescriber's RPPS (its Luhn key) or the structure's N° AM / FINESS (its key).",
                           "FR Core"),
    "CODE_NOT_FOR_CATEGORY": ("A line code of another category's system (a drug code on a nursing prescription), "
                              "or a CIP13 whose key is wrong.", "sandbox"),
    "FIELD_NOT_FOR_CATEGORY": ("`substitution_allowed` on a line that is not a medicine.", "R4"),
    "POSOLOGY_REQUIRED": ("A medicine line without its posology.", "FR Core"),
    "INCONSISTENT_COVERAGE": ("A line both non-reimbursable and ALD, AT/MP or prevention.", "sandbox"),
    "INVALID_VALIDITY_PERIOD": ("`authored_on` after today, `valid_until` before `authored_on`, or more than 366 "
                                "days between them.", "sandbox"),
    "INVALID_EXECUTION_DATE": ("`execute_on` outside `authored_on` … `valid_until`.", "sandbox"),
    "PRESCRIPTION_ALREADY_DISPENSED": ("A cancel after any dispensing, even partial.", "sandbox"),
    "PRESCRIPTION_CANCELLED": ("A prescribed professional reads, or dispenses, a cancelled prescription (its "
                               "prescriber still reads it, status cancelled).", "R4, gematik"),
    "PRESCRIPTION_EXPIRED": ("The same once `valid_until` has passed (Paris day) with something left to dispense; "
                             "and a cancel then.", "R4, sandbox"),
    "AUTH_TOKEN_MISSING": ("No `Authorization: Bearer`.", "EPS"),
    "AUTH_TOKEN_INVALID": ("A token forged, tampered with, malformed, or of an unknown role.", "EPS"),
    "AUTH_TOKEN_EXPIRED": ("A token past its expiry.", "EPS"),
    "ROLE_NOT_ALLOWED": ("An operation of another role: a professional who searches or cancels, a prescriber who "
                         "dispenses, the registry reader on a prescription.", "EPS"),
    "PROFESSION_NOT_PRESCRIBED": ("A dispensing by a profession the category does not name (a nurse for "
                                  "medicines).", "ANS"),
    "PRESCRIPTION_NOT_FOUND": ("A well-formed id the base does not know, or a prescription of another prescriber "
                               "(the same answer: no answer tells whether an id exists).", "EPS"),
    "ROUTE_NOT_FOUND": ("A path the sandbox does not have (a trailing slash included: never redirected).", "EPS"),
    "TS_INTERNAL_ERROR": ("A failure of the sandbox itself.", "sandbox"),
    "TS_DATABASE_UNAVAILABLE": ("The database does not answer (the health probe says so too).", "sandbox"),
    "TS_UNAVAILABLE": ("Only under a fault profile (`serve --faults`): a simulated outage.", "sandbox"),
    "TS_TOO_MANY_REQUESTS": ("Only under a fault profile: a simulated rate limit, with `Retry-After`.", "sandbox"),
    "TS_TIMEOUT": ("Only under a fault profile: a simulated request timeout.", "sandbox"),
    "TS_GATEWAY_TIMEOUT": ("Only under a fault profile: a simulated gateway timeout.", "sandbox"),
}

_BLOCK = re.compile(r"(<!-- generated:(?P<name>[a-z]+) [^>]*-->\n)(?P<body>.*?)(<!-- end:(?P=name) -->)", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def operations_table(schema: dict[str, Any]) -> str:
    """Every operation of the OpenAPI: its method, path, who may call it, its answers and its source."""
    rows = ["| method | path | who | answers | what | source |", "|---|---|---|---|---|---|"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            key = (method.upper(), path)
            if key not in OPERATIONS:
                raise KeyError(f"{key}: no entry in conformance.OPERATIONS (who may call it, its source)")
            who, source = OPERATIONS[key]
            what = (operation.get("description") or "").split("\n\n")[0].replace("``", "`")
            answers = ", ".join(sorted(operation["responses"]))
            rows.append(f"| {key[0]} | `{path}` | {who} | {answers} | {_cell(what)} | {source} |")
    return "\n".join(rows)


def errors_table() -> str:
    """Every error code of the catalogue, in its order."""
    missing = [code for code in ERRORS if code not in ERROR_NOTES]
    if missing:
        raise KeyError(f"error codes without an entry in conformance.ERROR_NOTES: {', '.join(missing)}")
    rows = ["| code | HTTP | message (French) | when | source |", "|---|---|---|---|---|"]
    for code, kind in ERRORS.items():
        when, source = ERROR_NOTES[code]
        rows.append(f"| `{code}` | {kind.status} | {_cell(kind.message)} | {_cell(when)} | {source} |")
    return "\n".join(rows)


def codes_table() -> str:
    """Each category's code system, the shape of its codes, and who dispenses it."""
    rows = ["| category | code system | code shape | dispensed by |", "|---|---|---|---|"]
    for category, (system, shape) in CODE_SYSTEMS.items():
        rows.append(f"| {category} | {system} | `{_cell(shape.pattern)}` | {', '.join(DISPENSERS[category])} |")
    return "\n".join(rows)


def examples_table(records: list[PrescriptionRecord], today: date) -> str:
    """The stateless mode's examples: their ids, category, status and who sees their dispensing."""
    rows = ["| id | category | status | lines: prescribed / dispensed | dispensing shown to its prescriber |",
            "|---|---|---|---|---|"]
    for record in records:
        lines = ", ".join(f"{line.quantity} / {line.dispensed}" for line in record.lines)
        rows.append(f"| `{record.id}` | {record.category} | {status_at(record.status, record.valid_until, today)} | "
                    f"{lines} | {'yes' if record.dispensing_visible_to_prescriber else 'no'} |")
    return "\n".join(rows)


def parts() -> dict[str, str]:
    from preserie.teleservice.app import create_app
    from preserie.teleservice.settings import Settings
    from preserie.teleservice.stateless import CannedStore

    app = create_app(Settings(secret="conformance-" + "x" * 16, stateless=True))
    today = date(2026, 1, 1)  # any day: the examples' dates follow the day the sandbox starts
    return {"operations": operations_table(app.openapi()), "errors": errors_table(), "codes": codes_table(),
            "examples": examples_table(list(CannedStore(today).examples.values()), today)}


def render(document: str) -> str:
    """``document`` with each generated part made again from the code."""
    fresh = parts()
    found = {match["name"] for match in _BLOCK.finditer(document)}
    if found != set(fresh):
        raise ValueError(f"generated parts expected: {sorted(fresh)}; found: {sorted(found)}")
    return _BLOCK.sub(lambda match: f"{match[1]}{fresh[match['name']]}\n{match[4]}", document)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage : python -m preserie.teleservice.conformance docs/teleservice.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
