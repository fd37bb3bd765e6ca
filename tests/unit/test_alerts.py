"""The présérie's alerts (domain/alerts.py): each alert of issue 12 on the golden cases' bilans and the registry's
facts, who reads which, and the rule that an alert is sent again only when what it says changes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from preserie.domain.access import Caller, Role
from preserie.domain.alerts import Alert, PilotFacts, User, alerts, party_of, to_send, visible_to
from preserie.domain.registry import AnomalyRecord
from preserie.domain.results import Assessment, RegistrationRate
from preserie.domain.survey import planned_end
from preserie.domain.watch import Silence

CASES = Path(__file__).parents[1] / "cases"
UTC = dt.UTC
# The golden cases' pilot: five users in 33 and 44, installed on 13 January 2025, bilan as of 3 March 2025.
ZONES = {"331012344": "33", "331012351": "33", "441000015": "44", "441000023": "44", "331000034": "33"}
MONDAY = dt.datetime(2025, 3, 3, 9, tzinfo=UTC)


def bilan(case: str) -> Assessment:
    return Assessment.from_dict(json.loads((CASES / case / "expected.json").read_text(encoding="utf-8")))


def facts(*, assessment: Assessment | None = None, now: dt.datetime = MONDAY, anomalies: tuple[AnomalyRecord, ...] = (),
          silences: tuple[Silence, ...] = (), end: dt.date | None = None, before: RegistrationRate | None = None,
          invited: dict[str, dt.datetime] | None = None) -> PilotFacts:
    invited = invited or {}
    return PilotFacts(now=now, departments=ZONES, anomalies=anomalies, silences=silences, planned_end=end,
                      assessment=assessment, registration_before=before,
                      users=[User(ref, zone, dt.date(2025, 1, 13), invited.get(ref)) for ref, zone in ZONES.items()])


def anomaly(ref: str, opened: dt.date, *, severity: str = "minor", acknowledged: dt.datetime | None = None,
            closed: dt.date | None = None, fixed: str | None = None, practitioner: str | None = None) -> AnomalyRecord:
    return AnomalyRecord(id=1, pilot_id=1, phase=1, ref=ref, opened_on=opened, opened_by=1, severity=severity,
                         origin="software", summary="Le patient 1 84 12 75 123 456 78 ne doit jamais sortir",
                         operation="create", practitioner=practitioner, acknowledged_at=acknowledged,
                         fixed_in_version=fixed, closed_on=closed)


def shown(found: list[Alert]) -> list[tuple[str, str, str]]:
    return [(a.kind, a.subject, a.detail) for a in found]


# ── each alert, on a golden case ──────────────────────────────────────────────────────────────────────────
def test_a_doctor_under_the_threshold_after_two_weeks_is_an_alert_with_what_to_do() -> None:
    found = alerts(facts(assessment=bilan("usage_rate_below")))
    assert shown(found) == [("usage_low", "331012351", "331012351 : 46\u202f% d'ordonnances numériques (12 sur 26) "
                             "depuis le 16 janvier 2025 ; seuil 50\u202f%")]
    assert found[0].what_to_do.startswith("Appeler le médecin") and found[0].whole_pilot
    assert found[0].department == "33" and found[0].state == ("40",)


def test_under_the_threshold_before_two_weeks_of_use_is_no_alert_yet() -> None:
    assessment = bilan("usage_rate_below")
    early = Assessment.from_dict({**assessment.as_dict(), "as_of": "2025-01-29T18:00:00+01:00"})
    assert alerts(facts(assessment=early)) == []  # 13 days since 16 January
    later = Assessment.from_dict({**assessment.as_dict(), "as_of": "2025-01-30T09:34:00+01:00"})
    assert [a.subject for a in alerts(facts(assessment=later))] == ["331012351"]


def test_a_user_without_any_e_prescription_two_weeks_after_installation_is_an_alert() -> None:
    data = bilan("nominal").as_dict()
    row = data["criteria"]["usage_rate"]["practitioners"][0]
    row.update(window_start=None, total=None, rate=None, digital=0, rate_ci95=None, met=False)
    found = alerts(facts(assessment=Assessment.from_dict(data)))
    assert [(a.kind, a.subject, a.state) for a in found] == [("usage_low", row["id"], ("none",))]
    assert "aucune ordonnance numérique depuis son installation le 13 janvier 2025" in found[0].detail


def test_registration_under_70_percent_over_the_last_seven_days() -> None:
    assessment = bilan("nominal")
    c2 = assessment.criteria.registration_rate
    week_ago = RegistrationRate(**{**c2.__dict__, "created": c2.created - 20, "registered": c2.registered - 13})
    found = alerts(facts(assessment=assessment, before=week_ago))
    assert shown(found) == [("registration_low", "", "65\u202f% des ordonnances numériques créées ces 7 derniers jours "
                             "enregistrées dans la base (13 sur 20) ; seuil 70\u202f%")]
    assert found[0].whole_pilot and found[0].department is None
    fine = RegistrationRate(**{**c2.__dict__, "created": c2.created - 20, "registered": c2.registered - 14})
    assert alerts(facts(assessment=assessment, before=fine)) == []  # 70 % is the threshold, met
    assert alerts(facts(assessment=assessment, before=c2)) == []  # nothing created this week: nothing to say


def test_a_blocking_anomaly_is_an_alert_from_its_opening_and_its_fix_changes_it() -> None:
    opened = anomaly("ANO-7", dt.date(2025, 3, 3), severity="blocking", practitioner="441000015",
                     acknowledged=MONDAY)
    found = alerts(facts(anomalies=(opened,)))
    assert shown(found) == [("anomaly_blocking", "ANO-7", "ANO-7 (bloquante, opération « créer ») ouverte le "
                             "3 mars 2025")]
    assert found[0].department == "44" and "corrige en priorité" in found[0].what_to_do
    fixed = alerts(facts(anomalies=(anomaly("ANO-7", dt.date(2025, 3, 3), severity="blocking", fixed="5.2.1",
                                            practitioner="441000015", acknowledged=MONDAY),)))
    assert fixed[0].fingerprint != found[0].fingerprint and "Déployer la version corrigée" in fixed[0].what_to_do
    closed = anomaly("ANO-7", dt.date(2025, 3, 3), severity="blocking", closed=dt.date(2025, 3, 3))
    assert alerts(facts(anomalies=(closed,))) == []


def test_an_anomaly_unacknowledged_for_two_working_days_is_an_alert_weekends_and_holidays_aside() -> None:
    friday = anomaly("ANO-2", dt.date(2025, 2, 28))
    assert alerts(facts(anomalies=(friday,), now=dt.datetime(2025, 3, 4, 9, tzinfo=UTC))) == []  # Monday only
    found = alerts(facts(anomalies=(friday,), now=dt.datetime(2025, 3, 5, 9, tzinfo=UTC)))
    assert shown(found) == [("anomaly_unacknowledged", "ANO-2", "ANO-2 (mineure, opération « créer ») ouverte le "
                             "28 février 2025, sans prise en compte depuis 2 jours ouvrés")]
    easter = anomaly("ANO-3", dt.date(2025, 4, 18))  # Friday; Easter Monday 21 April is a holiday
    assert alerts(facts(anomalies=(easter,), now=dt.datetime(2025, 4, 23, 9, tzinfo=UTC))) == []
    acknowledged = anomaly("ANO-2", dt.date(2025, 2, 28), acknowledged=dt.datetime(2025, 3, 3, 8, tzinfo=UTC))
    assert alerts(facts(anomalies=(acknowledged,), now=dt.datetime(2025, 3, 20, tzinfo=UTC))) == []


def test_a_silent_workstation_is_an_alert_until_it_sends_again() -> None:
    last = dt.datetime(2025, 2, 26, 16, 30, tzinfo=UTC)
    found = alerts(facts(silences=(Silence(4, "441000023", last, 2),)))
    assert shown(found) == [("workstation_silent", "4", "poste n° 4 de 441000023 : dernier envoi le 26 février "
                             "2025 à 17:30, 2 jours ouvrés")]
    assert found[0].department == "44" and not found[0].whole_pilot
    never = alerts(facts(silences=(Silence(5, "331012344", None, None),)))
    assert never[0].detail == "poste n° 5 de 331012344 : aucun envoi depuis son inscription"


def test_missing_answers_a_week_before_the_planned_end_are_alerts_again_at_three_days_and_at_the_end() -> None:
    assessment = bilan("survey_missing_user")
    end = planned_end(6, dt.date(2025, 1, 15), dt.date(2025, 1, 8))
    assert end == dt.date(2025, 2, 26)
    stages = {}
    for day in (18, 19, 22, 23, 26):
        found = alerts(facts(assessment=assessment, end=end, now=dt.datetime(2025, 2, day, 9, tzinfo=UTC)))
        stages[day] = [(a.subject, a.state) for a in found]
    assert stages == {18: [], 19: [("331000034", ("7",))], 22: [("331000034", ("7",))],
                      23: [("331000034", ("3",))], 26: [("331000034", ("0",))]}
    at = dt.datetime(2025, 2, 19, 9, tzinfo=UTC)
    invited = alerts(facts(assessment=assessment, end=end, now=at,
                           invited={"331000034": dt.datetime(2025, 3, 12, 22, tzinfo=UTC)}))
    assert invited[0].detail == ("331000034 n'a pas répondu au questionnaire ; fin prévue de la présérie le "
                                 "26 février 2025")
    assert "son lien personnel vaut jusqu'au 12 mars 2025" in invited[0].what_to_do
    assert "preserie survey invite" in alerts(facts(assessment=assessment, end=end, now=at))[0].what_to_do


def test_no_alert_carries_the_registry_s_free_text() -> None:
    """An anomaly's summary may hold what a doctor wrote (a patient's number): alerts never quote it."""
    found = alerts(facts(anomalies=(anomaly("ANO-9", dt.date(2025, 2, 3), severity="blocking"),)))
    assert found and all("84 12" not in a.detail + a.what_to_do for a in found)


# ── who reads what ────────────────────────────────────────────────────────────────────────────────────────
def test_a_cpam_reads_its_zone_s_alerts_and_none_of_the_bilan_s_figures() -> None:
    found = alerts(facts(assessment=bilan("usage_rate_below"), silences=(Silence(4, "441000023", None, None),
                                                                         Silence(5, "331012344", None, None)),
                         anomalies=(anomaly("ANO-1", dt.date(2025, 3, 3), severity="blocking"),)))
    cpam_33 = Caller(1, Role.CPAM, "CPAM", department="33")
    assert [a.key for a in found if visible_to(a, cpam_33)] == ["anomaly_blocking:ANO-1", "workstation_silent:5"]
    assert [a.key for a in found if visible_to(a, Caller(2, Role.VENDOR, "V", vendor="LogiMed SAS"))] == [
        a.key for a in found]
    assert party_of(cpam_33) == "cpam:33" and party_of(Caller(3, Role.GIE, "GIE")) == "gie"


# ── each alert once ───────────────────────────────────────────────────────────────────────────────────────
def test_an_alert_sent_is_not_sent_again_until_it_changes_and_comes_back_when_it_returns() -> None:
    silent = Alert("workstation_silent", "4", "d", "t", ("2025-02-26",))
    first = to_send([silent], {})
    assert first.send == (silent,) and first.cleared == ()
    told = {silent.key: silent.fingerprint}
    assert to_send([silent], told).send == ()
    assert to_send([Alert("workstation_silent", "4", "other words", "t", ("2025-02-26",))], told).send == ()
    moved = Alert("workstation_silent", "4", "d", "t", ("2025-03-04",))
    assert to_send([moved], told).send == (moved,)
    assert to_send([], told).cleared == (silent.key,)


KINDS = st.sampled_from(["usage_low", "anomaly_blocking", "workstation_silent"])
ALERTS = st.builds(lambda kind, subject, state: Alert(kind, subject, "détail", "à faire", (state,)),
                   KINDS, st.sampled_from(["1", "2", "3"]), st.sampled_from(["a", "b"]))
DAYS = st.lists(st.lists(ALERTS, max_size=5).map(lambda found: list({a.key: a for a in found}.values())),
                min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(days=DAYS)
def test_over_any_days_an_alert_is_sent_exactly_when_its_content_differs_from_what_was_last_sent(
        days: list[list[Alert]]) -> None:
    """The digest's loop, day after day: what it sends of each alert is the first time, and each time after
    that its state has changed since it was last sent, or it came back after being gone."""
    sent: dict[str, str] = {}
    history: dict[str, list[str | None]] = {}  # key -> its fingerprint each day (None: not current)
    for found in days:
        delivery = to_send(found, sent)
        current = {a.key: a.fingerprint for a in found}
        for key in {*history, *current}:
            history.setdefault(key, []).append(current.get(key))
        for alert in found:
            states = history[alert.key]
            yesterday = states[-2] if len(states) > 1 else None
            assert (alert in delivery.send) == (yesterday != alert.fingerprint)
        assert set(delivery.cleared) == {k for k in sent if k not in current}
        for key in delivery.cleared:
            del sent[key]
        sent.update({a.key: a.fingerprint for a in delivery.send})
        assert sent == current  # after a day, the table holds exactly what is current, as last sent
