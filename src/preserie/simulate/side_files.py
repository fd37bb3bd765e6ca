"""The small files of a simulated pilot folder (SPEC §4): pilot.yaml, anomalies.csv, survey.csv."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from preserie.simulate.cast import CPAMS, Cast, PractitionerSpec
from preserie.simulate.population import FRAGILE_OS, SOFTWARE_VERSION
from preserie.simulate.scenarios import Scenario
from preserie.simulate.teleservice import Outage

SURVEY_COLUMNS = ("practitioner", "submitted_on", "ease", "speed", "integration", "training", "support",
                  "overall", "blocking_issue", "blocking_issue_text", "comment")
COMMENTS = ("RAS", "Bonne intégration au dossier patient", "Un peu lent le lundi matin",
            "Les patients apprécient le QR code", "Formation courte mais utile", "")
EARLY_BLOCKING = "Création impossible après changement de lecteur de carte (corrigé depuis)"
LATE_BLOCKING = ("Signature des ordonnances numériques refusée avec l'e-CPS depuis la mise à jour : "
                 "retour au papier pour la moitié des patients")


def declaration(pilot_id: str, cast: Cast, weeks: int, start: dt.date) -> dict[str, Any]:
    content: dict[str, Any] = {
        "schema": "preserie.pilot/1",
        "id": pilot_id,
        "vendor": "Simulé SAS",
        "software": {"name": "Simulé Cabinet", "version": SOFTWARE_VERSION,
                     "cnda_authorization": "CNDA-ON-2024-117", "audience": cast.audience,
                     "market_share_percent": 2.5},
        "readiness": {"support": True, "installation_and_training": True, "kit": True},
        "cpams": list(CPAMS),
        "planned_weeks": weeks,
        "launch_meeting": start - dt.timedelta(days=7),
        "technical_prerequisites": ["Windows 10 22H2 ou ultérieur",
                                    "lecteur de carte CPS compatible PC/SC ou e-CPS activée"],
    }
    if cast.centres:
        content["health_centers"] = [{"finess": c.finess, "name": c.name} for c in cast.centres]
    content["practitioners"] = [
        {"id": p.id, "situation": p.situation, "health_center": p.health_center, "specialty": p.specialty,
         "practice": p.practice, "cpam": p.cpam, "equipped": True, "installed_on": p.installed_on,
         "trained_on": p.installed_on}
        for p in cast.practitioners
    ]
    return content


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


def _hm(second: int) -> str:
    return f"{second // 3600}h{second // 60 % 60:02d}"


def write_anomalies(path: Path, cast: Cast, days: Sequence[dt.date], outages: Sequence[Outage],
                    fragile: tuple[str, str], scenario: Scenario) -> None:
    """A closed blocking software anomaly, open minor ones, the outages of the teleservice, the old system
    of one workstation, and the scenario's open blocking anomaly if any."""
    last = len(days) - 1
    first = cast.practitioners[0].id
    rows: list[tuple[dt.date, str, str, str, str, str, str]] = [
        (days[min(2, last)], str(days[min(6, last)]), "create", "blocking", "software", first,
         "Échec de création après changement de lecteur de carte, corrigé en 5.2.0"),
        (days[last // 2], "", "consult", "minor", "software", "", "Libellé de la catégorie tronqué à l'affichage"),
        (days[last // 3], "", "", "minor", "software", "",
         "Lenteur à l'ouverture du module d'ordonnance numérique en début de matinée"),
        (days[min(3, last)], "", "create", "major", "environment", fragile[0],
         f"Échecs fréquents de création sur le poste {fragile[1]} ({' '.join(FRAGILE_OS)}, en deçà des "
         "prérequis) : mise à jour du système à planifier"),
    ]
    for outage in outages:
        rows.append((days[outage.day], str(days[outage.day]), "", "major", "teleservice", "",
                     f"Indisponibilité du téléservice de {_hm(outage.start)} à {_hm(outage.end)} "
                     "(erreurs 503, délais dépassés)"))
    if scenario.open_blocking_anomaly:
        opened = days[min(last, int(scenario.software_errors_from * len(days)))]
        rows.append((opened, "", scenario.open_blocking_anomaly, "blocking", "software", "",
                     "Service « rechercher » en erreur 400 depuis la mise à jour : critères de date refusés"))
    rows.sort(key=lambda row: row[0])  # stable: same day, order of the list above
    numbered = [(f"ANO-{k:03d}", *row) for k, row in enumerate(rows, start=1)]
    _write_csv(path, ("id", "opened_on", "closed_on", "operation", "severity", "origin", "practitioner",
                      "summary"), numbered)


def _answer(rng: random.Random, practitioner: PractitionerSpec, on: dt.date, low: int,
            blocking: str | None) -> tuple[object, ...]:
    scores = [rng.randint(low, 5) for _ in range(5)]
    overall = max(low, min(5, round(sum(scores) / 5)))
    comment = COMMENTS[rng.randrange(len(COMMENTS))]
    return (practitioner.id, on, *scores, overall, "true" if blocking else "false", blocking or "", comment)


def write_survey(path: Path, rng: random.Random, practitioners: Sequence[PractitionerSpec],
                 days: Sequence[dt.date], scenario: Scenario) -> None:
    """One answer per doctor near the end; about a third also answered mid-pilot (the later answer counts),
    among them the first doctor with the blocking issue since solved; the scenario's unhappy doctors report
    one at the end."""
    unhappy = set(rng.sample(range(len(practitioners)), min(scenario.blocking_answers, len(practitioners))))
    early_blocking = 0  # the doctor of the blocking anomaly ANO-001, fixed since
    middle = days[len(days) // 2]
    rows = []
    for index, practitioner in enumerate(practitioners):
        if index == early_blocking or rng.random() < 0.3:
            rows.append(_answer(rng, practitioner, middle, 2, EARLY_BLOCKING if index == early_blocking else None))
        late = days[-1 - rng.randrange(min(3, len(days)))]
        if index in unhappy:
            rows.append(_answer(rng, practitioner, late, 1, LATE_BLOCKING))
        else:
            rows.append(_answer(rng, practitioner, late, 3, None))
    rows.sort(key=lambda row: str(row[1]))  # in order of submission, as a survey tool exports them
    _write_csv(path, SURVEY_COLUMNS, rows)
