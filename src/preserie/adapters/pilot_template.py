"""A new pilot folder, ready to be filled in (`preserie init`): a commented pilot.yaml, the side files with
their header only, and an empty traces/ folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from preserie.adapters.errors import UnusableInput
from preserie.adapters.registrations import COLUMNS as REGISTRATION_COLUMNS
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import PILOT_FILE

TEMPLATE = "pilot-template.yaml"


def template_text() -> str:
    """The commented declaration `init` writes (French comments: the pilot teams are French)."""
    return resources.files("preserie.data").joinpath(TEMPLATE).read_text(encoding="utf-8")


def side_headers() -> dict[str, tuple[str, ...]]:
    """The columns of each side file, in the contract's order (SPEC §4), from the models that read them."""
    return {"registrations.csv": REGISTRATION_COLUMNS, "anomalies.csv": tuple(Anomaly.model_fields),
            "survey.csv": tuple(SurveyAnswer.model_fields)}


def write_new_pilot(folder: Path) -> list[Path]:
    """Write a new pilot folder into `folder`, new or empty; `UnusableInput` for anything else (nothing is
    overwritten). Returns what was written."""
    if folder.exists() and not folder.is_dir():
        raise UnusableInput(str(folder), "existe et n'est pas un dossier")
    if folder.is_dir() and any(folder.iterdir()):
        raise UnusableInput(str(folder), "le dossier n'est pas vide : init n'écrit que dans un dossier nouveau "
                            "ou vide, pour ne rien remplacer")
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / PILOT_FILE]
    written[0].write_text(template_text(), encoding="utf-8")
    for name, columns in side_headers().items():
        path = folder / name
        path.write_text(",".join(columns) + "\n", encoding="utf-8")
        written.append(path)
    (folder / "traces").mkdir()
    written.append(folder / "traces")
    return written
