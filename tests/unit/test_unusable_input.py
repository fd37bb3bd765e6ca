"""UnusableInput carries every problem of a folder; its text gives one per line, each naming file, line, field."""

from __future__ import annotations

from preserie.adapters.errors import Problem, UnusableInput


def test_several_problems_are_kept_in_order_and_told_one_per_line() -> None:
    error = UnusableInput.of([Problem("pilot.yaml", "entier attendu", line=17, field="planned_weeks"),
                              Problem("pilot.yaml", "champ obligatoire manquant", line=3, field="vendor")])
    assert (error.file, error.line, error.field, error.message) == ("pilot.yaml", 17, "planned_weeks",
                                                                    "entier attendu")
    assert [p.field for p in error.problems] == ["planned_weeks", "vendor"]
    assert str(error) == ("pilot.yaml, ligne 17, champ planned_weeks : entier attendu\n"
                          "pilot.yaml, ligne 3, champ vendor : champ obligatoire manquant")


def test_a_single_problem_reads_as_before() -> None:
    error = UnusableInput("pilot.yaml", "fichier illisible")
    assert str(error) == "pilot.yaml : fichier illisible" and len(error.problems) == 1
