"""The API's JSON shapes, named by role: ``...Create`` comes in, ``...Public`` goes out."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from preserie.teleservice.catalogue import IN_SCOPE_CATEGORIES
from preserie.teleservice.limits import MAX_ERROR_DETAILS

# Stored text holds no control character: PostgreSQL refuses NUL in text (a 500 Schemathesis found) and a prescription
# has no use for the others; only the free text of a line keeps tabs and line breaks.
ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
FREE_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# The shape preserie.domain.identifiers.check_nir checks, its key aside (no pattern can compute it): sex 1-4, 7 or
# 8, year, month 01-12 or 20-99, department (2A and 2B for Corsica), 8 more digits of which the key. Published, not
# enforced by pydantic: the server's own check answers INVALID_NIR with the reason (and the expected key).
NIR_PATTERN = r"^[1-478][0-9]{2}(0[1-9]|1[0-2]|[2-9][0-9])(2[AB]|[0-9]{2})[0-9]{8}$"
# The categories, published as an enum but checked by the server, which tells an out-of-scope one
# (CATEGORY_OUT_OF_SCOPE) from an unknown one (UNKNOWN_CATEGORY).
# A prescription id's shape; its check character is checked by the server (INVALID_PRESCRIPTION_ID says which).
ID_PATTERN = "^[0-9A-Z]{18}$"
CATEGORY_ENUM: JsonDict = {"enum": list(IN_SCOPE_CATEGORIES)}


def _iso_day(value: object) -> object:
    """Only ``AAAA-MM-JJ``: pydantic alone also reads a number as a Unix time (``from=0`` was 1970-01-01)."""
    if isinstance(value, date) or (isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)):
        return value
    raise ValueError("date AAAA-MM-JJ attendue")


IsoDay = Annotated[date, BeforeValidator(_iso_day)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _few_unknown_keys(cls, data: Any) -> Any:
        """Past MAX_ERROR_DETAILS unknown keys, one error for them all: pydantic makes one per key, and FastAPI copies
        each on the event loop (200,000 keys held every call 4 s; 18,000, under the body cap, 250 ms)."""
        if isinstance(data, dict) and len(data) > len(cls.model_fields) + MAX_ERROR_DETAILS:
            unknown = [str(key) for key in data if key not in cls.model_fields]
            raise ValueError(f"{len(unknown)} champs inconnus : {', '.join(unknown[:5])}…")
        return data


class PosologyCreate(_In):
    """The posology as prescribed (text) and, when the software structures it, as FHIR R4's Dosage does."""

    text: str = Field(min_length=1, max_length=1000, pattern=FREE_TEXT, description="Posologie en texte, telle que "
                      "prescrite (ex. « 1 comprimé matin et soir pendant 5 jours »).")
    dose: float | None = Field(None, gt=0, le=10_000, description="Dose par prise (Dosage.doseAndRate.doseQuantity).")
    unit: str | None = Field(None, min_length=1, max_length=40, pattern=ONE_LINE, description="Unité de la dose.")
    frequency: int | None = Field(None, ge=1, le=48, description="Prises par période (Timing.repeat.frequency).")
    period: float | None = Field(None, gt=0, le=1000, description="Durée d'une période (Timing.repeat.period).")
    period_unit: Literal["h", "d", "wk", "mo"] | None = Field(None, description="Unité UCUM de la période.")


class CoverageCreate(_In):
    """How the line is paid (the flags of the French prescription forms)."""

    ald: bool = Field(False, description="En rapport avec l'affection de longue durée (ordonnance bizone).")
    at_mp: bool = Field(False, description="En rapport avec un accident du travail ou une maladie professionnelle.")
    prevention: bool = Field(False, description="Acte ou produit de prévention.")
    non_reimbursable: bool = Field(False, description="Non remboursable (mention « NR »).")


class LineCreate(_In):
    # The rule of _code_or_text, published: a client (or Schemathesis) reading the schema knows a bare quantity is no
    # line.
    model_config = ConfigDict(json_schema_extra={"anyOf": [
        {"properties": {"code": {"type": "string"}}, "required": ["code"]},
        {"properties": {"text": {"type": "string"}}, "required": ["text"]}]})

    code: str | None = Field(None, min_length=1, max_length=64, pattern=ONE_LINE,
                             description="Code du produit ou de l'acte.")
    text: str | None = Field(None, min_length=1, max_length=1000, pattern=FREE_TEXT,
                             description="Libellé ou prescription en texte.")
    quantity: int = Field(ge=1, le=999)
    duration_days: int | None = Field(None, ge=1, le=366)
    posology: PosologyCreate | None = Field(None, description="Requise pour un médicament (POSOLOGY_REQUIRED).")
    renewals: int = Field(0, ge=0, le=11, description="Renouvellements (dispenseRequest.numberOfRepeatsAllowed).")
    substitution_allowed: bool | None = Field(None, description="Médicaments seulement : false pour « non "
                                                                "substituable » ; absent : substituable.")
    coverage: CoverageCreate = Field(default_factory=lambda: CoverageCreate.model_validate({}))

    @model_validator(mode="after")
    def _code_or_text(self) -> LineCreate:
        if self.code is None and self.text is None:
            raise ValueError("une ligne porte un code ou un texte")
        return self


