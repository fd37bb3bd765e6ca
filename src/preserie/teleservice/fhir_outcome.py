"""Errors as FHIR servers answer them: the catalogue's error as an R4 ``OperationOutcome`` on the FHIR route
(fhir_http.py), as NHS EPS and gematik's E-Rezept-Fachdienst do (docs/decisions/0007-sandbox-fidelity.md)."""

from __future__ import annotations

from typing import Any

from preserie.teleservice.catalogue import TeleserviceError
from preserie.teleservice.fhir import SANDBOX

FHIR_PATH_SUFFIX = "/fhir"
ERROR_CODE_SYSTEM = f"{SANDBOX}:error-code"  # OperationOutcome.issue.details: the catalogue's code
# R4 issue-type codes (http://hl7.org/fhir/issue-type) for the catalogue's statuses.
ISSUE_TYPES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               406: "not-supported", 408: "timeout", 409: "conflict", 410: "deleted", 413: "too-costly",
               422: "invalid", 429: "throttled", 500: "exception", 503: "transient", 504: "timeout"}


def is_fhir_path(path: str) -> bool:
    return path.startswith("/v1/prescriptions/") and path.endswith(FHIR_PATH_SUFFIX)


def operation_outcome(error: TeleserviceError) -> dict[str, Any]:
    """The catalogue's error as an R4 OperationOutcome: its code in ``details``, its French message in
    ``diagnostics`` and ``details.text``."""
    issue: dict[str, Any] = {
        "severity": "error", "code": ISSUE_TYPES.get(error.kind.status, "processing"),
        "details": {"coding": [{"system": ERROR_CODE_SYSTEM, "code": error.code}], "text": error.message},
        "diagnostics": error.message}
    issues = [issue]
    for problem in error.details or []:
        where = ".".join(str(part) for part in problem.get("loc", ()))
        issues.append({"severity": "error", "code": "invalid", "diagnostics": f"{where} : {problem.get('msg', '')}",
                       **({"expression": [where]} if where else {})})
    return {"resourceType": "OperationOutcome", "issue": issues}
