"""Signing in to the pages, in process (TestClient): the password's rules, the session cookie's flags, a new
session id at every sign-in, sign-out, CSRF on every POST, lockout after 5 failures for 15 minutes, a revoked
account stopped at once, expiry, and the security headers. The browser tests (tests/browser) do the same through
Chromium; these are the fast ones."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from registry_walk import World, serving
from web_client import browser, csrf_of, session_cookie, sign_in

from preserie.adapters.db.people_repository import SqlPeople
from preserie.services.accounts import create_account, revoke
from preserie.services.errors import RegistryError
from preserie.services.sessions import MAX_FAILURES, set_password

PASSWORD = "un mot de passe assez long"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("web-sign-in")
    with serving(f"sqlite:///{folder / 'registry.db'}", folder / "data") as served:
        yield served


@pytest.fixture
def person(world: World, request: pytest.FixtureRequest) -> str:
    """A new Cnam account with a password, named after the test: its login."""
    name = f"Cnam {request.node.name[:60]}"
    create_account(world.registry.repo, world.settings.secret(), role="cnam", name=name)
    set_password(SqlPeople(world.registry.repo.engine), world.registry.repo.accounts(), name, PASSWORD,
                 now=dt.datetime.now(dt.UTC))
    return name


def _account_id(world: World, name: str) -> int:
    return next(a["id"] for a in world.registry.repo.accounts() if a["name"] == name)


def test_the_sign_in_page_is_french_with_its_token_and_the_security_headers(world: World) -> None:
    page = browser(world.client.app).get("/connexion")
    assert page.status_code == 200 and "<h1>Connexion</h1>" in page.text and 'lang="fr"' in page.text
    assert csrf_of(page)
    headers = page.headers
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert "<script" not in page.text and "style=" not in page.text  # nothing the policy would have to allow


def test_a_page_without_a_session_sends_to_the_sign_in_page_and_back(world: World, person: str) -> None:
    client = browser(world.client.app)
    answer = client.get("/pilotes/0123456789abcdef")
    assert answer.status_code == 303 and answer.headers["location"] == "/connexion?suite=%2Fpilotes%2F0123456789abcdef"
    signed = sign_in(client, person, PASSWORD, wanted="/pilotes/0123456789abcdef")
    assert signed.status_code == 303 and signed.headers["location"] == "/pilotes/0123456789abcdef"
    for elsewhere in ("//ailleurs.example/pilotes", "https://ailleurs.example/", "/\\ailleurs"):
        again = sign_in(browser(world.client.app), person, PASSWORD, wanted=elsewhere)
        assert again.headers["location"] == "/pilotes"  # never another site


def test_a_wrong_password_and_an_unknown_login_read_the_same(world: World, person: str) -> None:
    wrong = sign_in(browser(world.client.app), person, "pas le bon mot de passe")
    unknown = sign_in(browser(world.client.app), "Personne de ce nom", "pas le bon mot de passe")
    for answer in (wrong, unknown):
        assert answer.status_code == 401
        assert "Identifiant ou mot de passe incorrect" in answer.text
        assert session_cookie(answer) is None


def test_the_session_cookie_is_http_only_lax_and_secure_over_https(world: World, person: str) -> None:
    plain = sign_in(browser(world.client.app), person, PASSWORD)
    cookie = next(h for h in plain.headers.get_list("set-cookie") if h.startswith("preserie_session="))
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path", "max-age", "samesite"} <= flags and "secure" not in flags
    assert "samesite=lax" in cookie.lower()
    secure = sign_in(browser(world.client.app, "https://testserver"), person, PASSWORD)
    cookie = next(h for h in secure.headers.get_list("set-cookie") if h.startswith("preserie_session="))
    assert "secure" in cookie.lower()
    assert secure.headers["strict-transport-security"].startswith("max-age=")


def test_only_a_digest_of_the_session_id_is_kept(world: World, person: str) -> None:
    session_id = session_cookie(sign_in(browser(world.client.app), person, PASSWORD))
    assert session_id
    database = Path(world.settings.database_url.removeprefix("sqlite:///"))
    kept = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))  # the WAL too
    assert session_id.encode() not in kept and PASSWORD.encode() not in kept


def test_every_sign_in_gives_a_new_session_id_and_ends_the_browser_s_earlier_one(world: World, person: str) -> None:
    client = browser(world.client.app)
    client.cookies.set("preserie_session", "A" * 43)  # planted by someone else before the sign-in
    first = session_cookie(sign_in(client, person, PASSWORD))
    assert first and first != "A" * 43
    assert client.get("/pilotes").status_code == 200
    second = session_cookie(sign_in(client, person, PASSWORD))
    assert second and second != first
    stale = browser(world.client.app)
    stale.cookies.set("preserie_session", first)
    answer = stale.get("/pilotes")
    assert answer.status_code == 303 and "fin=1" in answer.headers["location"]  # the first one is gone


def test_sign_out_is_a_post_with_its_token_and_deletes_the_session(world: World, person: str) -> None:
    client = browser(world.client.app)
    session_id = session_cookie(sign_in(client, person, PASSWORD))
    page = client.get("/pilotes")
    assert client.get("/deconnexion").status_code == 405
    refused = client.post("/deconnexion", data={"csrf": "pas le jeton"})
    assert refused.status_code == 403 and "Formulaire refusé" in refused.text
    assert client.get("/pilotes").status_code == 200  # still signed in
    out = client.post("/deconnexion", data={"csrf": csrf_of(page, "/deconnexion")})
    assert out.status_code == 303 and out.headers["location"] == "/connexion?sortie=1"
    replay = browser(world.client.app)
    replay.cookies.set("preserie_session", str(session_id))
    assert replay.get("/pilotes").status_code == 303


def test_every_post_needs_its_token_and_this_site_s_origin(world: World, person: str) -> None:
    client = browser(world.client.app)
    form = client.get("/connexion")
    token = csrf_of(form)
    body = {"identifiant": person, "mot_de_passe": PASSWORD, "suite": "/pilotes"}
    for refused in (client.post("/connexion", data=body),
                    client.post("/connexion", data={**body, "csrf": token + "x"}),
                    client.post("/connexion", data={**body, "csrf": token},
                                headers={"origin": "http://ailleurs.example"}),
                    client.post("/connexion", json={**body, "csrf": token})):
        assert refused.status_code == 403 and "Formulaire refusé" in refused.text
        assert session_cookie(refused) is None
    forged = browser(world.client.app)  # a token made up, in both the cookie and the form: not signed by us
    forged.cookies.set("preserie_connexion", "n.0123456789abcdef0123456789abcdef", path="/connexion")
    assert forged.post("/connexion", data={**body, "csrf": "n.0123456789abcdef0123456789abcdef"}).status_code == 403
    signed = client.post("/connexion", data={**body, "csrf": token}, headers={"origin": "http://testserver"})
    assert signed.status_code == 303 and session_cookie(signed)
    page = client.get("/pilotes")
    cross = client.post("/deconnexion", data={"csrf": csrf_of(page, "/deconnexion")},
                        headers={"origin": "http://ailleurs.example"})
    assert cross.status_code == 403


def test_five_failures_lock_the_account_for_15_minutes(world: World, person: str) -> None:
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(browser(world.client.app), person, "mauvais").status_code == 401
    locked = sign_in(browser(world.client.app), person, "mauvais")
    assert locked.status_code == 429 and "verrouillé pour 15 minutes après 5 échecs" in locked.text
    assert "réessayer après" in locked.text
    still = sign_in(browser(world.client.app), person, PASSWORD)  # the right password, too soon
    assert still.status_code == 429 and session_cookie(still) is None
    real = world.registry.now
    world.registry.now = lambda: real() + dt.timedelta(minutes=16)
    try:
        assert sign_in(browser(world.client.app), person, PASSWORD).status_code == 303
    finally:
        world.registry.now = real


def test_a_success_forgets_the_earlier_failures(world: World, person: str) -> None:
    for _ in range(MAX_FAILURES - 1):
        sign_in(browser(world.client.app), person, "mauvais")
    assert sign_in(browser(world.client.app), person, PASSWORD).status_code == 303
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(browser(world.client.app), person, "mauvais").status_code == 401


def test_a_revoked_account_s_session_stops_at_once_and_it_cannot_sign_in(world: World, person: str) -> None:
    client = browser(world.client.app)
    sign_in(client, person, PASSWORD)
    assert client.get("/pilotes").status_code == 200
    revoke(world.registry.repo, _account_id(world, person))
    answer = client.get("/pilotes")
    assert answer.status_code == 303 and "fin=1" in answer.headers["location"]
    again = sign_in(browser(world.client.app), person, PASSWORD)
    assert again.status_code == 401 and "Compte révoqué" in again.text
    with pytest.raises(RegistryError) as refused:
        set_password(SqlPeople(world.registry.repo.engine), world.registry.repo.accounts(), person, PASSWORD,
                     now=dt.datetime.now(dt.UTC))
    assert refused.value.code == "ACCOUNT_REVOKED"


def test_a_session_expires_after_8_hours(world: World, person: str) -> None:
    client = browser(world.client.app)
    sign_in(client, person, PASSWORD)
    real = world.registry.now
    world.registry.now = lambda: real() + dt.timedelta(hours=8, minutes=1)
    try:
        answer = client.get("/pilotes")
    finally:
        world.registry.now = real
    assert answer.status_code == 303 and "fin=1" in answer.headers["location"]
    assert client.get("/pilotes").status_code == 303  # deleted, not only refused


def test_a_password_is_12_characters_at_least_and_an_ambiguous_name_needs_its_number(world: World) -> None:
    people, repo = SqlPeople(world.registry.repo.engine), world.registry.repo
    now = dt.datetime.now(dt.UTC)
    for _ in range(2):
        create_account(repo, world.settings.secret(), role="gie", name="GIE homonyme")
    with pytest.raises(RegistryError, match="de 12 à 256 caractères"):
        set_password(people, repo.accounts(), "Cnam court", "court", now=now)
    with pytest.raises(RegistryError, match=r"plusieurs comptes s'appellent « GIE homonyme » \(n° \d+, \d+\)"):
        set_password(people, repo.accounts(), "GIE homonyme", PASSWORD, now=now)
    numbers = [a["id"] for a in repo.accounts() if a["name"] == "GIE homonyme"]
    set_password(people, repo.accounts(), "GIE homonyme", PASSWORD, number=numbers[0], now=now)
    with pytest.raises(RegistryError, match="se connecte déjà"):
        set_password(people, repo.accounts(), "gie  HOMONYME", PASSWORD, number=numbers[1], now=now)
    assert sign_in(browser(world.client.app), " gie homonyme ", PASSWORD).status_code == 303


def test_accounts_password_reads_the_password_from_standard_input_never_from_the_arguments(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environment = {**os.environ, "PRESERIE_DATA": "", "PRESERIE_DATABASE": ""}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "preserie", "accounts", *args, "--data", str(data)],
                              input=stdin, capture_output=True, text=True, timeout=120, env=environment)

    assert cli("create", "--role", "cpam", "--name", "CPAM Gironde", "--cpam", "33").returncode == 0
    done = cli("password", "CPAM Gironde", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "mot de passe enregistré ; identifiant de connexion : « CPAM Gironde »" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    short = cli("password", "CPAM Gironde", stdin="court\n")
    assert short.returncode == 2 and "de 12 à 256 caractères" in short.stderr and "Traceback" not in short.stderr
    unknown = cli("password", "Personne", stdin=PASSWORD + "\n")
    assert unknown.returncode == 2 and "aucun compte nommé « Personne »" in unknown.stderr
    extra = cli("password", "CPAM Gironde", PASSWORD)  # a password given as an argument is not taken
    assert extra.returncode == 2 and "Traceback" not in extra.stderr
    from preserie.bootstrap import build_registry
    from preserie.config import ServiceSettings
    from preserie.services.sessions import sign_in as open_session

    registry = build_registry(ServiceSettings(data=data))
    try:
        made = open_session(SqlPeople(registry.repo.engine), ServiceSettings(data=data).secret(), "cpam gironde",
                            PASSWORD, now=dt.datetime.now(dt.UTC))
        assert made.session.caller.department == "33"
    finally:
        registry.repo.engine.dispose()
