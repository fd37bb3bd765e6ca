"""The golden scenarios: each changes the nominal pilot in the one way it is about.

Expectations are written by hand from SPEC §5–§6 (not copied from the tool's output).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

AM = ["331012344", "331012351", "441000015", "441000023", "331000034"]
EXTRA_AM = ["331000067", "331000075", "331000083", "331000091", "441000049"]
RPPS = ["10000000017", "10000000025", "10000000033", "10000000041", "10000000058"]
FINESS = "330800871"


def drop(p: Any, test: Any) -> None:
    for name in p.traces:
        p.traces[name] = [r for r in p.traces[name] if not test(r)]


def register_all(case: Any, Pilot: Any) -> None:
    @case("nominal", "Le pilote nominal : 5 médecins libéraux à 75 %, tout enregistré, satisfaits.", 0, {
        "decision": "deploy", "data_quality.events_read": 155, "data_quality.used": 155,
        "criteria.usage_rate.practitioners.0.digital": 12, "criteria.usage_rate.practitioners.0.total": 16,
        "criteria.usage_rate.practitioners.0.rate": 0.75, "criteria.registration_rate.created": 60,
        "criteria.registration_rate.registered": 60, "criteria.registration_rate.source": "registrations",
        "criteria.satisfaction.mean_overall": 4.0, "as_of": "2025-03-03T23:59:59.999999+01:00"})
    def nominal(p: Any) -> None:
        pass

    @case("usage_rate_below", "C1 non atteint : un médecin à 12 numériques sur 26 (46 %).", 1, {
        "decision": "extend", "criteria.usage_rate.met": False, "criteria.usage_rate.practitioners.1.total": 26,
        "criteria.usage_rate.practitioners.1.met": False, "criteria.usage_rate.practitioners.0.met": True})
    def usage_below(p: Any) -> None:
        for n in range(10):
            p.prescription(AM[1], 3 + n, False)

    @case("usage_rate_exactly_50", "C1 à la limite : 12 numériques sur 24, exactement 50 %, atteint.", 0, {
        "decision": "deploy", "criteria.usage_rate.practitioners.1.rate": 0.5,
        "criteria.usage_rate.practitioners.1.met": True})
    def usage_edge(p: Any) -> None:
        for n in range(8):
            p.prescription(AM[1], 3 + n, False)

    @case("paper_before_first_digital", "C1 : 30 ordonnances papier avant la première numérique ne comptent pas.",
          0, {"decision": "deploy", "criteria.usage_rate.practitioners.2.total": 16,
              "criteria.usage_rate.practitioners.2.window_start": "2025-01-17T09:00:00+01:00"})
    def paper_before(p: Any) -> None:
        drop(p, lambda r: r["practitioner"] == AM[2] and r["type"] == "prescription" and r["digital"])
        first = p.prescription(AM[2], 3, True)
        first["ts"] = "2025-01-17T09:00:00+01:00"
        for _ in range(30):
            p.prescription(AM[2], 0, False)
        for n in range(11):
            p.prescription(AM[2], 4 + n * 3, True)

    @case("user_without_digital", "C1 : un médecin équipé n'a fait aucune ordonnance numérique : pas de fenêtre.",
          1, {"decision": "extend", "criteria.usage_rate.practitioners.3.window_start": None,
              "criteria.usage_rate.practitioners.3.digital": 0, "criteria.usage_rate.practitioners.3.total": None,
              "criteria.usage_rate.practitioners.3.rate": None, "criteria.usage_rate.practitioners.3.met": False})
    def no_digital(p: Any) -> None:
        drop(p, lambda r: r["practitioner"] == AM[3] and r["type"] == "prescription" and r["digital"])
        drop(p, lambda r: r["practitioner"] == AM[3] and r.get("operation") == "create")

    @case("multi_activity", "Multi-activité : 20 ordonnances papier en centre de santé d'un libéral ne comptent "
          "pas (note * du référentiel).", 0, {
              "decision": "deploy", "data_quality.other_situation": 20,
              "criteria.usage_rate.practitioners.0.total": 16})
    def multi(p: Any) -> None:
        for n in range(20):
            p.prescription(AM[0], 5 + n, False, situation="health_center", workstation="CDS-7")

    @case("duplicates_conflicts_two_formats", "Traces renvoyées en CSV et Parquet : doublons écartés, le conflit "
          "garde la première version.", 0, {
              "decision": "deploy", "data_quality.duplicates": 12, "data_quality.conflicts": 1,
              "data_quality.events_read": 168, "data_quality.used": 155,
              "criteria.usage_rate.practitioners.0.total": 16,
              "data_quality.conflict_details.0.kept_file": "traces/2025-01.jsonl"})
    def dups(p: Any) -> None:
        original = p.traces["traces/2025-01.jsonl"]
        p.traces["traces/2025-02-resent.csv"] = [dict(r) for r in original[:10]]
        conflict = dict(next(r for r in original if r["type"] == "prescription" and not r["digital"]))
        conflict["category"] = "imaging"
        p.traces["traces/2025-02-resent.csv"].append(conflict)
        p.traces["traces/2025-03-resent.parquet"] = [dict(r) for r in original[10:12]]

    @case("anomaly_open_blocking", "C3 : une anomalie bloquante du logiciel sur « rechercher » est ouverte à la "
          "date du bilan ; celle du téléservice ne compte pas.", 1, {
              "decision": "extend", "criteria.operations.operations.search.met": False,
              "criteria.operations.operations.search.open_blocking_anomalies.0.id": "ANO-2",
              "criteria.operations.operations.create.met": True})
    def open_anomaly(p: Any) -> None:
        p.anomalies += [
            {"id": "ANO-2", "opened_on": "2025-02-20", "closed_on": "2025-03-04", "operation": "search",
             "severity": "blocking", "origin": "software", "practitioner": "", "summary": "recherche vide"},
            {"id": "ANO-3", "opened_on": "2025-02-20", "closed_on": "", "operation": "create",
             "severity": "blocking", "origin": "teleservice", "practitioner": "", "summary": "panne nationale"}]

    @case("anomaly_closed_on_evaluation_day", "C3 : l'anomalie bloquante est close le jour même du bilan : elle "
          "n'est plus ouverte.", 0, {"decision": "deploy",
                                      "criteria.operations.operations.consult.open_blocking_anomalies": []})
    def closed_today(p: Any) -> None:
        p.anomalies.append({"id": "ANO-2", "opened_on": "2025-02-20", "closed_on": "2025-03-03", "operation": "",
                            "severity": "blocking", "origin": "software", "practitioner": "",
                            "summary": "toutes opérations"})

    @case("anomaly_all_operations_open", "C3 : une anomalie bloquante sans opération les bloque toutes.", 1, {
        "decision": "extend", "criteria.operations.operations.create.met": False,
        "criteria.operations.operations.consult.met": False, "criteria.operations.operations.search.met": False})
    def all_ops(p: Any) -> None:
        p.anomalies.append({"id": "ANO-9", "opened_on": "2025-03-03", "closed_on": "", "operation": "",
                            "severity": "blocking", "origin": "software", "practitioner": "", "summary": "plantage"})

    @case("survey_answered_twice", "C5 : seule la dernière réponse compte ; à date égale, la ligne la plus basse.",
          0, {"decision": "deploy", "criteria.satisfaction.responses": 5, "criteria.satisfaction.mean_overall": 4.2,
              "criteria.satisfaction.blocking_issues": []})
    def twice(p: Any) -> None:
        p.survey.insert(0, Pilot.answer(AM[2], overall=1, blocking=True, text="trop lent",
                                        submitted_on="2025-02-10"))
        p.survey.append(Pilot.answer(AM[3], overall=1, submitted_on="2025-02-28"))
        p.survey.append(Pilot.answer(AM[3], overall=5, submitted_on="2025-02-28"))

    @case("survey_blocking_issue", "C5 : un frein bloquant remonté par un médecin.", 1, {
        "decision": "extend", "criteria.satisfaction.met": False,
        "criteria.satisfaction.blocking_issues.0.practitioner": AM[4],
        "criteria.satisfaction.blocking_issues.0.text": "impression du QR code impossible"})
    def blocking(p: Any) -> None:
        p.survey[4] = Pilot.answer(AM[4], overall=4, blocking=True, text="impression du QR code impossible")

    @case("survey_missing_user", "C5 : un médecin n'a pas répondu ; la réponse d'un non-utilisateur est ignorée.",
          1, {"decision": "extend", "criteria.satisfaction.missing": [AM[4]],
              "criteria.satisfaction.responses": 4, "criteria.satisfaction.ignored_answers": 1})
    def missing(p: Any) -> None:
        p.survey[4] = Pilot.answer("339999992", overall=1)

    @case("survey_mean_exactly_3", "C5 à la limite : moyenne globale de 3,0 exactement, atteint.", 0, {
        "decision": "deploy", "criteria.satisfaction.mean_overall": 3.0, "criteria.satisfaction.met": True})
    def mean3(p: Any) -> None:
        p.survey = [Pilot.answer(am, overall=o) for am, o in zip(AM, [2, 4, 3, 3, 3], strict=True)]

    @case("survey_low_mean", "C5 : moyenne globale de 2,8.", 1, {
        "decision": "extend", "criteria.satisfaction.mean_overall": 2.8, "criteria.satisfaction.met": False})
    def low(p: Any) -> None:
        p.survey = [Pilot.answer(am, overall=o) for am, o in zip(AM, [2, 4, 3, 3, 2], strict=True)]

    @case("no_registrations_file", "C2 sans registrations.csv : enregistrées = appels « créer » réussis.", 0, {
        "decision": "deploy", "criteria.registration_rate.source": "traces",
        "criteria.registration_rate.created": 61, "criteria.registration_rate.registered": 60})
    def no_reg(p: Any) -> None:
        p.registrations = None
        failed = p.prescription(AM[0], 20, True, create=None)  # its create call failed: created, not registered
        p.call(AM[0], 20, "create", "error", 503, prescription_id=failed["prescription_id"])

    @case("registration_below_70", "C2 : 40 ordonnances enregistrées sur 60 (66,7 %).", 1, {
        "decision": "extend", "criteria.registration_rate.registered": 40, "criteria.registration_rate.rejected": 20,
        "criteria.registration_rate.met": False})
    def reg_low(p: Any) -> None:
        for row in p.registrations[:20]:
            row["status"], row["reject_code"] = "rejected", "R042"

    @case("registration_exactly_70", "C2 à la limite : 42 sur 60 (70 %) ; 2 lignes orphelines.", 0, {
        "decision": "deploy", "criteria.registration_rate.registered": 42, "criteria.registration_rate.rate": 0.7,
        "criteria.registration_rate.unknown": 18, "criteria.registration_rate.orphans": 2})
    def reg_edge(p: Any) -> None:
        p.registrations = [*p.registrations[18:],
            {"prescription_id": "ZZ000000000000001", "practitioner": AM[0], "registered_at": "", "status":
             "registered", "reject_code": ""},
            {"prescription_id": "ZZ000000000000002", "practitioner": "", "registered_at": "", "status": "rejected",
             "reject_code": "R001"}]

    @case("operations_software_errors", "C3 : 1 erreur du logiciel (422) sur 6 appels « rechercher » (16,7 %).", 1, {
        "decision": "extend", "criteria.operations.operations.search.software": 1,
        "criteria.operations.operations.search.calls": 6, "criteria.operations.operations.search.met": False})
    def soft(p: Any) -> None:
        p.call(AM[0], 10, "search", "error", 422)

    @case("operations_software_errors_at_5_percent", "C3 à la limite : 1 erreur logiciel sur 20 appels (5 %).", 0, {
        "decision": "deploy", "criteria.operations.operations.search.software_error_rate": 0.05,
        "criteria.operations.operations.search.met": True})
    def soft_edge(p: Any) -> None:
        for n in range(14):
            p.call(AM[n % 5], 10 + n, "search")
        p.call(AM[0], 10, "search", "error", 400)

    @case("operations_error_classes", "C3 : chaque classe d'erreur selon le statut HTTP ; aucune n'est du logiciel.",
          0, {"decision": "deploy", "criteria.operations.operations.consult.authentication": 2,
              "criteria.operations.operations.consult.not_found": 1,
              "criteria.operations.operations.consult.teleservice": 3,
              "criteria.operations.operations.consult.network": 2,
              "criteria.operations.operations.consult.software": 0, "criteria.operations.operations.consult.calls": 13})
    def classes(p: Any) -> None:
        for status in (401, 403, 404, 408, 429, 500, 503, None):
            p.call(AM[1], 12, "consult", "error", status)

    @case("operation_never_ok", "C3 : « consulter » n'a jamais réussi.", 1, {
        "decision": "extend", "criteria.operations.operations.consult.ok": 0,
        "criteria.operations.operations.consult.met": False})
    def never(p: Any) -> None:
        drop(p, lambda r: r.get("operation") == "consult")
        p.call(AM[0], 12, "consult", "error", 503)

    @case("prerequisites_not_declared", "C4 : aucun prérequis technique déclaré.", 1, {
        "decision": "extend", "criteria.prerequisites.met": False, "criteria.prerequisites.declared": []})
    def no_prereq(p: Any) -> None:
        p.declaration["technical_prerequisites"] = []

    @case("user_without_snapshot", "C4 : un médecin sans description de son poste.", 1, {
        "decision": "extend", "criteria.prerequisites.users_without_snapshot": [AM[4]]})
    def no_snap(p: Any) -> None:
        drop(p, lambda r: r["practitioner"] == AM[4] and r["type"] == "workstation")

    @case("suspect_configuration", "C4 : une configuration (Windows 7 SP1) échoue à 40 % sur 25 créations ; "
          "elle est signalée, le critère reste atteint.", 0, {
              "decision": "deploy", "criteria.prerequisites.suspects.0.field": "os_version",
              "criteria.prerequisites.suspects.0.value": "7 SP1", "criteria.prerequisites.suspects.0.calls": 25,
              "criteria.prerequisites.suspects.0.failures": 10})
    def suspect(p: Any) -> None:
        p.snapshot(AM[1], 1, os_version="7 SP1", workstation=f"{AM[1]}-P2")
        for n in range(25):
            p.call(AM[1], 2 + n, "create", "error" if n % 5 < 2 else "ok", 503 if n % 5 < 2 else None,
                   workstation=f"{AM[1]}-P2", prescription_id=f"WS2-{n}")

    @case("health_center_pilot", "Présérie en centre de santé : RPPS des médecins salariés et FINESS du centre.",
          0, {"decision": "deploy", "dossier.6.status": "pass", "dossier.10.status": "pass"})
    def hc(p: Any) -> None:
        p.declaration["software"]["audience"] = "health_center"
        p.declaration["health_centers"] = [{"finess": FINESS, "name": "Centre de santé Bastide"}]
        p.declaration["practitioners"] = [
            Pilot.practitioner(i, rpps, situation="health_center", health_center=FINESS, practice="health_center",
                               cpam="33") for i, rpps in enumerate(RPPS)]
        mapping = dict(zip(AM, RPPS, strict=True))
        for records in p.traces.values():
            for r in records:
                r["practitioner"], r["situation"] = mapping[r["practitioner"]], "health_center"
        for row in p.registrations:
            row["practitioner"] = mapping[row["practitioner"]]
        for row in p.survey:
            row["practitioner"] = mapping[row["practitioner"]]

    @case("mixed_audience", "Présérie mixte : 3 libéraux et 2 salariés d'un centre de santé.", 0, {
        "decision": "deploy", "dossier.7.status": "pass"})
    def mixed(p: Any) -> None:
        p.declaration["software"]["audience"] = "mixed"
        p.declaration["health_centers"] = [{"finess": FINESS, "name": "Centre de santé Bastide"}]
        for i in (3, 4):
            p.declaration["practitioners"][i] = Pilot.practitioner(
                i, RPPS[i], situation="health_center", health_center=FINESS, practice="health_center", cpam="33")
        mapping = {AM[3]: RPPS[3], AM[4]: RPPS[4]}
        for records in p.traces.values():
            for r in records:
                if r["practitioner"] in mapping:
                    r["practitioner"], r["situation"] = mapping[r["practitioner"]], "health_center"
        for row in p.survey:
            row["practitioner"] = mapping.get(row["practitioner"], row["practitioner"])

    def keep_three(p: Any, share: float) -> None:
        p.declaration["software"]["market_share_percent"] = share
        p.declaration["practitioners"] = p.declaration["practitioners"][:3]
        drop(p, lambda r: r["practitioner"] in AM[3:])
        p.survey = p.survey[:3]

    @case("market_share_below_1", "Part de marché de 0,8 % : 3 médecins suffisent.", 0, {
        "decision": "deploy", "dossier.6.check": "practitioner_count", "dossier.6.status": "pass"})
    def small_market(p: Any) -> None:
        keep_three(p, 0.8)

    @case("three_users_market_share_above_1", "Part de marché de 2,5 % : 3 médecins ne suffisent pas.", 1, {
        "decision": "extend", "dossier.6.status": "fail"})
    def three_users(p: Any) -> None:
        keep_three(p, 2.5)

    @case("dossier_failures", "Dossier non conforme : CNDA, kit, 4 CPAM dont une non référente, N° AM erroné, "
          "médecin hors zone, situation non prévue, formation non planifiée.", 1, {
              "decision": "extend", "dossier.0.status": "fail", "dossier.1.status": "pass",
              "dossier.3.status": "fail", "dossier.4.status": "fail", "dossier.5.status": "fail",
              "dossier.7.status": "fail", "dossier.8.status": "fail", "dossier.9.status": "fail",
              "dossier.11.status": "fail"})
    def dossier(p: Any) -> None:
        d = p.declaration
        d["software"]["cnda_authorization"] = ""
        d["readiness"]["kit"] = False
        d["cpams"] = ["33", "44", "05", "75"]
        d["practitioners"][4]["id"] = "331000035"  # wrong Luhn key: 4 expected
        d["practitioners"][3]["cpam"] = "51"
        d["practitioners"][2]["trained_on"] = None
        d["practitioners"].append(Pilot.practitioner(5, RPPS[0], situation="health_center", equipped=False,
                                                     cpam="33"))

    @case("dossier_edges", "Dossier à ses limites : 3 CPAM référentes, 10 médecins, aucun cabinet de groupe "
          "(avertissement seulement).", 0, {
              "decision": "deploy", "dossier.4.status": "pass", "dossier.6.status": "pass",
              "dossier.10.status": "warn"})
    def edges(p: Any) -> None:
        d = p.declaration
        d["cpams"] = ["33", "44", "05"]
        for i, am in enumerate(EXTRA_AM):
            d["practitioners"].append(Pilot.practitioner(5 + i, am, cpam=am[:2]))
            p.snapshot(am, 0)
            p.activity(am, digital=6, paper=2, start_day=2)
            p.survey.append(Pilot.answer(am))
        for entry in d["practitioners"]:
            entry["practice"] = "solo"

    @case("interim_duration", "Bilan intermédiaire au 10 février : moins de 6 semaines (avertissement), traces "
          "postérieures écartées, questionnaire rempli le 28 février pas encore connu.", 1, {
              "decision": "extend", "dossier.13.status": "warn", "data_quality.after_as_of": 34,
              "as_of": "2025-02-10T23:59:59.999999+01:00", "criteria.satisfaction.after_as_of_answers": 5,
              "criteria.satisfaction.responses": 0, "criteria.usage_rate.met": True})
    def interim(p: Any) -> None:
        p.args = ["--as-of", "2025-02-10"]

    @case("latest_ts_as_of", "Sans --as-of, la date du bilan est la dernière trace retenue.", 0, {
        "decision": "deploy", "data_quality.after_as_of": 0})
    def default_as_of(p: Any) -> None:
        p.args = []
        p.traces["traces/2025-01.jsonl"][-1]["ts"] = "2025-03-01T10:00:00+01:00"

    @case("default_as_of_survey_after_last_trace", "Sans --as-of, le questionnaire rempli le lendemain de la "
          "dernière trace compte : la date du bilan est la fin de ce jour (SPEC §5).", 0, {
              "decision": "deploy", "as_of": "2025-03-04T23:59:59.999999+01:00",
              "criteria.satisfaction.responses": 5, "criteria.satisfaction.after_as_of_answers": 0,
              "data_quality.after_as_of": 0})
    def survey_after_last_trace(p: Any) -> None:
        p.args = []
        for answer in p.survey:
            answer["submitted_on"] = "2025-03-04"

    @case("default_as_of_anomaly_closed_later", "Sans --as-of, une anomalie fermée après la dernière trace et "
          "après le questionnaire fixe la date du bilan à la fin du jour de sa fermeture.", 0, {
              "decision": "deploy", "as_of": "2025-03-06T23:59:59.999999+01:00",
              "criteria.satisfaction.responses": 5, "criteria.operations.met": True})
    def anomaly_closed_later(p: Any) -> None:
        p.args = []
        p.anomalies.append({"id": "ANO-7", "opened_on": "2025-03-05", "closed_on": "2025-03-06", "operation": "search",
                            "severity": "blocking", "origin": "software", "practitioner": "",
                            "summary": "Recherche bloquée, corrigée le 6 mars"})

    @case("unknown_practitioner_and_out_of_scope", "Traces d'un médecin non déclaré et d'un non équipé ; une "
          "« ordonnance numérique » d'imagerie (erreur de données) ; l'imagerie papier hors des deux comptes.", 0, {
              "decision": "deploy", "data_quality.unknown_practitioners": 3, "data_quality.out_of_scope_digital": 1,
              "criteria.usage_rate.practitioners.0.total": 16})
    def unknown(p: Any) -> None:
        p.declaration["practitioners"].append(Pilot.practitioner(5, EXTRA_AM[0], equipped=False))
        p.prescription("339999992", 4, False)
        p.prescription(EXTRA_AM[0], 4, False)
        p.prescription(EXTRA_AM[0], 5, False)
        p.prescription(AM[0], 6, True, category="imaging", create=None)
        for n in range(6):
            p.prescription(AM[0], 7 + n, False, category="imaging")

    @case("count_out_of_scope_policy", "Politique count_out_of_scope : l'imagerie papier entre dans le total "
          "(12 sur 22).", 0, {"decision": "deploy", "criteria.usage_rate.practitioners.0.total": 22,
                              "policy.overridden": ["count_out_of_scope"]})
    def oos_policy(p: Any) -> None:
        p.declaration["policy"] = {"count_out_of_scope": True}
        for n in range(6):
            p.prescription(AM[0], 7 + n, False, category="transport" if n % 2 else "imaging")

    @case("rejected_records", "Chaque règle de rejet une fois, lignes vides comprises ; le reste compte.", 0, {
        "decision": "deploy", "data_quality.rejected": 14, "data_quality.used": 155,
        "data_quality.rejections.0.line": 1, "data_quality.rejections.2.line": 4,
        "data_quality.rejections.5.line": 8, "data_quality.rejections.5.reason": "event_id_too_long",
        "data_quality.rejections.0.reason": "unreadable"})
    def rejected(p: Any) -> None:
        p.bad_lines = True  # written by write_extra below

    @case("rejected_records_strict", "Les mêmes rejets avec --strict : code de sortie 2.", 2, {
        "data_quality.rejected": 14})
    def rejected_strict(p: Any) -> None:
        p.bad_lines = True
        p.args = ["--as-of", "2025-03-03", "--strict"]

    @case("no_traces", "Aucune trace reçue.", 1, {
        "decision": "extend", "data_quality.events_read": 0, "dossier.12.status": "fail"})
    def no_traces(p: Any) -> None:
        p.traces = {}


BAD_LINES = [
    '{"event_id": "bad-1", "ts": ',  # unreadable
    "",
    '["not", "an", "object"]',
    '{"event_id": "", "ts": "2025-02-01T10:00:00+01:00", "practitioner": "331012344", "situation": "liberal", '
    '"workstation": "w", "software_version": "5.2.0", "type": "call"}',
    '{"event_id": "bad-4", "ts": "2025-02-01T10:00:00", "practitioner": "331012344", "situation": "liberal", '
    '"workstation": "w", "software_version": "5.2.0", "type": "call"}',
    '{"event_id": "bad-5", "ts": "01/02/2025 10:00", "practitioner": "331012344", "situation": "liberal", '
    '"workstation": "w", "software_version": "5.2.0", "type": "call"}',
    "   ",
    '{"event_id": "' + "x" * 129 + '", "ts": "2025-02-01T10:00:00+01:00", "practitioner": "331012344", '
    '"situation": "liberal", "workstation": "w", "software_version": "5.2.0", "type": "call"}',
]


def bad_record(event_id: str, **fields: Any) -> str:
    import json

    base = {"event_id": event_id, "ts": "2025-02-01T10:00:00+01:00", "practitioner": "331012344",
            "situation": "liberal", "workstation": "w", "software_version": "5.2.0"}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...})


BAD_LINES += [
    bad_record("bad-8", type="fax"),
    bad_record("bad-9", type="prescription", category="dentistry", digital=False),
    bad_record("bad-10", type="prescription", category="medicines", digital="true"),
    bad_record("bad-11", type="prescription", category="medicines", digital=True),
    bad_record("bad-12", type="call", operation="delete", outcome="ok", http_status=200),
    bad_record("bad-13", type="call", operation="create", outcome="error", http_status="503"),
    bad_record("bad-14", type="call", operation="create", outcome="ok", http_status=500),
    bad_record("bad-15", type="call", operation="create", outcome="error", http_status=200),
]


def write_extra(p: Any, folder: Any) -> None:
    """Files that the Pilot writer cannot express: raw bad lines and a 0-byte file."""
    if getattr(p, "bad_lines", False):
        (folder / "traces" / "2025-02-bad.jsonl").write_text("\n".join(BAD_LINES) + "\n")
        (folder / "traces" / "2025-02-empty.jsonl").write_bytes(b"")


__all__ = ["dt", "register_all", "write_extra"]
