"""Reading a pilot folder (SPEC §4): the declaration and the small side files.

The trace files and registrations.csv, which can be large, are read by the trace store.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from preserie.adapters.errors import Problem, UnusableInput
from preserie.adapters.trace_files import FileIssue, found_columns, not_a_file, sniff_delimiter, unreadable
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.inputs import PILOT_FILE, SideRows
from preserie.domain.pilot import PilotDeclaration

# libyaml when present (ten times faster than the Python parser: it runs while the traces are read)
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
                            "obligatoire : voir docs/pilot-folder.md, ou `preserie init` pour en écrire un")


class _Loader(_FAST_LOADER):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader, but a date stays text for the model to read: PyYAML itself turns 2025-02-30 into a
    bare ValueError (no line, no field), where the model's error names the field, and so its line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as error:  # an explicit tag PyYAML cannot follow: !!int abc, !!timestamp x (any error)
            value = _shown(node.value) if isinstance(node, yaml.ScalarNode) else "…"
            raise yaml.constructor.ConstructorError(
                None, None, f"valeur « {value} » illisible ({node.tag.rsplit(':', 1)[-1]})", node.start_mark) from error


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The YAML document and its node tree (for the lines of the model's errors)."""
    loader = None
    try:
        loader = _Loader(text)  # refuses a character YAML does not allow (NUL…) at once
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), root
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise UnusableInput(PILOT_FILE, f"YAML invalide : {problem}",
                            line=mark.line + 1 if mark else None) from error
    except RecursionError as error:
        raise UnusableInput(PILOT_FILE, "YAML invalide : imbrication trop profonde") from error
    finally:
        if loader is not None:
            loader.dispose()


def load_declaration(folder: Path) -> PilotDeclaration:
    """The declaration, or `UnusableInput` with every problem of it at once (file, line, field)."""
    check_folder(folder)
    path = folder / PILOT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UnusableInput(PILOT_FILE, f"fichier illisible : {unreadable(error)}") from error
    except UnicodeDecodeError as error:
        raise UnusableInput(PILOT_FILE, "fichier illisible : encodage UTF-8 attendu (octet invalide à la "
                            f"position {error.start})") from error
    data, root = parse_yaml(text)
    if not isinstance(data, dict):
        raise UnusableInput(PILOT_FILE, "un objet YAML (clé: valeur) est attendu", line=1)
    try:
        return PilotDeclaration.model_validate(data)
    except ValidationError as error:
        raise UnusableInput.of(sorted(_problems(error, root), key=lambda p: p.line or 0)) from error


def _problems(error: ValidationError, root: yaml.Node | None) -> list[Problem]:
    problems = []
    for each in error.errors():
        loc = [k for k in each["loc"] if isinstance(k, int | str)]
        problems.append(Problem(PILOT_FILE, explain(each), line=_node_line(root, loc), field=_field_path(loc)))
    return problems


def explain(error: Any) -> str:
    """A pydantic error in French, for a person (the folder reader's and the registry API's messages)."""
    kind, message = error["type"], error["msg"]
    if kind == "string_type" and isinstance(error.get("input"), int | float):
        return f"texte attendu : écrire la valeur entre guillemets (\"{error['input']}\"), un 0 initial serait perdu"
    if kind == "literal_error" and error["loc"] == ("schema",):
        return "schéma attendu : preserie.pilot/1"
    if kind == "enum":
        expected = error["ctx"]["expected"].replace("' or '", "', '")
        return f"valeur inconnue « {_shown(error.get('input'))} » ; valeurs possibles : {expected}"
    if kind.startswith("date_") and isinstance(error.get("input"), str):
        value = error["input"]
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return f"date impossible « {value} » : ce jour n'existe pas au calendrier"
        return f"date attendue (AAAA-MM-JJ), pas « {_shown(value)} »"
    if kind == "missing":
        return "champ obligatoire manquant"
    if kind == "extra_forbidden":
        return "champ inconnu (faute de frappe ?)"
    if kind == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return _FRENCH.get(kind, "{msg}").format(msg=message, **error.get("ctx", {}))


def _shown(value: object, limit: int = 40) -> str:
    """A value from the file, short enough for a message."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


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


def _read_rows(folder: Path, name: str, model: type[Row], required: Sequence[str]) -> SideRows[Row]:
    """The valid rows of a side CSV file (`,` or `;`), every other row an issue with its line."""
    path = folder / name
    odd = not_a_file(path)
    if odd:
        return SideRows((), (FileIssue(name, "error", odd, unreadable=True),), present=True)
    if not path.is_file():
        return SideRows()
    try:
        delimiter = sniff_delimiter(path, [*required, *model.model_fields])
        with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:  # Excel writes a BOM
            return _parse_rows(csv.DictReader(handle, delimiter=delimiter), name, model, required)
    except OSError as error:
        return SideRows((), (FileIssue(name, "error", f"fichier illisible : {unreadable(error)}", unreadable=True),),
                        present=True)


def _parse_rows(reader: csv.DictReader[str], name: str, model: type[Row], required: Sequence[str]) -> SideRows[Row]:
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        return SideRows((), [FileIssue(name, "error", f"colonnes absentes de l'en-tête : {', '.join(missing)} "
                                       f"(séparateur « {reader.reader.dialect.delimiter} » ; colonnes trouvées : "
                                       f"{found_columns(header)})", line=1)], present=True)
    reader.fieldnames = header
    rows: list[Row] = []
    issues: list[FileIssue] = []
    start = reader.line_num + 1
    try:
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
                issues.append(FileIssue(name, "error", f"{explain(first)} ; ligne ignorée", line=line, field=field))
    except csv.Error as error:  # the reader cannot go on past such a line
        issues.append(FileIssue(name, "error", f"ligne illisible ({error}) ; la suite du fichier est ignorée",
                                line=start))
    return SideRows(tuple(rows), tuple(issues), present=True)


# The columns without which a side file's header is refused as a whole (without another, each row that needs
# a value there is an error).
ANOMALY_HEADER = ("id", "opened_on", "severity", "origin")
SURVEY_HEADER = ("practitioner", "submitted_on", "overall", "blocking_issue")


def read_anomalies(folder: Path) -> SideRows[Anomaly]:
    return _read_rows(folder, "anomalies.csv", Anomaly, ANOMALY_HEADER)


def read_survey(folder: Path) -> SideRows[SurveyAnswer]:
    return _read_rows(folder, "survey.csv", SurveyAnswer, SURVEY_HEADER)
