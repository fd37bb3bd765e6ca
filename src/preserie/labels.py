"""The French words that screens, reports and exports show for the codes of the data: one place for all.

Each table is built on call (no reference data is read at import), and an unknown code is shown as it is
rather than lost: a value the contract does not know yet stays visible.
"""

from __future__ import annotations

from preserie.data import load_reference
from preserie.domain.accounting import STEPS
from preserie.domain.dossier import CHECK_LABELS, THRESHOLD_LABELS
from preserie.domain.pilot import AUDIENCE_LABELS, SITUATION_LABELS
from preserie.domain.reference import Reference


def _reference() -> Reference:
    return load_reference()  # read once per process (cached), on the first label asked for, not at import


def status_labels() -> dict[str, str]:
    return {"pass": "conforme", "fail": "non conforme", "warn": "à surveiller"}


def met_label(met: bool) -> str:
    return "atteint" if met else "non atteint"


def yes_no(value: bool) -> str:
    return "oui" if value else "non"


def check_label(check: str) -> str:
    return CHECK_LABELS.get(check, check)


def criterion_short_labels() -> dict[str, str]:
    """Short names of the criteria, for one line per criterion on a terminal of 80 columns."""
    return {"usage_rate": "Ordonnances numériques", "registration_rate": "Enregistrement",
            "operations": "Opérations", "prerequisites": "Prérequis techniques", "satisfaction": "Satisfaction"}


def class_labels() -> dict[str, str]:
    """The error classes of a failed call (C3), in the reference data's order."""
    return {c.name: c.label for c in _reference().error_classes}


def call_result_labels() -> dict[str, str]:
    """A call's result: succeeded, or the class of its error."""
    return {"ok": "réussi", **class_labels()}


def operation_labels() -> dict[str, str]:
    return dict(_reference().operations)


def operation_label(operation: str | None) -> str:
    """« créer », or « toutes » for an anomaly that names no operation."""
    return operation_labels().get(operation, operation) if operation else "toutes"


def category_labels() -> dict[str, str]:
    return dict(_reference().categories)


def field_labels() -> dict[str, str]:
    return {"os": "système", "os_version": "version du système", "card_reader": "lecteur de carte",
            "card_kind": "type de carte", "network": "réseau", "software_version": "version du logiciel"}


def score_labels() -> dict[str, str]:
    return {"ease": "facilité", "speed": "rapidité", "integration": "intégration", "training": "formation",
            "support": "support", "overall": "note globale"}


def situation_labels() -> dict[str, str]:
    return {str(k): v for k, v in SITUATION_LABELS.items()}


def audience_labels() -> dict[str, str]:
    return {str(k): v for k, v in AUDIENCE_LABELS.items()}


def severity_labels() -> dict[str, str]:
    return {"blocking": "bloquante", "major": "majeure", "minor": "mineure"}


def origin_labels() -> dict[str, str]:
    return {"software": "logiciel", "teleservice": "téléservice", "environment": "environnement"}


def source_labels() -> dict[str, str]:
    """Where C2's registered prescriptions come from."""
    return {"registrations": "extrait de la base (registrations.csv)",
            "traces": "appels « créer » réussis des traces (registrations.csv absent)"}


def level_labels() -> dict[str, str]:
    return {"error": "erreur", "warning": "avertissement"}


def step_labels() -> dict[str, str]:
    """The accounting steps of the trace records (SPEC §5), with the total read first."""
    return {"events_read": "enregistrements lus", **dict(STEPS)}


def step_short_labels() -> dict[str, str]:
    """The steps that set a record aside, in a few words (one line of a summary)."""
    return {"rejected": "rejetées", "duplicates": "doublons", "conflicts": "conflits",
            "unknown_practitioners": "de médecins non utilisateurs",
            "other_situation": "d'une autre situation d'exercice", "after_as_of": "postérieures au bilan",
            "out_of_scope_digital": "numériques hors périmètre"}


def threshold_labels() -> dict[str, str]:
    return dict(THRESHOLD_LABELS)


def configuration_value(field: str, value: str | None) -> str:
    """A workstation configuration value as the vendor's support says it: « fibre », « e-CPS », « aucun »."""
    if not value:
        return "(vide)"
    words = {"card_kind": {"cps": "CPS", "e-cps": "e-CPS"},
             "network": {"fiber": "fibre", "adsl": "ADSL", "vdsl": "VDSL", "4g": "4G", "5g": "5G",
                         "cable": "câble", "satellite": "satellite"},
             "card_reader": {"none": "aucun"}}
    return words.get(field, {}).get(value, value)
