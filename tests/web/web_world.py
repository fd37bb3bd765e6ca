"""A registry with people who sign in to the web pages, and pilots of two vendors at several steps, built through
the API (`registry_walk`): the fast tests (tests/web, in process) and the browser tests (tests/browser, a real
`preserie serve`) read the same world.

Vendor B's free texts carry markup (its name, its account's name, an anomaly's summary, a doctor's comment): the
pages must show them as text, never run them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from registry_walk import World, walk

from preserie.adapters.db.people_repository import SqlPeople
from preserie.services.accounts import create_account
from preserie.services.sessions import set_password

PASSWORD = "mot de passe de test, assez long"
VENDOR_A = "Simulé SAS"  # the simulator's vendor
VENDOR_B = 'Autre Éditeur <img src=x onerror="alert(1)"> SA'
SUMMARY_B = '<script>alert("anomalie")</script> Échec de création'
COMMENT_B = "<img src=x onerror=alert(2)> très bien"
ZONE_B = "69"
NONEXISTENT = "0123456789abcdef"
# who → (role, options); the account's name is its login
PEOPLE = {
    "vendor_a": ("vendor", {"vendor": VENDOR_A}),
    "vendor_b": ("vendor", {"vendor": VENDOR_B}),
    "cnam": ("cnam", {}),
    "gie": ("gie", {}),
    "cpam_33": ("cpam", {"department": "33"}),
    "cpam_69": ("cpam", {"department": ZONE_B}),
}
NAMES = {"vendor_b": "<b>Éditeur B</b>"}  # an account's name with markup
VISIBLE = {
    "vendor_a": {"a_running", "a_validated", "a_draft"},
    "vendor_b": {"b_running"},
    "cnam": {"a_running", "a_validated", "b_running"},
    "gie": {"a_running", "a_validated", "b_running"},
    "cpam_33": {"a_running", "a_validated"},
    "cpam_69": {"b_running"},
}


@dataclass
class Parties:
    logins: dict[str, str] = field(default_factory=dict)  # who → login
    accounts: dict[str, int] = field(default_factory=dict)  # who → account number
    pilots: dict[str, str] = field(default_factory=dict)  # name → key
    refs: dict[str, str] = field(default_factory=dict)  # name → the vendor's id of the pilot


def simulate(out: Path, seed: int, scenario: str = "nominal") -> Path:
    subprocess.run([sys.executable, "-m", "preserie", "simulate", str(out), "--seed", str(seed), "--records",
                    "1500", "--scenario", scenario], check=True, capture_output=True)
    return out


def vendor_b_folder(base: Path) -> Path:
    """Another seed's pilot, of vendor B, in department 69, with markup in an anomaly and a comment."""
    folder = simulate(base, seed=2, scenario="unhappy")
    content = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    content.update(vendor=VENDOR_B, id="autre-2025", cpams=[ZONE_B])
    for p in content["practitioners"]:
        p["cpam"] = ZONE_B
    (folder / "pilot.yaml").write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")
    _rewrite(folder / "anomalies.csv", "summary", SUMMARY_B)
    _rewrite(folder / "survey.csv", "comment", COMMENT_B)
    return folder


def _rewrite(path: Path, column: str, text: str) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[0][column] = text
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def populate(world: World, folders: dict[str, Path]) -> Parties:
    """Accounts with their passwords, and the pilots: vendor A's running (with traces), validated (deploy
    approved) and draft; vendor B's running."""
    parties = Parties()
    people = SqlPeople(world.registry.repo.engine)
    for who, (role, options) in PEOPLE.items():
        name = NAMES.get(who, who)
        made = create_account(world.registry.repo, world.settings.secret(), role=role, name=name, **options)
        world.tokens[who] = made.token
        set_password(people, world.registry.repo.accounts(), name, PASSWORD, now=dt.datetime.now(dt.UTC))
        parties.logins[who], parties.accounts[who] = name, made.account_id
    a, b = folders["a"], folders["b"]
    for name, folder, who, until in (("a_running", a, "vendor_a", "traced"), ("a_validated", a, "vendor_a",
                                                                              "deploy_approved"),
                                     ("a_draft", a, "vendor_a", "draft"), ("b_running", b, "vendor_b", "traced")):
        parties.pilots[name] = walk(world, folder, until, vendor=who, cnam="cnam", dated=True)
        parties.refs[name] = world.registry.repo.pilot(parties.pilots[name]).ref
    return parties
