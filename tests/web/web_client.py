"""A browser's part in the fast tests: a TestClient of its own (its own cookies) on the world's app, that signs in
through the sign-in form as a person does."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response


def browser(app: object, base_url: str = "http://testserver") -> TestClient:
    """A new client on an app already started (its lifespan ran with the world's first client)."""
    return TestClient(app, base_url=base_url, follow_redirects=False)  # type: ignore[arg-type]


def csrf_of(page: Response, action: str = "/connexion") -> str:
    """The CSRF token of the page's form that posts to ``action``."""
    found = re.search(f'<form method="post" action="{re.escape(action)}"[^>]*>\\s*<input type="hidden" '
                      'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def sign_in(client: TestClient, login: str, password: str, *, wanted: str = "/pilotes") -> Response:
    form = client.get("/connexion")
    assert form.status_code == 200, form.text[:300]
    return client.post("/connexion", data={"csrf": csrf_of(form, "/connexion"), "identifiant": login,
                                           "mot_de_passe": password, "suite": wanted})


def session_cookie(response: Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("preserie_session="):
            return header.split(";", 1)[0].split("=", 1)[1].strip('"') or None
    return None
