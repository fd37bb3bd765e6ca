"""« Si le logiciel représente une part de marché Sesam-Vitale inférieure à 1 %, le nombre de PS minimum pourra
être revu à 3 PS »: in a folder, a share below 1 % grants it; in the registry, the Cnam decides
(`reduced_minimum`), whatever the share."""

from __future__ import annotations

from typing import Any

import pytest

from preserie.data import load_reference
from preserie.domain.dossier import DossierContext, practitioner_count
from preserie.domain.pilot import PilotDeclaration


def _pilot(users: int, share: float, reduced: bool | None) -> PilotDeclaration:
    content: dict[str, Any] = {
        "schema": "preserie.pilot/1", "id": "p", "vendor": "V", "planned_weeks": 6, "cpams": ["69"],
        "software": {"name": "L", "version": "1", "audience": "liberal", "market_share_percent": share},
        "practitioners": [{"id": f"1{i:08d}", "situation": "liberal", "cpam": "69", "equipped": True}
                          for i in range(users)]}
    if reduced is not None:
        content["reduced_minimum"] = reduced
    return PilotDeclaration.model_validate(content)


@pytest.mark.parametrize(("share", "reduced", "status"), [
    (0.5, None, "pass"),   # the folder's rule: below 1 %, 3 doctors suffice
    (2.5, None, "fail"),
    (0.5, False, "fail"),  # the Cnam refused the reduction: 5 are needed even below 1 %
    (2.5, True, "pass"),   # the Cnam granted it
])
def test_three_users_pass_when_the_reduced_minimum_applies(share: float, reduced: bool | None, status: str) -> None:
    context = DossierContext(reference=load_reference(), as_of=None, earliest_window_start=None,
                             active_users=frozenset())
    result = practitioner_count(_pilot(3, share, reduced), context)
    assert result.status == status, result.detail
    assert ("décision de la Cnam" in result.detail) == bool(reduced)
