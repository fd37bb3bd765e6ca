"""The registry's errors: a stable code, an HTTP status and a French message each (the API's 4xx, the CLI's
messages). A use case raises `RegistryError(code, detail, field=...)`; the detail says what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorKind:
    status: int
    message: str


ERRORS: dict[str, ErrorKind] = {
    "AUTH_REQUIRED": ErrorKind(401, "authentification requise : en-tête « Authorization: Bearer <jeton> »"),
    "AUTH_TOKEN_INVALID": ErrorKind(401, "jeton inconnu ou mal formé"),
    "AUTH_TOKEN_EXPIRED": ErrorKind(401, "jeton expiré : en demander un nouveau à l'administrateur"),
    "AUTH_TOKEN_REVOKED": ErrorKind(401, "jeton révoqué"),
    "WORKSTATION_TOKEN_REQUIRED": ErrorKind(401, "jeton de poste requis (prw_…) : un jeton de personne n'envoie "
                                                 "pas de traces"),
    "PERSON_TOKEN_REQUIRED": ErrorKind(401, "jeton de personne requis (prs_…) : un jeton de poste ne sert qu'à "
                                            "envoyer des traces"),
    "SIGN_IN_FAILED": ErrorKind(401, "identifiant ou mot de passe incorrect"),
    "ACCOUNT_LOCKED": ErrorKind(429, "compte verrouillé pour 15 minutes après 5 échecs de connexion"),
    "ACCOUNT_REVOKED": ErrorKind(401, "compte révoqué : s'adresser à l'administrateur du registre"),
    "FORBIDDEN_ROLE": ErrorKind(403, "action non permise à votre rôle"),
    "CSRF_REFUSED": ErrorKind(403, "formulaire expiré ou venu d'une autre page : recharger la page et recommencer"),
    "PILOT_NOT_FOUND": ErrorKind(404, "présérie introuvable"),
    "NOT_FOUND": ErrorKind(404, "introuvable"),
    "ROUTE_NOT_FOUND": ErrorKind(404, "adresse inconnue"),
    "METHOD_NOT_ALLOWED": ErrorKind(405, "méthode non permise sur cette adresse"),
    "MALFORMED_REQUEST": ErrorKind(400, "requête mal formée"),
    "INVALID_IDEMPOTENCY_KEY": ErrorKind(400, "en-tête « Idempotency-Key » requis : 1 à 128 caractères ASCII "
                                              "imprimables, un par lot"),
    "REQUEST_TOO_LARGE": ErrorKind(413, "corps de requête trop volumineux"),
    "UNSUPPORTED_MEDIA_TYPE": ErrorKind(415, "type de contenu non pris en charge"),
    "INVALID_REQUEST": ErrorKind(422, "requête invalide : voir le détail des champs"),
    "INVALID_DECLARATION": ErrorKind(422, "déclaration de la présérie invalide : voir le détail des champs"),
    "TRANSITION_REFUSED": ErrorKind(409, "étape refusée à ce stade de la présérie"),
    "ALREADY_EXISTS": ErrorKind(409, "existe déjà"),
    "IDEMPOTENCY_KEY_REUSED": ErrorKind(409, "clé d'idempotence déjà employée pour un autre lot de ce poste"),
    "TRACES_CLOSED": ErrorKind(410, "traces désactivées : la présérie est validée"),
    "TOO_MANY_REQUESTS": ErrorKind(429, "trop de lots envoyés : réessayer après le délai indiqué (Retry-After)"),
    "SANDBOX_NOT_CONFIGURED": ErrorKind(409, "aucun bac à sable pour ce service : le démarrer avec "
                                             "PRESERIE_TELESERVICE_URL et PRESERIE_TELESERVICE_TOKEN"),
    "SANDBOX_UNAVAILABLE": ErrorKind(502, "le bac à sable n'a pas donné l'extrait du registre"),
    "INPUT_UNUSABLE": ErrorKind(422, "données de la présérie inutilisables pour le bilan"),
    "DATABASE_UNAVAILABLE": ErrorKind(503, "base de données indisponible : réessayer plus tard"),
    "SERVICE_UNAVAILABLE": ErrorKind(503, "service momentanément indisponible : réessayer plus tard"),
    "INTERNAL_ERROR": ErrorKind(500, "erreur interne"),
}


class RegistryError(Exception):
    """A refused request: its code (ERRORS), what to fix, and where (a field's path)."""

    def __init__(self, code: str, detail: str | None = None, *, field: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        assert code in ERRORS, code
        self.code, self.detail, self.field, self.details = code, detail, field, details
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return ERRORS[self.code].status

    @property
    def message(self) -> str:
        base = ERRORS[self.code].message
        return f"{base} : {self.detail}" if self.detail else base

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body
