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
# Each account's name, its login; vendor B's with markup
NAMES = {"vendor_a": "Équipe pilote Simulé", "vendor_b": "<b>Éditeur B</b>", "cnam": "Coordination Cnam",
         "gie": "GIE SESAM-Vitale", "cpam_33": "CPAM de la Gironde", "cpam_69": "CPAM du Rhône"}
PLAIN = {"vendor_b": "Éditeur B"}  # hostile=False: the names of the docs' screenshots
VENDOR_B_PLAIN = "Autre Éditeur SA"
REFS = {"a_running": "simule-2025-02", "a_validated": "simule-2024-11", "a_draft": "simule-2025-06"}
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


def _declared(folder: Path, **changes: object) -> None:
    content = yaml.safe_load((folder / "pilot.yaml").read_text(encoding="utf-8"))
    content.update(changes)
    if "cpams" in changes:
        for p in content["practitioners"]:
            p["cpam"] = content["cpams"][0]
    (folder / "pilot.yaml").write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")


def vendor_a_folders(base: Path) -> dict[str, Path]:
    """Vendor A's nominal pilot, once per pilot of the world, each with its own id."""
    import shutil

    source = simulate(base / "a", seed=1)
    folders = {}
    for name, ref in REFS.items():
        folders[name] = base / name
        shutil.copytree(source, folders[name])
        _declared(folders[name], id=ref)
    return folders


def vendor_b_folder(base: Path, *, hostile: bool = True) -> Path:
    """Another seed's pilot, of vendor B, in department 69, with markup in an anomaly and a comment."""
    folder = simulate(base, seed=2, scenario="unhappy")
    _declared(folder, vendor=VENDOR_B if hostile else VENDOR_B_PLAIN, id="autre-2025-01", cpams=[ZONE_B])
    if hostile:
        _rewrite(folder / "anomalies.csv", "summary", SUMMARY_B)
        _rewrite(folder / "survey.csv", "comment", COMMENT_B)
    return folder


def folders(base: Path, *, hostile: bool = True) -> dict[str, Path]:
    """Every pilot's folder of the world, by pilot name."""
    return {**vendor_a_folders(base), "b_running": vendor_b_folder(base / "b", hostile=hostile)}


def _rewrite(path: Path, column: str, text: str) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[0][column] = text
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def populate(world: World, folders: dict[str, Path], *, hostile: bool = True) -> Parties:
    """Accounts with their passwords, and the pilots (`folders()`): vendor A's running (with traces), validated
    (deploy approved) and draft; vendor B's running."""
    parties = Parties()
    people = SqlPeople(world.registry.repo.engine)
    for who, (role, options) in PEOPLE.items():
        name = NAMES[who] if hostile else PLAIN.get(who, NAMES[who])
        if who == "vendor_b" and not hostile:
            options = {"vendor": VENDOR_B_PLAIN}
        made = create_account(world.registry.repo, world.settings.secret(), role=role, name=name, **options)
        world.tokens[who] = made.token
        set_password(people, world.registry.repo.accounts(), name, PASSWORD, now=dt.datetime.now(dt.UTC))
        parties.logins[who], parties.accounts[who] = name, made.account_id
    for name, who, until in (("a_running", "vendor_a", "traced"), ("a_validated", "vendor_a", "deploy_approved"),
                             ("a_draft", "vendor_a", "draft"), ("b_running", "vendor_b", "traced")):
        parties.pilots[name] = walk(world, folders[name], until, vendor=who, cnam="cnam", dated=True)
        parties.refs[name] = world.registry.repo.pilot(parties.pilots[name]).ref
    return parties


def signed_in(world: World, parties: Parties, who: str):  # type: ignore[no-untyped-def]
    """A browser of its own on the world's app, signed in as ``who`` (a key of `parties.logins`)."""
    from web_client import browser, sign_in

    client = browser(world.client.app)
    assert sign_in(client, parties.logins[who], PASSWORD).status_code == 303
    return client
