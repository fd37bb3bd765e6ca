"""The pages' templates: Jinja2 with autoescaping (a name, a summary, a comment is text, never markup), the
report's French filters, French typography on the whole page, and no caching of pages that show health data."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from preserie import french as fr
from preserie import labels
from preserie.services.sessions import WebSession

PAGE_HEADERS = {"Cache-Control": "no-store"}


def sentence(text: str) -> str:
    """A message of the error catalogue as a sentence on a page: its first letter a capital.

    >>> sentence("compte révoqué")
    'Compte révoqué'
    """
    return text[:1].upper() + text[1:]


def moment(value: dt.datetime | None) -> str:
    """A moment of the registry (UTC) as Paris reads it: « 14 mars 2026 à 09:05 »."""
    if value is None:
        return "—"
    from preserie.domain.as_of import PARIS

    return fr.date(value.astimezone(PARIS))


@functools.cache
def environment() -> Environment:
    from preserie.domain.access import ROLE_LABELS
    from preserie.report.html import filters

    env = Environment(loader=PackageLoader("preserie.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(filters())
    env.filters.update(moment=moment, count=fr.count, check_label=labels.check_label)
    env.globals.update(kept=kept, role_labels=ROLE_LABELS, status_labels=labels.status_labels(),
                       source_labels=labels.source_labels(), class_labels=labels.call_result_labels(),
                       operation_labels=labels.operation_labels(), situation_labels=labels.situation_labels())
    return env


def page(request: Request, template: str, *, status: int = 200, session: WebSession | None = None,
         kept: Sequence[str] = (), **context: Any) -> HTMLResponse:
    """The page ``template`` rendered for ``session`` (None: nobody signed in), with its CSRF token in its forms;
    ``kept``: parts of it rendered before (`fragments`), put where the template says `kept(n)`."""
    html = fr.typography(environment().get_template(template).render(session=session, path=request.url.path,
                                                                       **context))
    for number, part in enumerate(kept):
        html = html.replace(_kept_token(number), part, 1)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)


def fragments(template: str, marker: str, **context: Any) -> tuple[str, ...]:
    """The parts of ``template`` between its ``marker``s, rendered and in French typography, for a page to put in
    as they are (`page`'s ``kept``): what a page shows unchanged view after view is rendered once."""
    return tuple(fr.typography(environment().get_template(template).render(**context)).split(marker))


_KEPT = secrets.token_hex(16)  # no text typed on a page can stand for a kept part


def _kept_token(number: int) -> str:
    return f"kept-{_KEPT}-{number}"


def kept(number: int) -> Markup:
    """Where a page's kept part ``number`` goes (`page`)."""
    return Markup(_kept_token(number))
