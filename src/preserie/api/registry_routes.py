"""Routes beside the pilots: the health probe, the audit log (Cnam), the modules and products (which of a
vendor's products a validated présérie covers)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import text

from preserie.api.deps import CallerDep, RegistryDep
from preserie.api.schemas import ModuleCreate, ProductCreate
from preserie.domain.access import Role
from preserie.services import pilots
from preserie.services.errors import RegistryError

router = APIRouter(prefix="/api/v1")


@router.get("/health", tags=["service"], summary="Sonde : le service et sa base répondent")
def health(registry: RegistryDep) -> dict[str, str]:
    with registry.repo.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/audit", tags=["service"], summary="Le journal d'audit : qui a lu ou changé quoi (Cnam)")
def audit(registry: RegistryDep, caller: CallerDep, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
          offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[dict[str, Any]]:
    if caller.role != Role.CNAM:
        raise RegistryError("FORBIDDEN_ROLE", "le journal d'audit : réservé à la Cnam")
    # A vendor's draft is its own until it sends it: the Cnam sees who called which route, not the draft's key.
    seen = {p.key for p in pilots.listed(registry, caller)}
    return [{**entry, "pilot": entry["pilot"] if entry["pilot"] in seen or entry["pilot"] is None else "(masqué)"}
            for entry in registry.repo.audit_log(limit=limit, offset=offset)]


def _vendor(caller: Any, what: str) -> str:
    if caller.role != Role.VENDOR or caller.vendor is None:
        raise RegistryError("FORBIDDEN_ROLE", f"{what} : réservé aux éditeurs")
    return str(caller.vendor)


@router.get("/modules", tags=["produits"], summary="Les modules d'ordonnance numérique (un éditeur : les siens)")
def modules(registry: RegistryDep, caller: CallerDep) -> list[dict[str, Any]]:
    return registry.repo.modules(caller.vendor if caller.role == Role.VENDOR else None)


@router.post("/modules", status_code=201, tags=["produits"], summary="Déclarer un module (éditeur)")
def add_module(body: ModuleCreate, registry: RegistryDep, caller: CallerDep) -> dict[str, Any]:
    vendor = _vendor(caller, "déclarer un module")
    if any(m["name"] == body.name for m in registry.repo.modules(vendor)):
        raise RegistryError("ALREADY_EXISTS", f"module « {body.name} »", field="name")
    module_id = registry.repo.add_module(vendor, body.name, body.description)
    return {"id": module_id, "vendor": vendor, "name": body.name, "description": body.description}


@router.get("/products", tags=["produits"],
            summary="Les logiciels et s'ils peuvent être généralisés (module validé, même public, moteur propre)")
def products(registry: RegistryDep, caller: CallerDep,
             deployable: bool | None = None) -> list[dict[str, Any]]:
    rows = registry.repo.products(caller.vendor if caller.role == Role.VENDOR else None)
    listed = [{**row, "deployable": bool(row["validated_pilots"]) and not row["third_party_engine"]}
              for row in rows]
    return [row for row in listed if deployable is None or row["deployable"] == deployable]


@router.post("/products", status_code=201, tags=["produits"], summary="Déclarer un logiciel et son module (éditeur)")
def add_product(body: ProductCreate, registry: RegistryDep, caller: CallerDep) -> dict[str, Any]:
    vendor = _vendor(caller, "déclarer un logiciel")
    if body.module_id is not None and not any(m["id"] == body.module_id for m in registry.repo.modules(vendor)):
        raise RegistryError("NOT_FOUND", f"aucun module n° {body.module_id} de votre éditeur", field="module_id")
    if any(p["name"] == body.name for p in registry.repo.products(vendor)):
        raise RegistryError("ALREADY_EXISTS", f"logiciel « {body.name} »", field="name")
    product_id = registry.repo.add_product(vendor=vendor, **body.model_dump())
    return {"id": product_id, "vendor": vendor, **body.model_dump()}
