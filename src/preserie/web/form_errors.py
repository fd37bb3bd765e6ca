"""A refused form on a page: the use case's French errors beside their fields and in a summary at the top.

The editing forms validate nothing of their own: a form's fields go through the JSON API's body schema
(`api/schemas.py`) and then the same use case as the API's route. What they refuse comes back here, named by
the use case's field (``closed_on``, ``practitioners.2.cpam``…), and is put beside the form's field of that name.
A refusal that is not the form's to show (no session, a role that may not, another's pilot) is not caught: it
is the API's 401, 403 or 404 page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from preserie.services.errors import RegistryError
from preserie.web.render import sentence

FORM_STATUSES = (409, 413, 422)  # what a person corrects in the form; the others are the error pages
Where = Callable[[str], tuple[str, str] | None]  # a use case's field → (the form's field id, its label)


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)  # the form's field id → what to fix
    labels: dict[str, str] = field(default_factory=dict)  # the form's field id → its label (the summary)
    general: list[str] = field(default_factory=list)  # what no field of the form holds
    status: int = 200

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def __contains__(self, field_id: object) -> bool:
        return field_id in self.fields

    @property
    def summary(self) -> list[tuple[str | None, str]]:
        """(anchor, sentence) for each error: the general ones first, then each field's in the form's order."""
        return [*((None, text) for text in self.general),
                *((fid, f"{self.labels.get(fid, fid)} : {text}") for fid, text in self.fields.items())]

    def add(self, where: Where, name: str | None, message: str) -> None:
        found = where(name) if name else None
        if found is None:
            self.general.append(sentence(message if not name else f"{name} : {message}"))
            return
        field_id, label = found
        self.fields.setdefault(field_id, sentence(message))
        self.labels[field_id] = label


def named(fields: Mapping[str, tuple[str, str]]) -> Where:
    """A `Where` from a table of the use case's fields."""
    return fields.get


def _without_field(detail: str, name: str | None) -> str:
    """The detail of a use case's message without the field it starts with (« closed_on : … »)."""
    if name and detail.startswith(f"{name} : "):
        return detail[len(name) + 3:]
    return detail


def refused(error: RegistryError, where: Where) -> FormErrors:
    """The form's errors of a refusal, or the refusal itself raised again when it is not the form's to show."""
    if error.status not in FORM_STATUSES:
        raise error
    found = FormErrors(status=error.status)
    details = [d for d in error.details or () if d.get("message")]
    if details and all(d.get("field") for d in details):
        for detail in details:
            found.add(where, str(detail["field"]), str(detail["message"]))
    elif error.field and error.detail and where(error.field) is not None:
        found.add(where, error.field, _without_field(error.detail, error.field))
    else:
        found.general.append(sentence(error.message))
    return found


def invalid(error: ValidationError, where: Where) -> FormErrors:
    """The form's errors of a body the API's schema refused (the API's own 422, field by field)."""
    from preserie.adapters.pilot_folder import explain

    found = FormErrors(status=422)
    for problem in error.errors(include_url=False):
        found.add(where, ".".join(str(part) for part in problem["loc"]) or None, _said(problem, explain(problem)))
    return found


def _said(problem: Any, explained: str) -> str:
    """The schema's words as a form's: a field left empty, a choice not made (the JSON's values mean nothing
    to a person who sees French labels)."""
    if problem.get("input") is None and problem["type"] in ("missing", "string_type", "date_type", "literal_error"):
        return "à renseigner" if problem["type"] != "literal_error" else "choisir une des valeurs proposées"
    if problem["type"] == "literal_error":
        return "choisir une des valeurs proposées"
    return explained
