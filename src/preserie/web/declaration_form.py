"""The declaration's form: pilot.yaml's content as the fields of a page and back. Each field is named by its path
in pilot.yaml (``software.version``, ``practitioners.2.cpam``), so that the use case's errors, named so, land
beside their field. Nothing is validated here: `services.pilots` validates what this module puts together.
What the form does not show (a doctor's installation date, the policy) is kept from the declaration it edits."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preserie import labels

HEADER = {"id": "Identifiant de la présérie", "planned_weeks": "Durée prévue (semaines)",
          "cpams": "CPAM de la présérie", "software.name": "Nom du logiciel", "software.version": "Version",
          "software.cnda_authorization": "Autorisation du CNDA", "software.audience": "Médecins visés",
          "software.market_share_percent": "Part de marché SESAM-Vitale (%)",
          "technical_prerequisites": "Prérequis techniques identifiés", "health_centers": "Centres de santé"}
READINESS = {"readiness.support": "Support aux médecins organisé",
             "readiness.installation_and_training": "Installations et formations organisées",
             "readiness.kit": "Kit de présentation aux médecins prêt"}
DOCTOR = {"id": "N° AM ou RPPS", "situation": "Situation", "health_center": "FINESS du centre",
          "specialty": "Spécialité", "practice": "Exercice", "cpam": "CPAM", "equipped": "Équipé"}
SPECIALTIES = {"general": "médecine générale", "specialist": "spécialiste"}
PRACTICES = {"solo": "seul", "group": "cabinet de groupe", "msp": "maison de santé (MSP)",
             "health_center": "centre de santé"}
BLANK_ROWS, MORE_ROWS, MAX_ROWS = 3, 5, 100
_ROW = re.compile(r"practitioners\.(\d+)\.(\w+)")


@dataclass(frozen=True)
class Typed:
    content: dict[str, Any]  # pilot.yaml's content, for the use case
    rows: list[int]  # the form's row of each practitioner of the content (blank rows are left out)


def options() -> dict[str, list[tuple[str, str]]]:
    return {"audience": list(labels.audience_labels().items()),
            "situation": list(labels.situation_labels().items()),
            "specialty": [("", "—"), *SPECIALTIES.items()], "practice": [("", "—"), *PRACTICES.items()]}


def values_of(content: Mapping[str, Any]) -> tuple[dict[str, str], int]:
    """The form's fields of a declaration (field name → text), and how many doctors' rows it fills."""
    software = content.get("software", {})
    values = {"id": content.get("id", ""), "planned_weeks": _shown(content.get("planned_weeks")),
              "cpams": ", ".join(content.get("cpams", [])),
              "technical_prerequisites": "\n".join(content.get("technical_prerequisites") or []),
              "health_centers": "\n".join(f"{c.get('finess', '')} ; {c.get('name', '')}"
                                          for c in content.get("health_centers") or [])}
    for name in ("name", "version", "cnda_authorization", "audience", "market_share_percent"):
        values[f"software.{name}"] = _shown(software.get(name))
    for name, checked in (content.get("readiness") or {}).items():
        values[f"readiness.{name}"] = "on" if checked else ""
    doctors = content.get("practitioners") or []
    for row, doctor in enumerate(doctors):
        for name in DOCTOR:
            value = doctor.get(name)
            values[f"practitioners.{row}.{name}"] = ("on" if value else "") if name == "equipped" else _shown(value)
    return values, len(doctors)


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def typed(values: Mapping[str, str], rows: int, kept: Mapping[str, Any], vendor: str | None) -> Typed:
    """pilot.yaml's content from the form's ``values``, over the declaration it edits (``kept``); a new one is
    the signed-in ``vendor``'s."""
    content = {k: v for k, v in kept.items() if k not in ("schema", "reduced_minimum")}
    content.setdefault("vendor", vendor)
    get = values.get
    content["id"] = get("id", "")
    content["planned_weeks"] = _number(get("planned_weeks", ""), int)
    content["cpams"] = [c for c in re.split(r"[\s,;]+", get("cpams", "")) if c]
    content["technical_prerequisites"] = [line.strip() for line in get("technical_prerequisites", "").splitlines()
                                          if line.strip()]
    content["health_centers"] = [_centre(line) for line in get("health_centers", "").splitlines() if line.strip()]
    software = dict(kept.get("software") or {})
    for name in ("name", "version", "cnda_authorization", "audience"):
        software[name] = get(f"software.{name}", "") or (None if name == "cnda_authorization" else "")
    software["market_share_percent"] = _number(get("software.market_share_percent", ""), float)
    content["software"] = {k: v for k, v in software.items() if v is not None}
    content["readiness"] = {name.split(".", 1)[1]: bool(get(name)) for name in READINESS}
    earlier = {p.get("id"): p for p in kept.get("practitioners") or []}
    doctors, placed = [], []
    for row in range(min(rows, MAX_ROWS)):
        doctor: dict[str, Any] = {name: get(f"practitioners.{row}.{name}", "") for name in DOCTOR}
        if not (doctor["id"] or doctor["cpam"] or doctor["health_center"]):
            continue  # a blank row
        doctor["equipped"] = bool(doctor["equipped"])
        made = {**earlier.get(doctor["id"], {}), **{k: (v if v != "" else None) for k, v in doctor.items()}}
        doctors.append({k: v for k, v in made.items() if v is not None or k == "id"})
        placed.append(row)
    content["practitioners"] = doctors
    return Typed(content, placed)


def _number(text: str, kind: type[int] | type[float]) -> Any:
    """A number typed the French way (« 0,8 »); left as typed when it is none, for the use case to say so."""
    if not text.strip():
        return None
    try:
        return kind(text.strip().replace(",", "."))
    except ValueError:
        return text


def _centre(line: str) -> dict[str, str]:
    finess, _, name = line.partition(";")
    return {"finess": finess.strip(), "name": name.strip()}


def where(typed_rows: list[int]) -> Any:
    """The form's field (id, label) of a use case's error, by its path in pilot.yaml."""

    def found(path: str) -> tuple[str, str] | None:
        match = _ROW.fullmatch(path) or re.fullmatch(r"practitioners\.(\d+)", path)
        if match:
            index = int(match.group(1))
            row = typed_rows[index] if index < len(typed_rows) else 0
            name = match.group(2) if match.lastindex == 2 and match.group(2) in DOCTOR else "id"
            return f"practitioners-{row}-{name}", f"médecin {row + 1}, {DOCTOR[name]}"
        if path == "practitioners":
            return "practitioners-0-id", f"médecin 1, {DOCTOR['id']}"
        head = path.split(".")[0]
        if head in ("cpams", "technical_prerequisites", "health_centers"):
            return head, HEADER[head]
        if path in HEADER:
            return path.replace(".", "-"), HEADER[path]
        if path in READINESS:
            return path.replace(".", "-"), READINESS[path]
        return None

    return found
