"""Reading a pilot folder (SPEC §4): the declaration and the small side files.

The trace files and registrations.csv, which can be large, are read by the trace store.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from preserie.adapters.errors import UnusableInput
from preserie.adapters.trace_files import FileIssue
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.pilot import PilotDeclaration

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

PILOT_FILE = "pilot.yaml"
Row = TypeVar("Row", bound=BaseModel)


def _node_line(root: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """The line of the YAML node at a validation error's location (the deepest one that exists)."""
    node, line = root, None
    for key in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == key), None)
            if node is None:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1 if node is not None else line


def _field_path(loc: Sequence[int | str]) -> str:
    path = ""
    for key in loc:
        path += f"[{key}]" if isinstance(key, int) else (f".{key}" if path else str(key))
    return path.replace("schema_", "schema")


def check_folder(folder: Path) -> None:
    """Refuse at once a folder that cannot hold a pilot, before any long reading starts."""
    if not folder.exists():
        raise UnusableInput(str(folder), "dossier introuvable")
    if not folder.is_dir():
        raise UnusableInput(str(folder), "ce n'est pas un dossier de présérie")
    if not (folder / PILOT_FILE).is_file():
        raise UnusableInput(PILOT_FILE, f"fichier manquant dans {folder} : la déclaration de la présérie est "
                            "obligatoire (voir SPEC §4)")


def load_declaration(folder: Path) -> PilotDeclaration:
    check_folder(folder)
    path = folder / PILOT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnusableInput(PILOT_FILE, f"fichier illisible ({error})") from error
    try:
        # libyaml's loader (ten times faster: it runs while the traces are read), the Python one to explain
        try:
            data = yaml.load(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise UnusableInput(PILOT_FILE, f"YAML invalide : {problem}",
                            line=mark.line + 1 if mark else None) from error
    if not isinstance(data, dict):
        raise UnusableInput(PILOT_FILE, "un objet YAML (clé: valeur) est attendu", line=1)
    try:
        return PilotDeclaration.model_validate(data)
    except ValidationError as error:
        root = yaml.compose(text)  # where each value is written, for the message only
        first = error.errors()[0]
        loc = [k for k in first["loc"] if isinstance(k, int | str)]
        more = len(error.errors()) - 1
        message = _explain(first) + (f" (et {more} autre(s) erreur(s))" if more else "")
        raise UnusableInput(PILOT_FILE, message, line=_node_line(root, loc), field=_field_path(loc)) from error


def _explain(error: Any) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        return f"texte attendu : écrire la valeur entre guillemets (\"{error['input']}\"), un 0 initial serait perdu"
    if kind == "literal_error" and error["loc"] == ("schema",):
        return "schéma attendu : preserie.pilot/1"
    if kind == "enum":
        return f"valeur inconnue « {error.get('input')} » ; valeurs possibles : {error['ctx']['expected']}"
    if kind == "missing":
        return "champ obligatoire manquant"
    if kind == "extra_forbidden":
        return "champ inconnu (faute de frappe ?)"
    if kind == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return _FRENCH.get(kind, "{msg}").format(msg=message, **error.get("ctx", {}))


_FRENCH = {
    "string_too_long": "au plus {max_length} caractères",
    "string_too_short": "au moins {min_length} caractère(s)",
    "string_pattern_mismatch": "format attendu : {pattern}",
    "string_type": "texte attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "int_type": "entier attendu",
    "int_parsing": "entier attendu",
    "float_parsing": "nombre attendu",
    "date_parsing": "date attendue (AAAA-MM-JJ)",
    "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
    "date_type": "date attendue (AAAA-MM-JJ)",
    "greater_than_equal": "valeur d'au moins {ge} attendue",
    "less_than_equal": "valeur d'au plus {le} attendue",
    "too_short": "au moins {min_length} élément(s) attendu(s)",
    "list_type": "liste attendue",
    "dict_type": "objet (clé: valeur) attendu",
    "model_type": "objet (clé: valeur) attendu",
    "literal_error": "valeur attendue : {expected}",
}


@dataclass(frozen=True)
class SideFile:
    rows: list[Any]
    issues: list[FileIssue]
    present: bool


def _read_rows(folder: Path, name: str, model: type[Row], required: Sequence[str]) -> SideFile:
    path = folder / name
    if not path.is_file():
        return SideFile([], [], present=False)
    rows: list[Row] = []
    issues: list[FileIssue] = []
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:  # Excel writes a BOM
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            return SideFile([], [FileIssue(name, "error", f"colonnes absentes de l'en-tête : {', '.join(missing)}",
                                           line=1)], present=True)
        reader.fieldnames = header
        start = 2
        for record in reader:
            line, start = start, reader.line_num + 1
            if None in record:
                issues.append(FileIssue(name, "error", "trop de cellules ; ligne ignorée", line=line))
                continue
            try:
                rows.append(model.model_validate(record))
            except ValidationError as error:
                first = error.errors()[0]
                field = ".".join(str(k) for k in first["loc"])
                issues.append(FileIssue(name, "error", f"{_explain(first)} ; ligne ignorée", line=line, field=field))
    return SideFile(rows, issues, present=True)


def read_anomalies(folder: Path) -> SideFile:
    return _read_rows(folder, "anomalies.csv", Anomaly, ("id", "opened_on", "severity", "origin"))


def read_survey(folder: Path) -> SideFile:
    return _read_rows(folder, "survey.csv", SurveyAnswer, ("practitioner", "submitted_on", "overall",
                                                           "blocking_issue"))
