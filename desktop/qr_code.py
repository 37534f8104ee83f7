"""The QR code an authenticator app scans to learn a TOTP secret, drawn by segno."""

from __future__ import annotations

import io

import segno
from PySide6.QtGui import QPixmap

QUIET_ZONE = 4
"""Modules of white around the code, as ISO/IEC 18004 asks, so phones find its edges."""


def qr_pixmap(data: str, side: int, device_pixel_ratio: float = 1.0) -> QPixmap:
    """`data` as a QR code about `side` logical pixels wide (quiet zone included): dark
    modules on white whatever the theme (scanners expect it), each module a whole number of
    device pixels so the edges stay sharp."""
    code = segno.make(data, error="m", micro=False)
    modules = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    scale = max(1, round(side * device_pixel_ratio / modules))
    png = io.BytesIO()
    code.save(png, kind="png", scale=scale, border=QUIET_ZONE, dark="#000000", light="#ffffff")
    pixmap = QPixmap()
    pixmap.loadFromData(png.getvalue(), "PNG")
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    return pixmap


def grouped_secret(secret: str) -> str:
    """A base32 secret in groups of four characters, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
