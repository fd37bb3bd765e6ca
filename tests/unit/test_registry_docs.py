"""The registry API's reference is generated from the app: it cannot go stale, and names every route."""

from __future__ import annotations

from pathlib import Path

from preserie import api_reference

ROOT = Path(__file__).parents[2]


def test_docs_registry_api_md_is_generated_from_the_app() -> None:
    assert (ROOT / "docs" / "registry-api.md").read_text() == api_reference.render(), \
        "run: python -m preserie.api_reference > docs/registry-api.md"


def test_the_reference_lists_every_route_and_error_code() -> None:
    from preserie.api.app import create_app
    from preserie.config import ServiceSettings
    from preserie.services.errors import ERRORS

    text = api_reference.render()
    for path, operations in create_app(ServiceSettings()).openapi()["paths"].items():
        for method in operations:
            assert f"| {method.upper()} | `{path}` |" in text
    assert all(f"| `{code}` |" in text for code in ERRORS)
