"""The assessment as tables for a coordinator's spreadsheet: one per part of the bilan, cells typed.

A column says what its cells are (`date`, `percent`, `integer`, `decimal`, `text`), so that the workbook can
write real dates and percentages, and the CSV the French way; codes of the data are shown as their labels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from preserie import labels
from preserie.domain.results import Assessment, BlockingAnomaly

Cell = str | int | float | dt.date | dt.datetime | None


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"  # text | integer | decimal | percent | date | datetime


@dataclass(frozen=True)
class Table:
    name: str  # file stem and sheet name
    title: str  # what the table is, for the summary of the export
    columns: tuple[Column, ...]
    rows: Sequence[tuple[Cell, ...]]

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _cols(*spec: str) -> tuple[Column, ...]:
    """Columns from "name" or "name:kind"."""
    return tuple(Column(*s.rsplit(":", 1)) if ":" in s else Column(s) for s in spec)


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def _moment(value: str | None) -> dt.datetime | None:
    """A moment of the result (ISO, Paris offset) as the wall-clock time of Paris: spreadsheets know no offset."""
    return dt.datetime.fromisoformat(value).replace(tzinfo=None) if value else None


def _decision(r: Assessment) -> Table:
    rows: list[tuple[Cell, ...]] = [
        ("présérie", r.pilot, None), ("date du bilan", None, _moment(r.as_of)),
        ("décision", "déploiement" if r.is_deploy else "prolongation", None),
        ("politique de seuils", r.policy.version, None), ("référentiel", r.reference_version, None)]
    rows += [("raison", reason.message, None) for reason in r.reasons]
    return Table("decision", "décision et raisons", _cols("rubrique", "détail", "date:datetime"), rows)


def _dossier(r: Assessment) -> Table:
    status = labels.status_labels()
    rows = [(labels.check_label(c.check), c.check, status[c.status], c.detail) for c in r.dossier]
    return Table("dossier", "dossier de la présérie", _cols("vérification", "code", "état", "détail"), rows)


def _doctors(r: Assessment) -> Table:
    rows = [(row.id, _day(row.window_start), row.digital, row.total, row.rate,
             *(row.rate_ci95 or (None, None)), labels.yes_no(row.low_volume), labels.yes_no(row.met))
            for row in r.criteria.usage_rate.practitioners]
    return Table("medecins", "C1 par médecin", _cols(
        "médecin", "depuis:date", "numériques:integer", "total:integer", "taux:percent", "IC 95 % bas:percent",
        "IC 95 % haut:percent", "faible volume", "atteint"), rows)


def _registration(r: Assessment) -> Table:
    c = r.criteria.registration_rate
    row = (c.created, c.registered, c.rejected, c.unknown, c.orphans, c.rate,
           c.threshold, labels.source_labels().get(c.source, c.source), labels.yes_no(c.met))
    return Table("c2-enregistrement", "C2 enregistrement dans la base", _cols(
        "créées:integer", "enregistrées:integer", "rejetées:integer", "inconnues de la base:integer",
        "orphelines:integer", "taux:percent", "seuil:percent", "source", "atteint"), [row])


def _operations(r: Assessment) -> Table:
    c = r.criteria.operations
    results = labels.call_result_labels()
    rows = [(labels.operation_label(name), op.calls, *(op.count(k) for k in results), op.software_error_rate,
             ", ".join(a.id for a in op.open_blocking_anomalies) or None, labels.yes_no(op.met))
            for name, op in c.operations.items()]
    return Table("c3-operations", "C3 appels par opération", _cols(
        "opération", "appels:integer", *(f"{label}:integer" for label in results.values()),
        "taux d'erreurs du logiciel:percent", "anomalies bloquantes ouvertes", "atteint"), rows)


def _prerequisites(r: Assessment) -> Table:
    c, fields = r.criteria.prerequisites, labels.field_labels()
    rows: list[tuple[Cell, ...]] = [("prérequis déclaré", None, item, None, None, None) for item in c.declared]
    rows += [("configuration observée", fields.get(f, f), labels.configuration_value(f, v), n, None, None)
             for f, values in c.observed.items() for v, n in values.items()]
    rows += [("médecin sans poste décrit", None, user, None, None, None) for user in c.users_without_snapshot]
    rows += [("configuration suspecte", fields.get(s.field, s.field), labels.configuration_value(s.field, s.value),
              s.calls, s.failure_rate, s.overall_failure_rate) for s in c.suspects]
    return Table("c4-prerequis", "C4 prérequis et configurations", _cols(
        "rubrique", "élément", "valeur", "postes ou créations:integer", "taux d'échec:percent",
        "taux global:percent"), rows)


def _satisfaction(r: Assessment) -> Table:
    c, scores = r.criteria.satisfaction, labels.score_labels()
    rows: list[tuple[Cell, ...]] = [("note moyenne", scores.get(k, k), None, v, None)
                                    for k, v in c.mean_scores.items()]
    rows += [("frein bloquant", None, b.practitioner, None, b.text or "(sans précision)")
             for b in c.blocking_issues]
    rows += [("sans réponse", None, user, None, None) for user in c.missing]
    return Table("c5-satisfaction", "C5 questionnaire", _cols(
        "rubrique", "note", "médecin", "valeur:decimal", "texte"), rows)


def _anomalies(r: Assessment) -> Table:
    seen: dict[str, BlockingAnomaly] = {}
    for op in r.criteria.operations.operations.values():
        for a in op.open_blocking_anomalies:
            seen.setdefault(a.id, a)  # one row per anomaly, as it was first met
    rows = [(a.id, _day(a.opened_on), labels.operation_label(a.operation), a.summary) for a in seen.values()]
    return Table("anomalies", "anomalies bloquantes ouvertes à la date du bilan", _cols(
        "anomalie", "ouverte le:date", "opération", "résumé"), rows)


def _quality(r: Assessment) -> Table:
    q = r.data_quality
    rows: list[tuple[Cell, ...]] = [(name, label, q.count(name)) for name, label in labels.step_labels().items()]
    levels = labels.level_labels()
    rows += [("fichier", f"{levels.get(i.level, i.level)} — {i.file} : {i.message}", None) for i in q.file_issues]
    return Table("qualite-des-donnees", "comptabilité des traces", _cols("étape", "libellé", "nombre:integer"), rows)


def _rejections(r: Assessment) -> Table:
    rows = [(x.file, x.line, x.field or None, x.reason, x.message) for x in r.data_quality.rejections]
    return Table("rejets", "traces rejetées", _cols("fichier", "ligne:integer", "champ", "motif", "message"), rows)


def tables(result: Assessment) -> list[Table]:
    """Every part of the bilan, in the order of the report."""
    parts = (_decision, _dossier, _doctors, _registration, _operations, _prerequisites, _satisfaction, _anomalies,
             _quality, _rejections)
    return [part(result) for part in parts]
