"""Named scenarios of the simulator: what differs from a nominal pilot, as data.

Each scenario promises the decision its name says when the folder is assessed (SPEC §6). Adding one is
adding an entry to `SCENARIOS`; the generator reads only the fields below.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str  # French, one line: what the scenario shows
    decision: str  # the decision it promises: deploy | extend
    failing: tuple[str, ...] = ()  # the criteria it is built to fail (SPEC §6 ids)
    # C1: doctors whose share of e-prescriptions levels off under 50 % (the others adopt as usual).
    slow_adopters: int = 0
    # C2: of the create calls the teleservice accepted, the share the registry registers, and the share it
    # rejects with a reject code; the rest never reaches registrations.csv.
    registered_share: float = 0.965
    rejected_share: float = 0.025
    # C3: share of an operation's calls that fail with a 400/422 of the software, from a fraction of the
    # pilot on (an update that broke it); operations not listed keep the baseline.
    software_errors: tuple[tuple[str, float], ...] = ()
    software_errors_from: float = 0.0
    # C3: operation of a blocking software anomaly still open at the end of the pilot.
    open_blocking_anomaly: str | None = None
    # C5: doctors whose latest survey answer reports a blocking issue.
    blocking_answers: int = 0

    def software_error_rate(self, operation: str, baseline: float) -> float:
        return dict(self.software_errors).get(operation, baseline)


SCENARIOS: dict[str, Scenario] = {s.name: s for s in (
    Scenario("nominal", "présérie réussie : les cinq critères sont atteints", "deploy"),
    Scenario("slow-adopter", "un ou deux médecins restent sous 50 % d'ordonnances numériques", "extend",
             ("usage_rate",), slow_adopters=2),
    Scenario("registration-failures", "la base de l'Assurance Maladie rejette ou ignore trop d'ordonnances "
             "numériques (moins de 70 % enregistrées)", "extend", ("registration_rate",),
             registered_share=0.6, rejected_share=0.22),
    Scenario("broken-search", "le service « rechercher » échoue par la faute du logiciel (erreurs 400/422) et "
             "une anomalie bloquante reste ouverte", "extend", ("operations",),
             software_errors=(("search", 0.24),), software_errors_from=0.3, open_blocking_anomaly="search"),
    Scenario("unhappy", "un médecin signale un frein bloquant dans le questionnaire de satisfaction", "extend",
             ("satisfaction",), blocking_answers=1),
)}


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise ValueError(f"scénario inconnu « {name} » ; scénarios possibles : {known}") from None
