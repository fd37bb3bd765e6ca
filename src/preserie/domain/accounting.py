"""The eight-step accounting of every trace record (SPEC §5).

Each record lands in exactly one count; `events_read` is their sum.
"""

from __future__ import annotations

from dataclasses import dataclass

STEPS: tuple[tuple[str, str], ...] = (
    ("rejected", "rejetés (illisibles ou hors contrat)"),
    ("duplicates", "doublons (même event_id, même contenu)"),
    ("conflicts", "conflits (même event_id, autre contenu ; le premier compte)"),
    ("unknown_practitioners", "médecin non déclaré ou non équipé"),
    ("other_situation", "autre situation d'exercice (multi-activité)"),
    ("after_as_of", "postérieurs à la date du bilan"),
    ("out_of_scope_digital", "ordonnance numérique hors périmètre (imagerie, transport)"),
    ("used", "retenus pour le bilan"),
)
STEP_NAMES: tuple[str, ...] = tuple(name for name, _ in STEPS)

# Reason codes produced by the trace store -> (field, French message for the person who fixes the file).
REJECTION_REASONS: dict[str, tuple[str, str]] = {
    "unreadable": ("", "ligne illisible : objet JSON attendu"),
    "not_object": ("", "ligne illisible : un objet JSON est attendu, pas une autre valeur"),
    "csv_row": ("", "ligne CSV mal formée (nombre de colonnes)"),
    "missing_event_id": ("event_id", "champ obligatoire manquant ou vide"),
    "missing_ts": ("ts", "champ obligatoire manquant ou vide"),
    "missing_practitioner": ("practitioner", "champ obligatoire manquant ou vide"),
    "missing_situation": ("situation", "champ obligatoire manquant ou vide"),
    "missing_workstation": ("workstation", "champ obligatoire manquant ou vide"),
    "missing_software_version": ("software_version", "champ obligatoire manquant ou vide"),
    "missing_type": ("type", "champ obligatoire manquant ou vide"),
    "event_id_too_long": ("event_id", "plus de 128 caractères"),
    "ts_not_iso": ("ts", "date ISO 8601 avec décalage horaire attendue (ex. 2025-01-13T09:30:00+01:00)"),
    "ts_no_offset": ("ts", "décalage horaire manquant (ajouter +01:00, +02:00 ou Z)"),
    "unknown_type": ("type", "valeur inconnue (prescription, call ou workstation)"),
    "missing_category": ("category", "catégorie manquante pour une prescription"),
    "unknown_category": ("category", "catégorie inconnue"),
    "missing_digital": ("digital", "champ manquant pour une prescription"),
    "digital_not_boolean": ("digital", "booléen attendu (true ou false)"),
    "missing_prescription_id": ("prescription_id", "ordonnance numérique sans identifiant"),
    "missing_operation": ("operation", "opération manquante pour un appel"),
    "unknown_operation": ("operation", "opération inconnue (create, consult ou search)"),
    "missing_outcome": ("outcome", "résultat manquant pour un appel"),
    "unknown_outcome": ("outcome", "résultat inconnu (ok ou error)"),
    "http_status_not_integer": ("http_status", "entier attendu"),
    "http_status_out_of_range": ("http_status", "statut HTTP entre 100 et 599 attendu"),
    "error_below_400": ("http_status", "appel en erreur avec un statut HTTP inférieur à 400 (incohérent)"),
    "ok_at_400": ("http_status", "appel réussi avec un statut HTTP de 400 ou plus (incohérent)"),
}


@dataclass(frozen=True)
class Rejection:
    file: str
    line: int
    reason: str
    field: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "field": self.field, "reason": self.reason,
                "message": self.message}


def describe_rejection(file: str, line: int, reason: str) -> Rejection:
    field_name, message = REJECTION_REASONS.get(reason, ("", reason))
    return Rejection(file=file, line=line, reason=reason, field=field_name, message=message)


@dataclass(frozen=True)
class DataQuality:
    counts: dict[str, int]
    rejections: tuple[Rejection, ...] = ()
    conflicts: tuple[dict[str, object], ...] = ()
    file_issues: tuple[dict[str, object], ...] = ()

    def __post_init__(self) -> None:
        missing = set(STEP_NAMES) - set(self.counts)
        if missing:
            raise ValueError(f"counts lack {sorted(missing)}")

    @property
    def events_read(self) -> int:
        return sum(self.counts[name] for name in STEP_NAMES)

    def as_dict(self) -> dict[str, object]:
        by_reason: dict[str, int] = {}
        for rejection in self.rejections:
            by_reason[rejection.reason] = by_reason.get(rejection.reason, 0) + 1
        return {
            "events_read": self.events_read,
            **{name: self.counts[name] for name in STEP_NAMES},
            "rejections_by_reason": dict(sorted(by_reason.items())),
            "rejections": [r.as_dict() for r in self.rejections],
            "conflict_details": list(self.conflicts),
            "file_issues": list(self.file_issues),
        }
