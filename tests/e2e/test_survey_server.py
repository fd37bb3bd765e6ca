"""The questionnaire and the digest against a real `preserie serve` (its own process, on 127.0.0.1): the links made
by `preserie survey invite`, a doctor answering over HTTP, the server's access log never showing a link's token,
and `preserie digest` sending through a real SMTP server (aiosmtpd) the parties that have an address, writing
the others' e-mails to the outbox, and nothing twice."""

from __future__ import annotations

import csv
import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from preserie_cli import free_port, run, serving_registry

from preserie.simulate import write_pilot

SCORES = ("ease", "speed", "integration", "training", "support", "overall")


@dataclass
class Mailbox:
    """What the SMTP server received: (recipients, message)."""

    received: list[tuple[list[str], Any]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        self.received.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A présérie under way today (begun four weeks ago), imported, one doctor's answers left out."""
    root = tmp_path_factory.mktemp("survey-server")
    today = dt.date.today()
    write_pilot(root / "pilot", seed=31, records=1500, weeks=6, start=today - dt.timedelta(days=today.weekday() + 28))
    rows = list(csv.DictReader((root / "pilot" / "survey.csv").open(encoding="utf-8")))
    left = rows[0]["practitioner"]
    with (root / "pilot" / "survey.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(r for r in rows if r["practitioner"] != left)
    data = root / "data"
    imported = run("pilots", "import", str(root / "pilot"), "--data", str(data))
    assert imported.returncode == 0, imported.stderr
    cnam = run("accounts", "create", "--role", "cnam", "--name", "Cnam", "--data", str(data))
    assert cnam.returncode == 0, cnam.stderr
    vendor = run("accounts", "create", "--role", "vendor", "--vendor", "Simulé SAS", "--name", "Éditeur", "--data",
                 str(data))
    assert vendor.returncode == 0, vendor.stderr
    return {"root": root, "data": data, "pilot": imported.stdout.strip(), "left": left, "cnam": cnam.stdout.strip()}


@pytest.fixture(scope="module")
def answered(registry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The doctor answers from the link `preserie survey invite` printed; the server's log afterwards."""
    log = registry["root"] / "serve.log"
    with serving_registry(registry["data"], log) as url:
        made = run("survey", "invite", registry["pilot"], "--data", str(registry["data"]), "--base-url", url)
        assert made.returncode == 0, made.stderr
        lines = [line.split("\t") for line in made.stdout.splitlines()]
        assert [line[0] for line in lines] == [registry["left"]], made.stdout
        link = lines[0][1]
        headers = {"Authorization": f"Bearer {registry['cnam']}"}
        before = httpx.get(f"{url}/api/v1/pilots/{registry['pilot']}/assessment", headers=headers, timeout=120)
        with httpx.Client(base_url=url, timeout=60, follow_redirects=True) as doctor:
            opened = doctor.get(link.removeprefix(url))
            form = doctor.get("/questionnaire")
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
            assert opened.status_code == form.status_code == 200 and csrf, form.text[:500]
            sent = doctor.post("/questionnaire", data={"csrf": csrf.group(1), "action": "submit", "blocking_issue":
                                                       "non", **dict.fromkeys(SCORES, "5")})
            refused = httpx.get(link, timeout=30)  # the link again, from another browser
        after = httpx.get(f"{url}/api/v1/pilots/{registry['pilot']}/assessment", headers=headers, timeout=120)
    yield {**registry, "link": link, "log": log.read_text(), "before": before.json(), "after": after.json(),
           "sent": sent, "refused": refused}


def test_an_answer_from_the_link_counts_in_c5_at_once(answered: dict[str, Any]) -> None:
    assert answered["sent"].status_code == 200 and "Merci de votre réponse" in answered["sent"].text
    assert answered["before"]["criteria"]["satisfaction"]["missing"] == [answered["left"]]
    assert answered["after"]["criteria"]["satisfaction"]["missing"] == []
    assert answered["refused"].status_code == 410


def test_the_server_s_access_log_never_shows_a_link_s_token(answered: dict[str, Any]) -> None:
    token = answered["link"].rsplit("/", 1)[1]
    assert token.startswith("prq_") and token not in answered["log"]
    assert '"GET /questionnaire/… HTTP/1.1" 200' in answered["log"]
    assert '"GET /questionnaire/… HTTP/1.1" 410' in answered["log"]
    assert "prc_" not in answered["log"]  # nor the cookie's


def test_the_digest_sends_through_smtp_to_the_parties_with_an_address_and_nothing_twice(
        answered: dict[str, Any], tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    data = str(answered["data"])
    added = run("recipients", "add", "coordination@cnam.example", "--role", "cnam", "--data", data)
    assert added.returncode == 0, added.stderr
    assert run("recipients", "list", "--data", data).stdout == "cnam\tcoordination@cnam.example\n"
    mailbox = Mailbox()
    port = free_port()
    server = Controller(mailbox, hostname="127.0.0.1", port=port)
    server.start()
    try:
        env = {"PRESERIE_SMTP_URL": f"smtp://127.0.0.1:{port}", "PRESERIE_MAIL_FROM": "preserie <alertes@example>"}
        first = run("digest", "--data", data, "--outbox", str(tmp_path / "outbox"), env=env)
        second = run("digest", "--data", data, "--outbox", str(tmp_path / "outbox"), env=env)
    finally:
        server.stop()
    assert first.returncode == 0, first.stderr
    lines = dict(line.split("\t", 1) for line in first.stdout.splitlines())
    assert lines["cnam"].endswith("SMTP : coordination@cnam.example")
    vendor = next(party for party in lines if party.startswith("vendor:"))
    assert lines[vendor].split("\t")[1].startswith(str(tmp_path / "outbox"))  # no address: the outbox
    assert [rcpt for rcpt, _ in mailbox.received] == [["coordination@cnam.example"]]
    mail = mailbox.received[0][1]
    assert mail["From"] == "preserie <alertes@example>" and mail["To"] == "coordination@cnam.example"
    assert answered["pilot"] in mail.get_content() and "À faire : " in mail.get_content()
    assert (second.returncode, second.stdout) == (0, "")
    assert "0 courriel(s)" in second.stderr


def test_an_smtp_server_that_does_not_answer_is_said_in_french_without_the_password() -> None:
    from preserie.adapters.mail import MailError, message, smtp_send

    mail = message(sender="a@example", to=["b@example"], subject="s", body="b", headers={})
    with pytest.raises(MailError) as refused:
        smtp_send(f"smtp://user:s3cret@127.0.0.1:{free_port()}", [mail], timeout=5)
    assert str(refused.value).startswith("serveur SMTP 127.0.0.1:") and "s3cret" not in str(refused.value)
    with pytest.raises(MailError, match="smtp://hôte"):
        smtp_send("http://127.0.0.1", [mail])
