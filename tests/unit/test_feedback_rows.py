"""The survey and anomaly rows read from a CSV cell or an API body: an empty cell is no value."""

from __future__ import annotations

from preserie.domain.feedback import Anomaly

ROW = {"id": "ANO-9", "opened_on": "2025-01-15", "severity": "minor", "origin": "software"}


def test_an_anomaly_with_an_empty_summary_cell_has_no_summary_and_is_not_refused() -> None:
    anomaly = Anomaly.model_validate({**ROW, "summary": "", "practitioner": "", "operation": "", "closed_on": ""})
    assert (anomaly.summary, anomaly.practitioner, anomaly.operation, anomaly.closed_on) == ("", None, None, None)
    assert Anomaly.model_validate(ROW).summary == ""
