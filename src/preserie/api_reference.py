"""The registry API's reference, generated from the app itself: `python -m preserie.api_reference`.

docs/registry-api.md is this module's output (a test fails when the two differ): every route with its summary,
who may call it (the roles in `domain.access`), the error catalogue with its stable codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from preserie.domain.access import ROLE_LABELS
from preserie.domain.lifecycle import RULES, STATUS_LABELS
from preserie.services.errors import ERRORS

HEADER = """# The registry's API (`preserie serve`)

Generated from the app by `python -m preserie.api_reference` (a test keeps it current). The machine-readable
contract is the service's own `/openapi.json`; the browsable one is `/docs`.

Every route but the health probe takes `Authorization: Bearer <token>` (`preserie accounts create`). A pilot
your account does not see answers 404 exactly as a pilot that does not exist. Every error is
`{"code": ..., "message": ..., "field": ..., "details": [...]}` with a stable code and a French message naming
the field to fix.
"""


def _routes(schema: dict[str, Any]) -> list[str]:
    lines = ["## Routes", "", "| method | path | what |", "|---|---|---|"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            lines.append(f"| {method.upper()} | `{path}` | {operation.get('summary', '')} |")
    return lines


def _roles() -> list[str]:
    lines = ["## Roles", "", "| role | label |", "|---|---|"]
    lines += [f"| `{role}` | {label} |" for role, label in ROLE_LABELS.items()]
    lines += ["", "Who sees what: a vendor its own pilots; the Cnam and the GIE SESAM-Vitale every pilot once sent; "
              "a CPAM, once the Cnam has accepted a pilot, the pilots with a doctor in its department and, of those, "
              "its zone's doctors, planning, anomalies and survey answers, and the decisions without the whole "
              "bilan (403 on the assessment, its exports and report)."]
    return lines


def _life_cycle() -> list[str]:
    lines = ["## Life cycle", "", "| step | from | to | who |", "|---|---|---|---|"]
    for transition, rule in RULES.items():
        sources = ", ".join(f"`{s.value}` ({STATUS_LABELS[s]})" for s in rule.source)
        lines.append(f"| `{transition.value}`: {rule.label} | {sources} | `{rule.target.value}` | "
                     f"{', '.join(rule.roles)} |")
    lines += ["", "A step asked too early or too late answers 409 `TRANSITION_REFUSED`, naming the missing step; "
              "each step is kept in the pilot's history (who, when, from, to)."]
    return lines


def _pages(app: Any) -> list[str]:
    """The French pages (HTML, not in the OpenAPI schema): every route of the app outside /api."""
    from fastapi.routing import APIRoute

    lines = ["## Web pages", "", "Signed in with a password (`preserie accounts password NAME`), a session cookie "
             "(HttpOnly, SameSite=Lax, Secure over HTTPS) and a CSRF token in every form; each page shows what the "
             "JSON API would give the same account, and another party's pilot is the same 404 page as none.", "",
             "| method | path | what |", "|---|---|---|"]

    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield route
            elif hasattr(route, "original_router"):  # an included router (FastAPI ≥ 0.165 keeps it whole)
                yield from walk(route.original_router.routes)

    for route in walk(app.routes):
        if not route.path.startswith("/api/"):
            lines += [f"| {method} | `{route.path}` | {route.summary or ''} |"
                      for method in sorted(route.methods or ())]
    return lines


def _errors() -> list[str]:
    lines = ["## Errors", "", "| code | HTTP | message |", "|---|---|---|"]
    lines += [f"| `{code}` | {kind.status} | {kind.message} |" for code, kind in ERRORS.items()]
    return lines


def render() -> str:
    from preserie.api.app import create_app
    from preserie.config import ServiceSettings

    app = create_app(ServiceSettings())
    schema = app.openapi()
    return "\n".join([HEADER, *_roles(), "", *_life_cycle(), "", *_routes(schema), "", *_pages(app), "",
                      *_errors()]) + "\n"


if __name__ == "__main__":
    print(render(), end="")
