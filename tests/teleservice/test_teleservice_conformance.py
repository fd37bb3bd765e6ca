"""docs/teleservice.md, the published conformance, cannot go stale: its generated parts are the code's, and every
error code of the catalogue and every operation of the OpenAPI has its line there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preserie.teleservice import conformance
from preserie.teleservice.app import create_app
from preserie.teleservice.catalogue import ERRORS
from preserie.teleservice.settings import Settings

ROOT = Path(__file__).parents[2]
DOCUMENT = ROOT / "docs" / "teleservice.md"


def test_the_generated_parts_of_docs_teleservice_md_are_current() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    assert conformance.render(text) == text, "run: python -m preserie.teleservice.conformance docs/teleservice.md"


@pytest.mark.parametrize("code", ERRORS)
def test_every_error_code_is_documented_with_its_status_and_when(code: str) -> None:
    row = re.search(rf"^\| `{code}` \| (\d+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", DOCUMENT.read_text(), re.M)
    assert row is not None, f"{code} absent de docs/teleservice.md"
    assert int(row[1]) == ERRORS[code].status and row[3].strip() and row[4].strip()


def test_every_operation_of_the_openapi_is_documented() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    schema = create_app(Settings(secret="x" * 16, stateless=True)).openapi()
    for path, operations in schema["paths"].items():
        for method in operations:
            assert f"| {method.upper()} | `{path}` |" in text


def test_a_code_without_its_note_cannot_be_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ERRORS, "NEW_CODE", ERRORS["INVALID_REQUEST"])
    with pytest.raises(KeyError, match="NEW_CODE"):
        conformance.errors_table()


def test_every_source_label_is_defined_in_the_sources_table() -> None:
    text = DOCUMENT.read_text(encoding="utf-8")
    defined = set(re.findall(r"^\| ([A-Za-z0-9 ]+) \| [^|]+ \| [^|]+ \|$", text.split("## Sources")[1], re.M))
    used = {label.strip() for source in [*conformance.ERROR_NOTES.values(), *conformance.OPERATIONS.values()]
            for label in source[1].split(",")}
    assert used <= defined, used - defined


def test_the_readme_and_the_decision_link_the_conformance() -> None:
    assert "docs/teleservice.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "decisions" / "0007-sandbox-fidelity.md").is_file()
