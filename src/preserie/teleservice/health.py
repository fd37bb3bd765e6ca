"""``GET /v1/health``: the server answers and its database runs a ``SELECT 1``, for monitoring and as the floor of
the load benchmark (benchmarks/teleservice_load.py).

No token: a probe must not hold a professional's credentials, and the answer says nothing about any prescription.
Not journaled (see app.py): the journal records the calls of the teleservice's operations, who called what, and a
probe every few seconds would drown them. A database that does not answer gives 503 ``TS_DATABASE_UNAVAILABLE``
through the app's handler of connection errors.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from preserie.teleservice.routes import on_store

HEALTH_PATH = "/v1/health"
router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: Literal["ok"]
    mode: Literal["stateful", "stateless"] = Field(description="stateless : réponses préparées, rien n'est gardé "
                                                               "(serve --stateless).")


@router.get(HEALTH_PATH, name="health", responses={503: {"description": "Base de données indisponible."}})
async def health(request: Request) -> HealthPublic:
    """Le service répond et sa base de données aussi (``SELECT 1``)."""
    store = request.app.state.store
    await on_store(request, store.ping)
    return HealthPublic(status="ok", mode="stateless" if request.app.state.settings.stateless else "stateful")
