"""Filling a page's form as a browser does, in the fast tests: the fields a page shows with their values (text,
chosen options, checked boxes and radios), changed by the test, posted with the page's CSRF token."""

from __future__ import annotations

import html
import re
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

_FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
_INPUT = re.compile(r"<input ([^>]*)>")
_SELECT = re.compile(r'<select id="[^"]*" name="([^"]+)"[^>]*>(.*?)</select>', re.S)
_TEXTAREA = re.compile(r'<textarea id="[^"]*" name="([^"]+)"[^>]*>(.*?)</textarea>', re.S)


def _attribute(tag: str, name: str) -> str | None:
    found = re.search(f'{name}="([^"]*)"', tag)
    return html.unescape(found.group(1)) if found else None


def fields(page: Response, action: str) -> dict[str, str]:
    """The fields that the form posting to ``action`` would send as the page shows it."""
    form = next((body for target, body in _FORM.findall(page.text) if html.unescape(target) == action), None)
    assert form is not None, f"no form to {action} in: " + page.text[:800]
    values: dict[str, str] = {}
    for tag in _INPUT.findall(form):
        name, kind = _attribute(tag, "name"), _attribute(tag, "type") or "text"
        if name is None or (kind in ("checkbox", "radio") and " checked" not in tag):
            continue
        values[name] = _attribute(tag, "value") or ""
    for name, options in _SELECT.findall(form):
        chosen = re.search(r'<option value="([^"]*)" selected>', options) or re.search(r'<option value="([^"]*)"',
                                                                                      options)
        values[name] = html.unescape(chosen.group(1)) if chosen else ""
    for name, text in _TEXTAREA.findall(form):
        values[name] = html.unescape(text)
    return values


def submit(client: TestClient, page_path: str, action: str, changes: dict[str, Any] | None = None, *,
           drop: tuple[str, ...] = ()) -> Response:
    """Open ``page_path``, fill its form to ``action`` with ``changes`` (None: untick a box) and post it."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    values: dict[str, Any] = fields(page, action)
    for name, value in (changes or {}).items():
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value
    for name in drop:
        values.pop(name, None)
    return client.post(action, data=values)


def token(client: TestClient) -> str:
    """The session's CSRF token (every form of a page carries it)."""
    page = client.get("/pilotes")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:300]
    return found.group(1)
