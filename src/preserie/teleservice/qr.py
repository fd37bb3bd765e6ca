"""The QR code of a prescription: it carries the id only (SPEC §3), printed under it as text in the SVG."""

from __future__ import annotations

import io

import segno

_SCALE, _BORDER, _TEXT_HEIGHT = 4, 4, 24


def _code(prescription_id: str) -> segno.QRCode:
    return segno.make(prescription_id, error="m", micro=False)


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
