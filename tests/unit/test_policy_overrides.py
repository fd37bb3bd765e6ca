"""The dossier check `policy_overrides`: a verdict reached with other thresholds than the defaults says so."""

from __future__ import annotations

import datetime as dt

from preserie.data import load_default_policy, load_reference
from preserie.domain.dossier import WARN, DossierContext, policy_overrides


def _context(overrides: dict[str, object]) -> DossierContext:
    policy = load_default_policy().with_overrides(overrides)
    return DossierContext(reference=load_reference(), as_of=dt.datetime(2025, 3, 3, tzinfo=dt.UTC),
                          earliest_window_start=None, active_users=frozenset(), policy=policy)


def test_default_thresholds_pass_and_name_the_policy() -> None:
    result = policy_overrides(None, _context({}))  # type: ignore[arg-type]  # the declaration is not read
    assert (result.status, result.detail) == ("pass", "seuils par défaut (politique 2025-01)")


def test_each_changed_threshold_is_a_warning_with_its_default() -> None:
    result = policy_overrides(None, _context({"usage_rate_min": 0.2, "satisfaction_min": 3.5,  # type: ignore[arg-type]
                                              "software_error_rate_max": 0.045}))
    assert result.status == WARN
    assert result.detail.split(" ; ") == [
        "seuil modifié par la présérie : 20\u202f% au lieu de 50\u202f% "
        "(C1, taux minimal d'ordonnances numériques par médecin)",
        "seuil modifié par la présérie : 4,5\u202f% au lieu de 5\u202f% (C3, taux maximal d'erreurs du logiciel)",
        "seuil modifié par la présérie : 3,5 sur 5 au lieu de 3,0 sur 5 (C5, note globale moyenne minimale)",
    ]


def test_a_threshold_restated_at_its_default_is_not_a_change() -> None:
    assert policy_overrides(None, _context({"usage_rate_min": 0.5})).status == "pass"  # type: ignore[arg-type]
