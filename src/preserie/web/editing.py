"""What the editing forms' routes share: reading a posted field, trying the use case (its refusal becomes the
form's errors, `form_errors`), POST-redirect-GET with a fixed notice, and whether a form is offered at all: the
use case's own guard, asked without acting (one rule, never a copy of it here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import FormData

from preserie.services.errors import RegistryError
from preserie.web.form_errors import FormErrors, Where, invalid, refused

T = TypeVar("T")

# What a page says after a form did its work (the address carries the key, never a free text).
NOTICES = {
    "declaree": "Présérie déclarée : elle reste en préparation, à vous seul, jusqu'à son envoi.",
    "enregistree": "Déclaration enregistrée.",
    "envoyee": "Présérie envoyée au GIE SESAM-Vitale et à la Cnam.",
    "acceptee": "Présérie acceptée : les CPAM de ses médecins la voient désormais.",
    "renvoyee": "Présérie renvoyée à l'éditeur, avec votre motif.",
    "lancee": "Réunion de lancement enregistrée : la présérie est en cours.",
    "decidee": "Décision enregistrée, avec le bilan sur lequel elle repose.",
    "generalisee": "Généralisation lancée : les traces des postes sont désactivées.",
    "medecin-ajoute": "Médecin ajouté.",
    "medecin-modifie": "Médecin mis à jour.",
    "installation": "Installation enregistrée : le poste du médecin est inscrit.",
    "formation": "Formation enregistrée.",
    "anomalie-ouverte": "Anomalie ouverte.",
    "anomalie-prise-en-compte": "Anomalie prise en compte.",
    "anomalie-corrigee": "Correction enregistrée.",
    "anomalie-close": "Anomalie close.",
}


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("fait", ""))


def done(to: str, what: str) -> RedirectResponse:
    """The page to go to after a form did ``what`` (a key of NOTICES): POST-redirect-GET."""
    assert what in NOTICES, what
    return RedirectResponse(f"{to}?fait={what}", status_code=303)


def text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    """A field left empty is a value not given (None), as a JSON body would leave it out."""
    return text(form, name) or None


def attempt(where: Where, act: Callable[[], T]) -> T | FormErrors:
    """The use case's answer, or the form's errors when the API's schema or the use case refuses what was typed
    (a refusal that is not the form's, 401/403/404, goes on to its error page)."""
    try:
        return act()
    except ValidationError as error:
        return invalid(error, where)
    except RegistryError as error:
        return refused(error, where)


def offered(guard: Callable[[], object]) -> bool:
    """Whether the use case's guard lets the caller do this now (a form shown only then)."""
    try:
        guard()
    except RegistryError:
        return False
    return True
