"""The small files of a simulated pilot folder (SPEC §4): pilot.yaml, anomalies.csv, survey.csv."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from preserie.domain.identifiers import check_am, luhn_key

CPAMS: tuple[str, ...] = ("33", "44")
SOFTWARE_VERSION = "5.2.0"
PRACTICES: tuple[str, ...] = ("group", "group", "msp", "group", "solo")


@dataclass(frozen=True)
class PractitionerSpec:
    id: str
    cpam: str
    specialty: str
    practice: str
    installed_on: dt.date


def _am_number(rng: random.Random, department: str) -> str:
    payload = f"{department}{rng.randrange(1_000_000):06d}"
    number = payload + luhn_key(payload)
    if not check_am(number).valid:  # a guard: the generator must never write an invalid N° AM
        raise AssertionError(f"invalid N° AM generated: {number}")
    return number


def make_practitioners(rng: random.Random, count: int, start: dt.date) -> list[PractitionerSpec]:
    """`count` liberal doctors with valid, distinct N° AM, alternately in the two CPAMs."""
    specs: list[PractitionerSpec] = []
    seen: set[str] = set()
    for index in range(count):
        department = CPAMS[index % len(CPAMS)]
        number = _am_number(rng, department)
        while number in seen:
            number = _am_number(rng, department)
        seen.add(number)
        practice = "group" if index == 0 else PRACTICES[rng.randrange(len(PRACTICES))]
        specialty = "specialist" if rng.random() < 0.25 else "general"
        installed = start - dt.timedelta(days=rng.randrange(1, 6))
        specs.append(PractitionerSpec(number, department, specialty, practice, installed))
    return specs


def declaration(pilot_id: str, practitioners: Sequence[PractitionerSpec], weeks: int,
                start: dt.date) -> dict[str, Any]:
    return {
        "schema": "preserie.pilot/1",
        "id": pilot_id,
        "vendor": "Simulé SAS",
        "software": {"name": "Simulé Cabinet", "version": SOFTWARE_VERSION,
                     "cnda_authorization": "CNDA-ON-2024-117", "audience": "liberal",
                     "market_share_percent": 2.5},
        "readiness": {"support": True, "installation_and_training": True, "kit": True},
        "cpams": list(CPAMS),
        "planned_weeks": weeks,
        "launch_meeting": start - dt.timedelta(days=7),
        "technical_prerequisites": ["Windows 10 22H2 ou ultérieur",
                                    "lecteur de carte CPS compatible PC/SC ou e-CPS activée"],
        "practitioners": [
            {"id": p.id, "situation": "liberal", "health_center": None, "specialty": p.specialty,
             "practice": p.practice, "cpam": p.cpam, "equipped": True, "installed_on": p.installed_on,
             "trained_on": p.installed_on}
            for p in practitioners
        ],
    }


class _PlainDumper(yaml.SafeDumper):
    """No anchors and aliases (&id001) when two fields hold the same date."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_declaration(path: Path, content: dict[str, Any]) -> None:
    text = yaml.dump(content, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False)
    path.write_text(text, encoding="utf-8", newline="\n")


def _write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_anomalies(path: Path, practitioners: Sequence[PractitionerSpec], days: Sequence[dt.date]) -> None:
    """A closed blocking software anomaly, an open minor one, and a teleservice outage."""
    first = practitioners[0].id
    rows = [
        ("ANO-001", days[min(2, len(days) - 1)], days[min(6, len(days) - 1)], "create", "blocking",
         "software", first, "Échec de création après changement de lecteur de carte, corrigé en 5.2.0"),
        ("ANO-002", days[len(days) // 2], "", "consult", "minor", "software", "",
         "Libellé de la catégorie tronqué à l'affichage"),
        ("ANO-003", days[len(days) // 3], days[len(days) // 3], "", "major", "teleservice", "",
         "Indisponibilité du téléservice (erreurs 503) pendant deux heures"),
    ]
    _write_csv(path, ("id", "opened_on", "closed_on", "operation", "severity", "origin", "practitioner",
                      "summary"), rows)


def write_survey(path: Path, rng: random.Random, practitioners: Sequence[PractitionerSpec],
                 submitted_on: dt.date) -> None:
    """One answer per practitioner, scores 3 to 5, no blocking issue."""
    rows = []
    for practitioner in practitioners:
        scores = [rng.randint(3, 5) for _ in range(6)]
        rows.append((practitioner.id, submitted_on, *scores, "false", "", "RAS"))
    _write_csv(path, ("practitioner", "submitted_on", "ease", "speed", "integration", "training", "support",
                      "overall", "blocking_issue", "blocking_issue_text", "comment"), rows)
