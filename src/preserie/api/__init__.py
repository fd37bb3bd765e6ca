"""The registry's JSON API under /api/v1 (`create_app`): pilots and their life cycle, practitioners and planning,
anomalies, survey answers, traces, the bilan and decisions, history and audit; errors from the catalogue of
`services.errors`, each with a stable code and a French message."""
