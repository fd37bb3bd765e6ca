"""The workstation trace contract (SPEC §4-§5), once: its fields, the values its fields may take, and the code of
each reason a record is rejected for (step 1) with the French message for the person who fixes the file.

The engine's SQL (`adapters.trace_sql`) is written from these names; nothing here is written again there.
"""

from __future__ import annotations

from enum import StrEnum

# The contract's fields of a trace record, common ones first, then those of each type (SPEC §4).
COMMON_FIELDS: tuple[str, ...] = (
    "event_id", "ts", "practitioner", "situation", "workstation", "software_version", "type",
)
FIELDS: tuple[str, ...] = (
    *COMMON_FIELDS,
    "category", "digital", "prescription_id",  # prescription
    "operation", "outcome", "http_status", "error_code", "duration_ms",  # call
    "os", "os_version", "card_reader", "card_kind", "network",  # workstation snapshot
)
EVENT_ID_MAX_LENGTH = 128
# A JSON value of these fields keeps its type: the string "true" is not a boolean, "404" is not an integer.
TYPED_FIELDS: tuple[str, ...] = ("digital", "http_status", "duration_ms")


class RecordType(StrEnum):
    PRESCRIPTION = "prescription"
    CALL = "call"
    WORKSTATION = "workstation"


class Outcome(StrEnum):
    OK = "ok"
    ERROR = "error"


class Rejection(StrEnum):
    """Why a record is rejected at step 1: the first rule it breaks, in this order."""

    UNREADABLE = "unreadable"
    NOT_OBJECT = "not_object"
    CSV_ROW = "csv_row"
    MISSING_EVENT_ID = "missing_event_id"
    MISSING_TS = "missing_ts"
    MISSING_PRACTITIONER = "missing_practitioner"
    MISSING_SITUATION = "missing_situation"
    MISSING_WORKSTATION = "missing_workstation"
    MISSING_SOFTWARE_VERSION = "missing_software_version"
    MISSING_TYPE = "missing_type"
    EVENT_ID_TOO_LONG = "event_id_too_long"
    TS_NOT_ISO = "ts_not_iso"
    TS_NO_OFFSET = "ts_no_offset"
    UNKNOWN_TYPE = "unknown_type"
    MISSING_CATEGORY = "missing_category"
    UNKNOWN_CATEGORY = "unknown_category"
    MISSING_DIGITAL = "missing_digital"
    DIGITAL_NOT_BOOLEAN = "digital_not_boolean"
    MISSING_PRESCRIPTION_ID = "missing_prescription_id"
    MISSING_OPERATION = "missing_operation"
    UNKNOWN_OPERATION = "unknown_operation"
    MISSING_OUTCOME = "missing_outcome"
    UNKNOWN_OUTCOME = "unknown_outcome"
    HTTP_STATUS_NOT_INTEGER = "http_status_not_integer"
    HTTP_STATUS_OUT_OF_RANGE = "http_status_out_of_range"
    ERROR_BELOW_400 = "error_below_400"
    OK_AT_400 = "ok_at_400"

    @classmethod
    def missing(cls, field: str) -> Rejection:
        """The reason for a common field missing or empty."""
        return cls(f"missing_{field}")


_MISSING = "champ obligatoire manquant ou vide"
# Each reason -> (field, French message for the person who fixes the file).
REJECTION_REASONS: dict[Rejection, tuple[str, str]] = {
    Rejection.UNREADABLE: ("", "ligne illisible : objet JSON attendu"),
    Rejection.NOT_OBJECT: ("", "ligne illisible : un objet JSON est attendu, pas une autre valeur"),
    Rejection.CSV_ROW: ("", "ligne CSV mal formée (nombre de colonnes)"),
    **{Rejection.missing(f): (f, _MISSING) for f in COMMON_FIELDS},
    Rejection.EVENT_ID_TOO_LONG: ("event_id", f"plus de {EVENT_ID_MAX_LENGTH} caractères"),
    Rejection.TS_NOT_ISO: ("ts", "date ISO 8601 avec décalage horaire attendue (ex. 2025-01-13T09:30:00+01:00)"),
    Rejection.TS_NO_OFFSET: ("ts", "décalage horaire manquant (ajouter +01:00, +02:00 ou Z)"),
    Rejection.UNKNOWN_TYPE: ("type", "valeur inconnue (prescription, call ou workstation)"),
    Rejection.MISSING_CATEGORY: ("category", "catégorie manquante pour une prescription"),
    Rejection.UNKNOWN_CATEGORY: ("category", "catégorie inconnue"),
    Rejection.MISSING_DIGITAL: ("digital", "champ manquant pour une prescription"),
    Rejection.DIGITAL_NOT_BOOLEAN: ("digital", "booléen attendu (true ou false)"),
    Rejection.MISSING_PRESCRIPTION_ID: ("prescription_id", "ordonnance numérique sans identifiant"),
    Rejection.MISSING_OPERATION: ("operation", "opération manquante pour un appel"),
    Rejection.UNKNOWN_OPERATION: ("operation", "opération inconnue (create, consult ou search)"),
    Rejection.MISSING_OUTCOME: ("outcome", "résultat manquant pour un appel"),
    Rejection.UNKNOWN_OUTCOME: ("outcome", "résultat inconnu (ok ou error)"),
    Rejection.HTTP_STATUS_NOT_INTEGER: ("http_status", "entier attendu"),
    Rejection.HTTP_STATUS_OUT_OF_RANGE: ("http_status", "statut HTTP entre 100 et 599 attendu"),
    Rejection.ERROR_BELOW_400: ("http_status", "appel en erreur avec un statut HTTP inférieur à 400 (incohérent)"),
    Rejection.OK_AT_400: ("http_status", "appel réussi avec un statut HTTP de 400 ou plus (incohérent)"),
}
