"""The prescription's QR code, read back by an independent decoder (zxing-cpp): every code the sandbox draws, with
its one fixed data mask (teleservice/qr.py), carries exactly the prescription's id."""

from __future__ import annotations

import io

import segno
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from preserie.teleservice.ids import ALPHABET, PAYLOAD_LENGTH, new_prescription_id, with_check_character
from preserie.teleservice.qr import MASK, qr_png, qr_svg


def _read(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_two_hundred_new_ids_read_back_from_their_png() -> None:
    for prescription_id in (new_prescription_id() for _ in range(200)):
        assert _read(qr_png(prescription_id)) == [prescription_id]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=PAYLOAD_LENGTH, max_size=PAYLOAD_LENGTH))
def test_any_id_of_the_rule_reads_back(payload: str) -> None:
    prescription_id = with_check_character(payload)
    assert _read(qr_png(prescription_id)) == [prescription_id]


def test_every_code_has_the_fixed_mask_and_the_svg_draws_the_png_code() -> None:
    prescription_id = new_prescription_id()
    code = segno.make(prescription_id, error="m", micro=False, mask=MASK)
    assert code.mask == MASK
    assert code.svg_inline(scale=4, border=4, omitsize=False) in qr_svg(prescription_id)
    assert prescription_id in qr_svg(prescription_id)  # the id in clear under the code