class SoftwareCreate(_In):
    name: str = Field(min_length=1, max_length=100, pattern=ONE_LINE)
    version: str = Field(min_length=1, max_length=50, pattern=ONE_LINE)


class ConsentsCreate(_In):
    dispensing_visible_to_prescriber: bool
    dmp_deposit: bool


class StructureCreate(_In):
    kind: Literal["am", "finess"] = Field(description="am : N° AM du cabinet libéral ; finess : FINESS du centre.")
    id: str = Field(min_length=9, max_length=9, pattern="^[0-9AB]{9}$", description="9 caractères, clé contrôlée.")


class PrescriberCreate(_In):
    """Who prescribes and where, as the prescription carries it (the token's id is the billing number)."""

    rpps: str = Field(min_length=11, max_length=11, pattern="^[0-9]{11}$", description="RPPS, clé de Luhn contrôlée.")
    structure: StructureCreate


class PrescriptionCreate(_In):
    id: str = Field(max_length=32, json_schema_extra={"pattern": ID_PATTERN}, description=(
        "Identifiant unique généré par le logiciel du prescripteur (et porté par le QR code) : 17 caractères puis "
        "un caractère de contrôle ISO/IEC 7064 MOD 37,36 (`preserie teleservice new-id`)."))
    category: str = Field(max_length=32, json_schema_extra=CATEGORY_ENUM,
                          description="Catégorie du périmètre de l'ordonnance numérique ; imaging et transport sont "
                                      "refusées.")
    patient_nir: str = Field(max_length=32, json_schema_extra={"pattern": NIR_PATTERN},
                             description="NIR du patient, 15 caractères, clé contrôlée.")
    prescriber: PrescriberCreate
    authored_on: IsoDay | None = Field(None, description="Date de la prescription (heure de Paris) ; défaut : le "
                                       "jour de la création. Antérieure pour un enregistrement différé.")
    valid_until: IsoDay | None = Field(None, description="Dernier jour de validité ; défaut : 90 jours après "
                                       "authored_on. Passé ce jour, 410 PRESCRIPTION_EXPIRED.")
    execute_on: IsoDay | None = Field(None, description="Date d'exécution souhaitée, dans la période de validité.")
    lines: list[LineCreate] = Field(min_length=1, max_length=50)
    software: SoftwareCreate
    consents: ConsentsCreate


class PrescriptionCreated(BaseModel):
    id: str
    url: str
    qr_svg: str = Field(description="Le QR code (SVG) ; il ne porte que l'identifiant.")
    qr_svg_url: str
    qr_png_url: str


class DispensedLineCreate(_In):
    line: int = Field(ge=1, le=50, description="Numéro de la ligne de prescription (à partir de 1).")
    quantity: int = Field(ge=1, le=999)


class DispensationCreate(_In):
    # uniqueItems says that identical items are refused; no JSON Schema keyword says "distinct by line": the
    # description does.
    lines: list[DispensedLineCreate] = Field(min_length=1, max_length=50, json_schema_extra={"uniqueItems": True},
                                             description="Chaque numéro de ligne au plus une fois par délivrance.")

    @model_validator(mode="after")
    def _each_line_once(self) -> DispensationCreate:
        if len({item.line for item in self.lines}) != len(self.lines):
            raise ValueError("chaque ligne au plus une fois par délivrance")
        return self


class LinePublic(BaseModel):
    number: int
    code: str | None
    code_system: str | None = Field(description="cip13, lpp, nabm ou ngap : le système de la catégorie.")
    text: str | None
    quantity: int
    duration_days: int | None
    posology: PosologyCreate | None
    renewals: int
    substitution_allowed: bool | None
    coverage: CoverageCreate
    dispensed: int | None = Field(description="Quantité délivrée ; null quand le patient s'y oppose pour le "
                                              "prescripteur.")


class DispensationPublic(BaseModel):
    id: int
    dispenser_id: str
    dispenser_role: str
    dispensed_at: datetime
    lines: list[DispensedLineCreate]


class PrescriptionPublic(BaseModel):
    id: str
    category: str
    prescriber_id: str
    patient_nir: str
    created_at: datetime
    prescriber: PrescriberCreate | None = Field(description="null pour une prescription d'avant la version 4.")
    authored_on: date | None
    valid_until: date | None
    execute_on: date | None
    cancelled_at: datetime | None
    status: str | None = Field(description="issued, partially_dispensed, dispensed, cancelled ou expired ; null "
                                           "quand la délivrance est masquée au prescripteur.")
    software: SoftwareCreate
    consents: ConsentsCreate
    dispensing_visible: bool = Field(description="La délivrance figure-t-elle dans cette réponse ?")
    lines: list[LinePublic]
    dispensations: list[DispensationPublic]


class SearchPage(BaseModel):
    items: list[PrescriptionPublic]
    total: int
    page: int
    size: int


class ErrorPublic(BaseModel):
    code: str = Field(description="Code stable du catalogue d'erreurs.")
    message: str = Field(description="Message en français.")
    details: list[dict[str, Any]] | None = Field(None, description="Les premières erreurs des champs (20 au plus).")
    details_total: int | None = Field(None, description="Le nombre de toutes les erreurs des champs.")
