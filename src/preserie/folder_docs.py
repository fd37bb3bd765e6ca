"""The contract of a pilot folder, generated from the models that read it: `python -m preserie.folder_docs`.

docs/pilot-folder.md is this module's output; a test fails when the two differ, and another assesses the complete
example it shows, so that neither can go stale. Types, allowed values and defaults come from the pydantic models,
the reference data and the readers' constants; only the meaning of each field is written here, and rendering
fails when a field has none (or a meaning outlives its field).
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterator, Sequence
from enum import Enum
from importlib import resources
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel

from preserie import folder_contract as text
from preserie.adapters.pilot_folder import ANOMALY_HEADER, SURVEY_HEADER
from preserie.adapters.pilot_template import template_text
from preserie.adapters.registrations import COLUMNS as REGISTRATION_COLUMNS
from preserie.adapters.trace_files import FORMATS
from preserie.data import load_reference
from preserie.domain.feedback import Anomaly, SurveyAnswer
from preserie.domain.pilot import SCHEMA, HealthCenter, PilotDeclaration, Practitioner, Readiness, Situation, Software
from preserie.domain.trace_contract import COMMON_FIELDS, REJECTION_REASONS
from preserie.domain.trace_contract import FIELDS as TEXT_FIELDS


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def _constraints(metadata: Sequence[Any]) -> Iterator[tuple[str, Any]]:
    for item in metadata:
        yield from _constraints(getattr(item, "metadata", None) or ())
        for name in ("min_length", "max_length", "ge", "le", "pattern"):
            value = getattr(item, name, None)
            if value is not None:
                yield name, value


def _bounds(metadata: Sequence[Any], unit: str = "") -> str:
    found = dict(_constraints(metadata))
    low, high = found.get("min_length", found.get("ge")), found.get("max_length", found.get("le"))
    if "pattern" in found:
        return f", matching `{found['pattern']}`"
    if low and high is not None:
        return f", {low} to {high}{unit}"
    if low:
        return f", at least {low}{unit}"
    return f", at most {high}{unit}" if high is not None else ""


def _kind(tp: Any, metadata: Sequence[Any] = ()) -> str:
    """A type as a person reads it in a YAML or CSV file."""
    origin = get_origin(tp)
    if origin is Annotated:
        base, *extra = get_args(tp)
        return _kind(base, [*metadata, *extra])
    if origin in (Union, types.UnionType):
        kept = [arg for arg in get_args(tp) if arg is not type(None)]
        return _kind(kept[0], metadata) + (", or `null`" if len(kept) < len(get_args(tp)) else "")
    if origin is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(tp))
    if origin is list:
        return f"list of {_kind(get_args(tp)[0])}" + _bounds(metadata, " item(s)")
    if origin is dict:
        return "mapping"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "one of " + ", ".join(f"`{member.value}`" for member in tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return f"object ([{tp.__name__}](#{tp.__name__.lower()}))"
    named = {bool: "`true` or `false`", str: "text", int: "integer", float: "number", dt.date: "date `YYYY-MM-DD`"}
    return named[tp] + (_bounds(metadata, " character(s)") if tp is str else _bounds(metadata))


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    value = info.default
    if isinstance(value, BaseModel):
        return "optional (each item `false`)"
    return f"optional (`{_yaml(value)}`)"


def _yaml(value: Any) -> str:
    """A value as YAML writes it (`null`, `false`, `[]`)."""
    return str(yaml.safe_dump(value, default_flow_style=True)).removesuffix("\n").removesuffix("\n...")


class _Meanings:
    """The written meanings, each to be used once: a field without one, or one without a field, stops rendering."""

    def __init__(self, meanings: dict[str, str]) -> None:
        self.meanings, self.used = meanings, set[str]()

    def __call__(self, key: str) -> str:
        if key not in self.meanings:
            raise KeyError(f"folder_contract: no meaning written for {key}")
        self.used.add(key)
        return self.meanings[key]

    def check_all_used(self) -> None:
        stale = sorted(set(self.meanings) - self.used)
        if stale:
            raise KeyError(f"folder_contract: meanings for fields that do not exist: {stale}")


def _model_table(model: type[BaseModel], prefix: str, meaning: _Meanings) -> list[str]:
    lines = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for name, info in model.model_fields.items():
        key = info.alias or name
        kind = _kind(info.annotation, info.metadata)
        lines.append(f"| `{key}` | {_cell(kind)} | {_default(info)} | {_cell(meaning(prefix + key))} |")
    return [*lines, ""]


def _pilot_yaml(meaning: _Meanings) -> list[str]:
    lines = ["## pilot.yaml", "", _cell(text.PILOT_INTRO).replace("{schema}", SCHEMA), ""]
    for title, model, prefix in ((PilotDeclaration.__name__, PilotDeclaration, ""),
                                 (Software.__name__, Software, "software."),
                                 (Readiness.__name__, Readiness, "readiness."),
                                 (HealthCenter.__name__, HealthCenter, "health_centers[]."),
                                 (Practitioner.__name__, Practitioner, "practitioners[].")):
        where = (f"Each item of `{prefix[:-3]}`." if prefix.endswith("[].") else f"Under `{prefix[:-1]}`."
                 ) if prefix else "The top level."
        lines += [f"### {title}", "", where, ""]
        lines += _model_table(model, prefix, meaning)
    thresholds = yaml.safe_load(resources.files("preserie.data").joinpath("policy.yaml").read_text())["thresholds"]
    lines += ["### policy", "", _cell(text.POLICY_INTRO), "", "| threshold | default | source |", "|---|---|---|"]
    lines += [f"| `{name}` | `{_yaml(entry['value'])}` | {_cell(entry['source'])} |"
              for name, entry in thresholds.items()]
    return [*lines, ""]


def _trace_values(field: str) -> str:
    reference = load_reference()
    values = {"situation": [s.value for s in Situation], "type": list(text.TRACE_TYPES),
              "category": list(reference.categories), "operation": list(reference.operations)}
    return "; one of " + ", ".join(f"`{v}`" for v in values[field]) if field in values else ""


def _trace_table(fields: Sequence[str], kind: str, meaning: _Meanings) -> list[str]:
    """A field is required when step 1 has a reason for its absence (docs/assessment.md)."""
    lines = ["| field | type | required | meaning |", "|---|---|---|---|"]
    for field in fields:
        key = f"{kind}.{field}" if f"{kind}.{field}" in text.MEANINGS else f"trace.{field}"
        needed = text.TRACE_NEEDED.get(key) or ("required" if f"missing_{field}" in REJECTION_REASONS else "optional")
        lines.append(f"| `{field}` | {_cell(text.TRACE_KINDS[field] + _trace_values(field))} | {needed} | "
                     f"{_cell(meaning(key))} |")
    return lines


def _traces(meaning: _Meanings) -> list[str]:
    per_type = [field for fields in text.TRACE_TYPES.values() for field in fields]
    if {*COMMON_FIELDS, *per_type} != set(TEXT_FIELDS):
        raise KeyError("folder_contract.TRACE_TYPES: the fields of the types must be the readers' TEXT_FIELDS")
    formats = ", ".join(f"`*{suffix}`" for suffix in FORMATS)
    lines = ["## traces/", "", _cell(text.TRACES_INTRO).replace("{formats}", formats), "",
             "### Common fields", "", *_trace_table(COMMON_FIELDS, "trace", meaning)]
    for kind, fields in text.TRACE_TYPES.items():
        lines += ["", f"### `type: {kind}`", "", _cell(meaning(f"trace_type.{kind}")), "",
                  *_trace_table(fields, kind, meaning)]
    reference = load_reference()
    lines += ["", "Categories in scope: " + ", ".join(f"`{k}` ({v})" for k, v in reference.in_scope.items())
              + ". Out of scope, never an e-prescription: "
              + ", ".join(f"`{k}` ({v})" for k, v in reference.out_of_scope.items()) + ".", ""]
    return lines


def _csv_table(name: str, columns: Sequence[str], model: type[BaseModel] | None, header: Sequence[str],
               meaning: _Meanings) -> list[str]:
    lines = [f"## {name}", "", _cell(meaning(name)), "", f"Header: `{','.join(columns)}`. A header without "
             + ", ".join(f"`{c}`" for c in header) + " is refused as a whole.", "",
             "| column | type | required | meaning |", "|---|---|---|---|"]
    for column in columns:
        if model is not None:
            info = model.model_fields[column]
            kind, needed = _kind(info.annotation, info.metadata), _default(info)
        else:
            kind, needed = text.REGISTRATION_KINDS[column]
        lines.append(f"| `{column}` | {_cell(kind)} | {needed} | {_cell(meaning(f'{name}:{column}'))} |")
    return [*lines, ""]


def _example() -> list[str]:
    lines = ["## A complete example", "", _cell(text.EXAMPLE_INTRO), "", "### pilot.yaml", "", "```yaml",
             template_text().rstrip("\n"), "```", ""]
    for name, content in text.EXAMPLE_FILES.items():
        lines += [f"### {name}", "", "```" + ("json" if name.endswith(".jsonl") else "csv"),
                  content.rstrip("\n"), "```", ""]
    return lines


def render() -> str:
    meaning = _Meanings(text.MEANINGS)
    lines = ["# The pilot folder", "",
             "Generated by `python -m preserie.folder_docs > docs/pilot-folder.md` from the models that read the "
             "folder; do not edit.", "", *text.OVERVIEW.strip("\n").splitlines(), "",
             *_pilot_yaml(meaning), *_traces(meaning),
             *_csv_table("registrations.csv", REGISTRATION_COLUMNS, None, ("prescription_id", "status"), meaning),
             *_csv_table("anomalies.csv", tuple(Anomaly.model_fields), Anomaly, ANOMALY_HEADER, meaning),
             *_csv_table("survey.csv", tuple(SurveyAnswer.model_fields), SurveyAnswer, SURVEY_HEADER, meaning),
             *_example()]
    meaning.check_all_used()
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
