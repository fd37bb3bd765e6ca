"""What the contract's tests send and read: the server under test (Target), the bodies of a create, the prescriptions
in each state (Prescriptions), the catalogue's code of an answer. The suite and how to run it: conftest.py."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from preserie.teleservice.ids import new_prescription_id
from preserie.teleservice.rules import cip13
from preserie.teleservice.stateless import EXAMPLE_PRESCRIBER, example_id

# A prescriber as the prescription carries them (every key right): the RPPS, the practice's N° AM, a centre's FINESS.
RPPS, PRACTICE_AM, CENTRE_FINESS = "10003456786", "750123457", "750000127"
# One code of each category's system (CIP13, LPP, NABM, NGAP key letters): docs/teleservice.md, « Line codes ».
CODES = {"medicines": cip13("340093000001"), "medical_devices": "1314220", "biology": "1104", "nursing": "AMI 2",
         "physiotherapy": "AMK 8", "speech_therapy": "AMO 13.5", "orthoptics": "AMY 5", "podiatry": "POD 1"}
DISPENSER = {"medicines": "pharmacist", "medical_devices": "medical_device_provider", "biology": "biologist",
             "nursing": "nurse", "physiotherapy": "physiotherapist", "speech_therapy": "speech_therapist",
             "orthoptics": "orthoptist", "podiatry": "podiatrist"}
STATES = ("issued", "partially_dispensed", "dispensed", "cancelled", "expired", "hidden")


@dataclass
class Target:
    """The server under test: its base URL, its mode, and how to get a token for a professional and a role."""

    base_url: str
    mode: str
    mint: Callable[[str, str], str]
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def stateless(self) -> bool:
        return self.mode == "stateless"

    def token(self, professional_id: str, role: str) -> str:
        if (professional_id, role) not in self._tokens:
            self._tokens[professional_id, role] = self.mint(professional_id, role)
        return self._tokens[professional_id, role]

    def client(self, role: str = "prescriber", professional_id: str | None = None) -> httpx.Client:
        """A client of ``role``; a fresh professional unless named, so that no test sees another's data."""
        who = professional_id or f"C{secrets.token_hex(5).upper()}"
        return httpx.Client(base_url=self.base_url, timeout=20,
                            headers={"Authorization": f"Bearer {self.token(who, role)}"})

    def anonymous(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=20)


# --- what the tests send ----------------------------------------------------------------------------------------


def paris_today() -> date:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def nir(body: str = "1841275123456") -> str:
    """A NIR with its key (97 - number mod 97)."""
    return body + f"{97 - int(body) % 97:02d}"


def rich_line(category: str, quantity: int = 1) -> dict[str, Any]:
    """A line as the public models have it: its category's code, a posology in text and structured, renewals and
    coverage; substitution only where it means something (medicines)."""
    line: dict[str, Any] = {
        "code": CODES[category], "text": f"ligne ({category})", "quantity": quantity, "duration_days": 30,
        "posology": {"text": "1 comprimé matin et soir pendant 30 jours", "dose": 1, "unit": "comprimé",
                     "frequency": 2, "period": 1, "period_unit": "d"},
        "renewals": 2, "coverage": {"ald": True, "at_mp": False, "prevention": False, "non_reimbursable": False}}
    if category == "medicines":
        line["substitution_allowed"] = False
    return line


def body(category: str = "medicines", *, quantities: tuple[int, ...] = (2, 1), visible: bool = True,
         prescription_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A create's body, its id made by the rule of the prescriber's software (preserie teleservice new-id)."""
    return {"id": prescription_id or new_prescription_id(), "category": category, "patient_nir": nir(),
            "prescriber": {"rpps": RPPS, "structure": {"kind": "am", "id": PRACTICE_AM}},
            "lines": [rich_line(category, q) for q in quantities],
            "software": {"name": "Contrat", "version": "1"},
            "consents": {"dispensing_visible_to_prescriber": visible, "dmp_deposit": True}, **fields}


def code_of(response: httpx.Response) -> tuple[int, str]:
    """The status and the catalogue's code of an error: ``{"code", "message"}`` on the JSON routes, an
    OperationOutcome's ``issue[0].details.coding[0].code`` on the FHIR route."""
    payload = response.json()
    if payload.get("resourceType") == "OperationOutcome":
        return response.status_code, str(payload["issue"][0]["details"]["coding"][0]["code"])
    assert payload.get("message"), payload
    return response.status_code, str(payload["code"])


@dataclass(frozen=True)
class Made:
    id: str
    prescriber: str  # the professional id of its prescriber's token
    category: str


@dataclass
class Prescriptions:
    """A prescription in a given state, to read: made through the API on a stateful server (each state by the
    calls that lead to it), the documented example on a stateless one (stateless.EXAMPLES)."""

    target: Target

    def make(self, state: str = "issued", category: str = "medicines") -> Made:
        assert state in STATES and (state == "issued" or category == "medicines")
        if self.target.stateless:
            return Made(example_id(category if state == "issued" else state), EXAMPLE_PRESCRIBER, category)
        prescriber = f"C{secrets.token_hex(5).upper()}"
        dates: dict[str, Any] = {}
        if state == "expired":  # registered late: written 120 days ago, valid until 30 days ago
            today = paris_today()
            dates = {"authored_on": (today - timedelta(days=120)).isoformat(),
                     "valid_until": (today - timedelta(days=30)).isoformat()}
        sent = body(category, visible=state != "hidden", **dates)
        with self.target.client(professional_id=prescriber) as client:
            created = client.post("/v1/prescriptions", json=sent)
            assert created.status_code == 201, created.text
            if state == "cancelled":
                assert client.post(f"/v1/prescriptions/{sent['id']}/cancel").status_code == 200
        given = {"partially_dispensed": [(1, 1)], "hidden": [(1, 1)], "dispensed": [(1, 2), (2, 1)]}.get(state)
        if given:
            with self.target.client(DISPENSER[category]) as dispenser:
                answer = dispenser.post(f"/v1/prescriptions/{sent['id']}/dispensations",
                                        json={"lines": [{"line": n, "quantity": q} for n, q in given]})
                assert answer.status_code == 201, answer.text
        return Made(sent["id"], prescriber, category)
