"""The FHIR route as FHIR servers serve it (R4, "RESTful API" and "OperationOutcome"): ``GET
/v1/prescriptions/{id}/fhir`` answers a Bundle, and every error on it, the token's included, as an
``OperationOutcome``; ``_format`` (which overrides ``Accept``, as R4 says) and ``Accept`` are honoured, and what is not
served (XML, Turtle, anything else) is 406 ``NOT_ACCEPTABLE``, itself an OperationOutcome in JSON.

NHS EPS and gematik's E-Rezept-Fachdienst both answer their FHIR errors as OperationOutcome (docs/decisions/
0007-sandbox-fidelity.md); the sandbox's own JSON routes keep ``{"code", "message"}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from preserie.teleservice.catalogue import TeleserviceError
from preserie.teleservice.fhir import BUNDLE_JSON_SCHEMA, FHIR_JSON, prescription_bundle
from preserie.teleservice.routes import CallerDep, StoreDep, visible
from preserie.teleservice.views import is_dispensing_shown

# What the route serves: JSON only. R4 lists these _format values for JSON (and xml, ttl for the others).
JSON_FORMATS = frozenset({"json", "application/json", FHIR_JSON})
JSON_MEDIA = frozenset({"application/json", FHIR_JSON, "application/*", "*/*"})
OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array", "items": {
        "type": "object", "required": ["severity", "code"],
        "properties": {"severity": {"const": "error"}, "code": {"type": "string"}, "diagnostics": {"type": "string"},
                       "details": {"type": "object"}}}}},
}


def _acceptable(accept: str) -> bool:
    """Whether an Accept header admits JSON (a range with q=0 refuses it).

    >>> _acceptable("application/fhir+xml"), _acceptable("application/fhir+json;q=0.9, */*;q=0.1"), _acceptable("")
    (False, True, True)
    """
    if not accept.strip():
        return True
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        quality = next((p.split("=", 1)[1] for p in params if p.replace(" ", "").startswith("q=")), "1")
        try:
            refused = float(quality) == 0
        except ValueError:
            refused = False
        if media.lower() in JSON_MEDIA and not refused:
            return True
    return False


async def negotiate(request: Request,
                    format_: Annotated[str | None, Query(alias="_format", description=(
                        "Format de la réponse (R4) : json, application/json ou application/fhir+json ; il l'emporte "
                        "sur Accept. xml, ttl et tout autre : 406."))] = None,
                    accept: Annotated[str | None, Header(include_in_schema=False)] = None) -> None:
    """406 NOT_ACCEPTABLE for a format the route does not serve; runs before the token is read."""
    request.state.fhir = True
    if format_ is not None:
        if format_.strip().lower() not in JSON_FORMATS:
            raise TeleserviceError("NOT_ACCEPTABLE", f"_format={format_[:40]}")
    elif accept is not None and not _acceptable(accept):
        raise TeleserviceError("NOT_ACCEPTABLE", f"Accept: {accept[:60]}")


_OUTCOME = {"content": {FHIR_JSON: {"schema": OUTCOME_SCHEMA}}}
router = APIRouter(prefix="/v1", tags=["FHIR"])


@router.get("/prescriptions/{prescription_id}/fhir", name="fhir", response_class=Response,
            dependencies=[Depends(negotiate)],
            responses={200: {"content": {FHIR_JSON: {"schema": BUNDLE_JSON_SCHEMA}}},
                       **{status: {**_OUTCOME, "description": "OperationOutcome"}
                          for status in (400, 401, 403, 404, 406, 408, 410, 422, 429, 500, 503, 504)}},
            response_description="Bundle FHIR R4 de type collection : une ressource par ligne.")
async def prescription_fhir(prescription_id: str, caller: CallerDep, store: StoreDep,
                            request: Request) -> Response:
    """La prescription en FHIR R4 : un MedicationRequest par ligne (médicaments, dispositifs) ou un ServiceRequest
    (actes), reliés par l'identifiant de la prescription (groupIdentifier, requisition pour un ServiceRequest) ;
    mêmes droits et même masquage de la délivrance que la consultation. Erreurs : OperationOutcome."""
    record = await visible(store, caller, prescription_id, request)
    bundle = prescription_bundle(record, dispensing_shown=is_dispensing_shown(record, caller))
    return JSONResponse(bundle, media_type=FHIR_JSON)
