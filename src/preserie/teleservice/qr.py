"""The QR code of a prescription: it carries the id only (SPEC §3), printed under it as text in the SVG."""

from __future__ import annotations

import io

import segno

_SCALE, _BORDER, _TEXT_HEIGHT = 4, 4, 24
# One data mask for every code (ISO/IEC 18004 § 7.8: the reader takes it from the format information): choosing
# the mask of least penalty draws the code 8 times, 2.3 ms of the create's 13 ms under load (benchmarks/
# teleservice_profile.py), against 0.4 ms for one. Mask 4 is the one that choice takes most often for our ids
# (424 of 2,000 random ids); every code stays readable (tests/teleservice/test_teleservice_qr.py decodes them).
MASK = 4


def _code(prescription_id: str) -> segno.QRCode:
    return segno.make(prescription_id, error="m", micro=False, mask=MASK)


def qr_svg(prescription_id: str) -> str:
    """A standalone SVG document: the code, then the id in clear under it."""
    code = _code(prescription_id)
    width, height = code.symbol_size(scale=_SCALE, border=_BORDER)
    inner = code.svg_inline(scale=_SCALE, border=_BORDER, omitsize=False)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + _TEXT_HEIGHT}" '
            f'viewBox="0 0 {width} {height + _TEXT_HEIGHT}"><rect width="100%" height="100%" fill="#fff"/>'
            f'{inner}<text x="{width / 2:g}" y="{height + _TEXT_HEIGHT / 2:g}" text-anchor="middle" '
            f'font-family="monospace" font-size="12">{prescription_id}</text></svg>')


def qr_png(prescription_id: str) -> bytes:
    """A PNG of the code alone (segno writes PNG without an imaging library, hence no text under it)."""
    buffer = io.BytesIO()
    _code(prescription_id).save(buffer, kind="png", scale=_SCALE, border=_BORDER)
    return buffer.getvalue()
