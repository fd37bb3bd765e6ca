"""The API's typed dependencies: the registry the app was built with, and the caller its token stands for."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from preserie.domain.access import Caller
from preserie.services.accounts import authenticate
from preserie.services.errors import RegistryError
from preserie.services.registry import Registry


def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


def get_caller(request: Request) -> Caller:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise RegistryError("AUTH_REQUIRED")
    if scheme.lower() != "bearer" or not token.strip():
        raise RegistryError("AUTH_TOKEN_INVALID")
    caller = authenticate(request.app.state.registry.repo, request.app.state.secret, token.strip())
    request.state.caller = caller  # for the audit log
    return caller


RegistryDep = Annotated[Registry, Depends(get_registry)]
CallerDep = Annotated[Caller, Depends(get_caller)]
