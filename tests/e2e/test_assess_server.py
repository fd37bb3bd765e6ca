"""`preserie assess|report --server URL --pilot ID` against a real registry service (`preserie serve` in its own
process): the same JSON, the same exit status and the same screens as `preserie assess` on the pilot exported as a
folder; every refusal a French message and exit status 2, never a traceback."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from preserie_cli import free_port, run, serving_registry

from preserie.simulate import write_pilot

SCENARIOS = {"nominal": 0, "slow-adopter": 1}  # the decision each promises, as an exit status


@dataclass(frozen=True)
class Registry:
    url: str
    token: str
    pilots: dict[str, str]  # scenario -> pilot id
    exported: dict[str, Path]  # scenario -> the pilot written back as a folder

    def run(self, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
        """`preserie ARGS` with the registry's token (or `token`; "" for none) in $PRESERIE_TOKEN."""
        return run(*args, env={"PRESERIE_TOKEN": self.token if token is None else token})


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    root = tmp_path_factory.mktemp("registry")
    data = root / "data"
    pilots, exported = {}, {}
    for number, scenario in enumerate(SCENARIOS):
        write_pilot(root / scenario, seed=20 + number, records=6_000, weeks=6, scenario=scenario)
        imported = run("pilots", "import", str(root / scenario), "--data", str(data))
        assert imported.returncode == 0, imported.stderr
        pilots[scenario] = imported.stdout.strip()
        done = run("pilots", "export", pilots[scenario], str(root / f"{scenario}-exported"), "--data", str(data))
        assert done.returncode == 0, done.stderr
        exported[scenario] = root / f"{scenario}-exported"
    made = run("accounts", "create", "--role", "cnam", "--name", "Cnam des tests", "--data", str(data))
    assert made.returncode == 0, made.stderr
    with serving_registry(data, root / "serve.log") as url:
        yield Registry(url, made.stdout.strip(), pilots, exported)


def assert_refused(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("erreur : ") and words in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_services_json_is_the_exported_folders_byte_for_byte(registry: Registry, scenario: str) -> None:
    served = registry.run("assess", "--server", registry.url, "--pilot", registry.pilots[scenario], "--json")
    local = run("assess", str(registry.exported[scenario]), "--json")
    assert served.returncode == local.returncode == SCENARIOS[scenario], served.stderr
    assert served.stdout == local.stdout
    assert served.stderr == local.stderr


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_the_summary_and_the_details_read_as_for_the_folder(registry: Registry, scenario: str) -> None:
    for extra in ((), ("--details",)):
        served = registry.run("assess", "--server", registry.url, "--pilot", registry.pilots[scenario], *extra)
        local = run("assess", str(registry.exported[scenario]), *extra)
        assert served.returncode == local.returncode == SCENARIOS[scenario]
        assert served.stdout == local.stdout
        assert "Décision : " in served.stdout


def test_an_as_of_is_the_services_as_for_the_folder(registry: Registry) -> None:
    pilot = registry.pilots["nominal"]
    served = registry.run("assess", "--server", registry.url, "--pilot", pilot, "--as-of", "2025-01-20", "--json")
    local = run("assess", str(registry.exported["nominal"]), "--as-of", "2025-01-20", "--json")
    assert served.returncode == local.returncode
    assert served.stdout == local.stdout and '"as_of": "2025-01-20T23:59:59.999999+01:00"' in served.stdout


def test_report_writes_the_services_html_and_pdf(registry: Registry, tmp_path: Path) -> None:
    html, pdf = tmp_path / "out" / "bilan.html", tmp_path / "out" / "bilan.pdf"
    done = registry.run("report", "--server", registry.url, "--pilot", registry.pilots["slow-adopter"], "-o",
                        str(html), "--pdf", str(pdf))
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [str(html), str(pdf)]
    text = html.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "Décision\u00a0: prolongation de la présérie" in text
    assert pdf.read_bytes().startswith(b"%PDF-")
    local = run("report", str(registry.exported["slow-adopter"]), "-o", str(tmp_path / "local.html"))
    assert local.returncode == 1
    assert (tmp_path / "local.html").read_text(encoding="utf-8") == text


def test_a_bad_token_is_the_servers_french_refusal(registry: Registry) -> None:
    done = registry.run("assess", "--server", registry.url, "--pilot", registry.pilots["nominal"],
                        token="pas-un-jeton")
    assert_refused(done, "jeton inconnu ou mal formé (HTTP 401)")


def test_an_unknown_pilot_is_the_servers_french_refusal(registry: Registry, tmp_path: Path) -> None:
    assert_refused(registry.run("assess", "--server", registry.url, "--pilot", "0123456789abcdef"),
                   "présérie introuvable (HTTP 404)")
    done = registry.run("report", "--server", registry.url, "--pilot", "0123456789abcdef", "-o",
                        str(tmp_path / "r.html"))
    assert_refused(done, "présérie introuvable (HTTP 404)")
    assert not (tmp_path / "r.html").exists()


def test_a_phase_the_pilot_does_not_have_is_refused(registry: Registry) -> None:
    done = registry.run("assess", "--server", registry.url, "--pilot", registry.pilots["nominal"], "--phase", "4")
    assert_refused(done, "phase 4 : la présérie en a 1 (HTTP 404)")


def test_a_server_that_is_down_is_said_in_french() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = run("assess", "--server", url, "--pilot", "0123456789abcdef", env={"PRESERIE_TOKEN": "x"})
    assert_refused(done, f"registre {url} injoignable")


@pytest.mark.parametrize(("args", "words"), [
    ((), "indiquer le DOSSIER de la présérie, ou --server URL --pilot ID"),
    (("some-folder", "--server", "http://127.0.0.1:1", "--pilot", "x"), "pas les deux"),
    (("--server", "http://127.0.0.1:1"), "--server demande --pilot ID"),
    (("--pilot", "x"), "--pilot ne va qu'avec --server"),
    (("some-folder", "--phase", "2"), "--phase ne va qu'avec --server"),
    (("--server", "127.0.0.1:8800", "--pilot", "x"), "URL http:// ou https:// attendue"),
    (("--server", "http://127.0.0.1:1", "--pilot", "x", "--test-identities"), "--test-identities ne va qu'avec"),
])
def test_folder_or_server_exactly_one(args: tuple[str, ...], words: str) -> None:
    assert_refused(run("assess", *args, env={"PRESERIE_TOKEN": "x"}), words)


def test_the_token_comes_from_the_environment_only(registry: Registry) -> None:
    done = registry.run("assess", "--server", registry.url, "--pilot", registry.pilots["nominal"], token="")
    assert_refused(done, "PRESERIE_TOKEN")
    offered = run("report", "--server", registry.url, "--pilot", "x", "--token", "abc")
    assert offered.returncode == 2 and "option inconnue : --token" in offered.stderr
