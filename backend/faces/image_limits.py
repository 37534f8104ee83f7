"""How many pixels a photo may have, decided from its header before any pixel is decoded.

Detection searches at most 1,024 px a side, so a picture's own size buys nothing beyond what
its decoder costs, and the caps follow that cost. A JPEG is decoded straight at 1/2 to 1/8
scale, so it may have up to 50 megapixels (phones' largest ordinary mode). Other formats are
decoded at full size, so they may have up to 16 megapixels (a 4-byte-a-pixel picture then
holds 64 MB; a 5K screenshot has 14.7). Within those, a picture is refused when what its
decoder holds at full size would pass DECODE_BUDGET, 64 MB: a process with the detector
loaded (about 195 MB) decoding in two slots at once then stays near 350 MB, under 400.

Bytes held per pixel at full size, measured (bench/image_bombs.py):

- PNG, GIF, BMP: Pillow's own copy, 1 byte for palette and grey pictures, 2 for 16-bit grey,
  4 for every other mode.
- WebP: 4 for Pillow's copy, and 12 more: libwebp's canvas, its copy of the canvas, and the
  frame handed to Pillow as bytes.
- JPEG: nothing when the first scan holds every colour component; libjpeg then decodes row by
  row, at the reduced scale. A progressive JPEG, or one whose first scan leaves a component
  out, makes libjpeg keep every DCT coefficient of the picture: 2 bytes per sample.

The caps are those of a decode at reduced size, as the API does; a full-size decode (no
longest_side, for tools and tests) holds its full-size result besides.
"""

from __future__ import annotations

from PIL import Image

from backend.faces.errors import ImageTooLarge

MAX_PIXELS = 50_000_000  # for a JPEG, decoded at reduced scale
FULL_DECODE_MAX_PIXELS = 16_000_000  # for the formats decoded at full size
DECODE_BUDGET = 64_000_000  # bytes one decode may hold at full size
TOO_MANY_PIXELS = "That picture is too large. Please use one under {megapixels} megapixels."

_STORED_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2}  # Pillow keeps other modes in 4 bytes
_WEBP_DECODER_BYTES = 12
_JPEG_SCAN_START = 0xDA
_JPEG_MARKERS_WITHOUT_LENGTH = {0x01, *range(0xD0, 0xD9)}


def check_pixels(picture: Image.Image, data: bytes, *, max_pixels: int) -> None:
    """Raise ImageTooLarge unless `picture` (opened from `data`, not loaded) fits its cap."""
    cap = pixel_cap(picture, data, max_pixels=max_pixels)
    if picture.width * picture.height > cap:
        raise ImageTooLarge(TOO_MANY_PIXELS.format(megapixels=cap // 1_000_000))


def pixel_cap(picture: Image.Image, data: bytes, *, max_pixels: int) -> int:
    """The most pixels `picture`'s format and layout may have, at most max_pixels."""
    held = held_per_pixel(picture, data)
    jpeg = picture.format in ("JPEG", "MPO")
    cap = min(max_pixels, MAX_PIXELS if jpeg else FULL_DECODE_MAX_PIXELS)
    return cap if held == 0 else min(cap, int(DECODE_BUDGET / held))


def held_per_pixel(picture: Image.Image, data: bytes) -> float:
    """Bytes the decoder of `picture` holds for each of its pixels, at full size."""
    if picture.format in ("JPEG", "MPO"):
        return _jpeg_coefficient_bytes(picture, data)
    stored = _STORED_BYTES.get(picture.mode, 4)
    return stored + (_WEBP_DECODER_BYTES if picture.format == "WEBP" else 0)


def _jpeg_coefficient_bytes(picture: Image.Image, data: bytes) -> float:
    """2 bytes per sample when libjpeg must buffer every coefficient, else 0."""
    components = picture.layer  # type: ignore[attr-defined]  # (id, h, v, table) each
    if not picture.info.get("progressive") and _first_scan_components(data) == len(components):
        return 0
    widest = max(h for _, h, _, _ in components)
    tallest = max(v for _, _, v, _ in components)
    return 2 * sum(h * v for _, h, v, _ in components) / (widest * tallest)


def _first_scan_components(data: bytes) -> int:
    """How many colour components the first scan of a JPEG holds (0 if none is found)."""
    position = 2  # after the start-of-image marker
    while position + 4 < len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        if marker == 0xFF or marker in _JPEG_MARKERS_WITHOUT_LENGTH:
            position += 1 if marker == 0xFF else 2
            continue
        if marker == _JPEG_SCAN_START:
            return data[position + 4]
        position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return 0
