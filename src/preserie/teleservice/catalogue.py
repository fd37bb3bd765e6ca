"""What the sandbox knows as data: categories, roles, and the catalogue of its errors.

Every error has a stable code, a French message and an HTTP status in the class SPEC §6 (C3) expects: a malformed
request from the software is 400/409/422 (`software`), a refused token 401 and a refused role 403
(`authentication`), an unknown prescription 404 (`not_found`), a failure of the sandbox itself 5xx (`teleservice`).
The categories repeat SPEC §3 because this app imports nothing of preserie but the identifier checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# SPEC §3: the categories of the ordonnance numérique; imaging and transport are never e-prescriptions.
IN_SCOPE_CATEGORIES = ("medicines", "medical_devices", "biology", "nursing", "physiotherapy", "speech_therapy",
                       "orthoptics", "podiatry")
OUT_OF_SCOPE_CATEGORIES = ("imaging", "transport")

PRESCRIBER = "prescriber"
# Who may dispense (carry out) a prescription of each category: the "prescribed professionals".
DISPENSERS: dict[str, tuple[str, ...]] = {
    "medicines": ("pharmacist",),
    "medical_devices": ("pharmacist", "medical_device_provider"),
    "biology": ("biologist",),
    "nursing": ("nurse",),
    "physiotherapy": ("physiotherapist",),
    "speech_therapy": ("speech_therapist",),
    "orthoptics": ("orthoptist",),
    "podiatry": ("podiatrist",),
}
PRESCRIBED_PROFESSIONS = tuple(sorted({role for roles in DISPENSERS.values() for role in roles}))
# The national registry's reader (the Cnam's side, in a rehearsal): takes registrations.csv (GET /v1/registrations)
# and nothing else; a prescription's operations answer it ROLE_NOT_ALLOWED.
REGISTRY_READER = "registry"
ROLES = (PRESCRIBER, *PRESCRIBED_PROFESSIONS, REGISTRY_READER)
MAX_PAGE_SIZE = 100  # search pages are bounded: a client cannot ask for everything at once
# What the registry may say of an e-prescription it rejects after the create (registrations.csv, reject_code);
# the offline simulator uses the same codes. Rehearsal codes: the national ones are not public.
REGISTRY_REJECT_CODES: dict[str, str] = {
    "ONS-R01": "prescripteur inconnu du registre",
    "ONS-R07": "droits du patient non ouverts à la date de la prescription",
    "ONS-R12": "lignes incohérentes avec la catégorie",
}


@dataclass(frozen=True)
class ErrorKind:
    status: int
    message: str


ERRORS: dict[str, ErrorKind] = {
    # software (SPEC §6 C3: 4xx other than 401, 403, 404, 408, 429)
    "MALFORMED_REQUEST": ErrorKind(400, "requête mal formée : corps JSON illisible"),
    "INVALID_REQUEST": ErrorKind(422, "requête invalide : voir le détail des champs"),
    "REQUEST_TOO_LARGE": ErrorKind(413, "corps de requête trop volumineux"),
    "INVALID_IDEMPOTENCY_KEY": ErrorKind(400, "en-tête Idempotency-Key invalide : 1 à 128 caractères ASCII "
                                              "imprimables"),
    "UNKNOWN_CATEGORY": ErrorKind(422, "catégorie de prescription inconnue"),
    "CATEGORY_OUT_OF_SCOPE": ErrorKind(422, "catégorie hors du périmètre de l'ordonnance numérique (imagerie, "
                                            "transports sanitaires)"),
    "INVALID_NIR": ErrorKind(422, "NIR du patient invalide"),
    "INVALID_DATE_RANGE": ErrorKind(422, "période de recherche invalide : la date de début suit la date de fin"),
    "IDEMPOTENCY_KEY_REUSED": ErrorKind(422, "clé d'idempotence déjà utilisée pour une autre requête"),
    "UNKNOWN_LINE": ErrorKind(422, "ligne de prescription inconnue"),
    "QUANTITY_EXCEEDS_REMAINING": ErrorKind(422, "quantité délivrée supérieure au reste à délivrer de la ligne"),
    "PRESCRIPTION_FULLY_DISPENSED": ErrorKind(409, "prescription déjà entièrement délivrée"),
    # The id is the prescriber's software's (ids.py): a mistyped one is told apart from one the base does not know.
    "INVALID_PRESCRIPTION_ID": ErrorKind(400, "identifiant de prescription invalide (format ou caractère de "
                                              "contrôle)"),
    "PRESCRIPTION_ID_TAKEN": ErrorKind(409, "identifiant de prescription déjà enregistré : le logiciel doit en "
                                            "générer un nouveau"),
    "METHOD_NOT_ALLOWED": ErrorKind(405, "méthode HTTP non prise en charge sur cette adresse"),
    "NOT_ACCEPTABLE": ErrorKind(406, "format de réponse non servi : application/fhir+json ou application/json"),
    # The content of a prescription (rules.py): what the public models have, bound to its category.
    "INVALID_PRESCRIBER": ErrorKind(422, "prescripteur invalide : RPPS, ou N° AM du cabinet / FINESS du centre"),
    "CODE_NOT_FOR_CATEGORY": ErrorKind(422, "code de ligne incompatible avec la catégorie de la prescription"),
    "FIELD_NOT_FOR_CATEGORY": ErrorKind(422, "champ de ligne sans objet pour cette catégorie"),
    "POSOLOGY_REQUIRED": ErrorKind(422, "posologie requise sur chaque ligne de médicament"),
    "INCONSISTENT_COVERAGE": ErrorKind(422, "prise en charge incohérente : une ligne non remboursable n'est ni ALD, "
                                            "ni AT/MP, ni prévention"),
    "INVALID_VALIDITY_PERIOD": ErrorKind(422, "période de validité invalide"),
    "INVALID_EXECUTION_DATE": ErrorKind(422, "date d'exécution souhaitée hors de la période de validité"),
    # The life cycle: a cancel comes before any dispensing; a cancelled or expired prescription is gone.
    "PRESCRIPTION_ALREADY_DISPENSED": ErrorKind(409, "prescription déjà délivrée en tout ou partie : elle ne peut "
                                                     "plus être annulée"),
    "PRESCRIPTION_CANCELLED": ErrorKind(410, "prescription annulée par son prescripteur"),
    "PRESCRIPTION_EXPIRED": ErrorKind(410, "prescription expirée : sa période de validité est passée"),
    # authentication
    "AUTH_TOKEN_MISSING": ErrorKind(401, "authentification requise : jeton porteur absent"),
    "AUTH_TOKEN_INVALID": ErrorKind(401, "jeton d'authentification invalide"),
    "AUTH_TOKEN_EXPIRED": ErrorKind(401, "jeton d'authentification expiré"),
    "ROLE_NOT_ALLOWED": ErrorKind(403, "opération non autorisée pour ce rôle"),
    "PROFESSION_NOT_PRESCRIBED": ErrorKind(403, "profession non habilitée à délivrer cette catégorie"),
    # not found
    "PRESCRIPTION_NOT_FOUND": ErrorKind(404, "prescription introuvable"),
    "ROUTE_NOT_FOUND": ErrorKind(404, "adresse inconnue du téléservice"),
    # teleservice
    "TS_INTERNAL_ERROR": ErrorKind(500, "erreur interne du téléservice"),
    "TS_DATABASE_UNAVAILABLE": ErrorKind(503, "base de données du téléservice indisponible"),
    # Only from a fault profile (faults.py): the sandbox itself neither limits rates nor goes down.
    "TS_UNAVAILABLE": ErrorKind(503, "téléservice momentanément indisponible : réessayer plus tard"),
    "TS_TOO_MANY_REQUESTS": ErrorKind(429, "trop de requêtes : réessayer après le délai indiqué (Retry-After)"),
    "TS_TIMEOUT": ErrorKind(408, "délai dépassé : la requête n'a pas abouti à temps"),
    "TS_GATEWAY_TIMEOUT": ErrorKind(504, "le téléservice n'a pas répondu à temps"),
}


class TeleserviceError(Exception):
    """An answer of the catalogue: raised anywhere in the sandbox, turned into JSON by the app."""

    def __init__(self, code: str, detail: str | None = None, *, details: list[dict[str, Any]] | None = None,
                 details_total: int | None = None, retry_after: int | None = None):
        self.code = code
        self.kind = ERRORS[code]
        self.detail = detail
        self.details = details
        self.details_total = details_total  # how many problems there were, of which ``details`` names the first
        self.retry_after = retry_after  # seconds, sent as the Retry-After header
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.kind.message} : {self.detail}" if self.detail else self.kind.message

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        if self.details_total is not None:
            body["details_total"] = self.details_total
        return body
