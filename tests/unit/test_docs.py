"""Docs that cannot go stale: the generated reference matches the code, the README names every criterion."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from preserie import cli_reference, docs, folder_contract, folder_docs
from preserie.domain.criteria import CRITERIA
from preserie.domain.dossier import CHECKS

ROOT = Path(__file__).parents[2]


def test_docs_assessment_md_is_generated_from_the_code() -> None:
    assert (ROOT / "docs" / "assessment.md").read_text() == docs.render(), \
        "run: python -m preserie.docs > docs/assessment.md"


def test_docs_cli_md_is_generated_from_the_commands() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == cli_reference.render(), \
        "run: python -m preserie.cli_reference > docs/cli.md"


def test_the_cli_reference_has_every_command_and_option() -> None:
    reference = cli_reference.render()
    for command in ("assess", "export", "report", "init", "check", "demo", "simulate", "teleservice serve",
                    "teleservice token", "teleservice export-registrations"):
        assert f"## `preserie {command}`" in reference
    for option in ("--as-of", "--json", "--strict", "--test-identities", "--faults", "--workers", "--teleservice",
                   "--server", "--pilot"):
        assert f"`{option}" in reference


def test_the_glossary_points_at_code_that_exists() -> None:
    rows = [line.split(" | ") for line in (ROOT / "docs" / "glossary.md").read_text().splitlines()
            if line.startswith("| ") and line.endswith("` |") and ":" in line]
    assert len(rows) >= 14  # SPEC §2's terms at least
    for row in rows:
        where = row[-1].strip(" |`")
        path, name = where.split(":")
        assert name in (ROOT / "src" / "preserie" / path).read_text(encoding="utf-8"), f"glossary: {where} not found"


def test_every_dossier_check_says_what_it_checks() -> None:
    assert all(check.__doc__ and check.__doc__.startswith("Pass") for check in CHECKS)


def test_readme_names_every_criterion_and_the_cli_options() -> None:
    readme = (ROOT / "README.md").read_text()
    for criterion in CRITERIA:
        assert f"`{criterion.id}`" in readme
    for option in ("--as-of", "--json", "--strict", "--test-identities"):
        assert option in readme


def test_every_dossier_check_has_a_french_label() -> None:
    from preserie.domain.dossier import CHECK_LABELS

    assert {check.__name__ for check in CHECKS} == set(CHECK_LABELS)


def test_docs_pilot_folder_md_is_generated_from_the_models() -> None:
    assert (ROOT / "docs" / "pilot-folder.md").read_text() == folder_docs.render(), \
        "run: python -m preserie.folder_docs > docs/pilot-folder.md"


def test_every_field_of_the_pilot_folder_has_a_meaning_and_every_meaning_a_field(
        monkeypatch: pytest.MonkeyPatch) -> None:
    meanings = dict(folder_contract.MEANINGS)
    monkeypatch.setattr(folder_contract, "MEANINGS", {**meanings, "practitioners[].email": "a field never read"})
    with pytest.raises(KeyError, match=r"practitioners\[\]\.email"):
        folder_docs.render()
    del meanings["software.audience"]
    monkeypatch.setattr(folder_contract, "MEANINGS", meanings)
    with pytest.raises(KeyError, match=r"software\.audience"):
        folder_docs.render()


def test_the_complete_example_of_the_pilot_folder_is_assessed_with_every_record_used(tmp_path: Path) -> None:
    from preserie.adapters.pilot_template import template_text
    from preserie.domain.as_of import parse_as_of
    from preserie.services.assess import assess_folder

    (tmp_path / "traces").mkdir()
    (tmp_path / "pilot.yaml").write_text(template_text(), encoding="utf-8")
    for name, content in folder_contract.EXAMPLE_FILES.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    run = assess_folder(tmp_path, as_of=parse_as_of("2025-02-28"))  # after the survey's answers
    quality = run.result["data_quality"]
    assert quality["events_read"] == quality["used"] == 9
    assert run.issues == [] and quality["rejections"] == []
    assert run.result["criteria"]["satisfaction"]["responses"] == 2
    assert run.result["criteria"]["registration_rate"]["registered"] == 2
    document = (ROOT / "docs" / "pilot-folder.md").read_text()
    assert all(content in document for content in [template_text(), *folder_contract.EXAMPLE_FILES.values()])


def test_the_user_documentation_never_sends_a_user_outside_the_project() -> None:
    # the product's spec and the house notes live beside the project, not in it: a clone does not have them
    outside = re.compile(r"\.\./shared|\bSPEC\b|STACK\.md|STYLE\.md")
    docs = [ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").rglob("*.md")]
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in docs
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if outside.search(line)]
    assert offenders == []
