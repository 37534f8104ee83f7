"""Decompression bombs: small files whose pixels take far more memory than their bytes.

- `declaring(fmt, width, height)`: a real 16 x 16 picture whose header is rewritten to claim
  width x height; decoding it fails (its data holds 256 pixels), so a refusal with 413 proves
  the size was judged from the header alone.
- `solid(fmt, width, height, mode, **options)`: a real picture of one colour, which every
  codec squeezes to a few KB; decoding it costs the full size.
- `OVER_CAPS` and `WITHIN_CAPS`: the audit's bombs and the worst pictures each format's cap
  (backend/faces/image_limits.py) lets through, as (name, how to make the bytes).

The benchmark bench/image_bombs.py uses this module too.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from collections.abc import Callable

from PIL import Image

FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
_COLOURS = {"RGB": (40, 90, 160), "RGBA": (40, 90, 160, 128), "CMYK": (40, 90, 160, 0)}


def encoded(picture: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def solid(fmt: str, width: int, height: int, mode: str = "RGB", **options: object) -> bytes:
    """A width x height picture of one colour (transparent where the mode has alpha)."""
    colour = _COLOURS.get(mode, 3)
    return encoded(Image.new(mode, (width, height), colour), fmt, **options)


def side_for(megapixels: float) -> int:
    """The side of the largest square under `megapixels`."""
    return math.isqrt(int(megapixels * 1_000_000))


def declaring(fmt: str, width: int, height: int, **options: object) -> bytes:
    """A 16 x 16 picture of `fmt` (saved with `options`) whose header claims width x height."""
    small = bytearray(solid(fmt, 16, 16, **(options or _SMALL_OPTIONS.get(fmt, {}))))
    _REWRITE[fmt](small, width, height)
    return bytes(small)


# A lossless WebP has the simplest header; a progressive JPEG's cap is below 49 megapixels.
_SMALL_OPTIONS: dict[str, dict[str, object]] = {
    "WEBP": {"lossless": True},
    "JPEG": {"progressive": True},
}


def _png(data: bytearray, width: int, height: int) -> None:
    data[16:24] = struct.pack(">II", width, height)  # IHDR, then its CRC
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))


def _jpeg(data: bytearray, width: int, height: int) -> None:
    frame = data.find(b"\xff\xc0")  # start of frame: length, precision, height, width
    frame = frame if frame >= 0 else data.index(b"\xff\xc2")  # progressive
    data[frame + 5 : frame + 9] = struct.pack(">HH", height, width)


def _gif(data: bytearray, width: int, height: int) -> None:
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen...
    descriptor = data.index(b"\x2c\x00\x00\x00\x00")  # ...and the first frame, at 0, 0
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)


def _bmp(data: bytearray, width: int, height: int) -> None:
    data[18:26] = struct.pack("<ii", width, height)


def _webp(data: bytearray, width: int, height: int) -> None:
    assert data[12:16] == b"VP8L", "a simple lossless WebP"
    (bits,) = struct.unpack("<I", data[21:25])  # after the 0x2f signature: 14 + 14 bits
    bits = (bits & ~0x0FFFFFFF) | (width - 1) | (height - 1) << 14
    data[21:25] = struct.pack("<I", bits)


_REWRITE: dict[str, Callable[[bytearray, int, int], None]] = {
    "PNG": _png,
    "JPEG": _jpeg,
    "GIF": _gif,
    "BMP": _bmp,
    "WEBP": _webp,
}


def first_scan_of_one_component(jpeg: bytes) -> bytes:
    """The JPEG with its first scan header claiming one component: libjpeg then buffers."""
    data = bytearray(jpeg)
    data[data.index(b"\xff\xda") + 4] = 1  # after the marker and length: the component count
    return bytes(data)


def gif_frame_beyond_screen(width: int, height: int) -> bytes:
    """A GIF whose screen is 16 x 16 but whose first frame claims width x height."""
    data = bytearray(solid("GIF", 16, 16, "P"))
    descriptor = data.index(b"\x2c\x00\x00\x00\x00")
    data[descriptor + 5 : descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def bmp_run_length(width: int, height: int) -> bytes:
    """An 8-bit run-length BMP of one colour (Pillow can read these but not write them)."""
    runs = bytearray()
    for _ in range(height):
        left = width
        while left:
            runs += bytes((min(255, left), 1))
            left -= min(255, left)
        runs += b"\x00\x00"  # end of line
    runs += b"\x00\x01"  # end of bitmap
    palette = b"".join(bytes((value, value, value, 0)) for value in range(256))
    offset = 14 + 40 + len(palette)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(runs), 2835, 2835, 256, 0)
    head = b"BM" + struct.pack("<IHHI", offset + len(runs), 0, 0, offset)
    return head + info + palette + bytes(runs)


# The audit's bombs: ~49 megapixels each, all refused now (413), all decoded before.
OVER_CAPS: dict[str, Callable[[], bytes]] = {
    "PNG 7000 x 7000": lambda: solid("PNG", 7000, 7000),
    "WebP 7000 x 7000": lambda: solid("WEBP", 7000, 7000, lossless=True),
    "progressive JPEG 7000 x 7000": lambda: solid(
        "JPEG", 7000, 7000, quality=10, progressive=True, subsampling=0
    ),
    "GIF frame 7000 x 7000 on a 16 x 16 screen": lambda: gif_frame_beyond_screen(7000, 7000),
}

# The worst each format's cap lets through, with a longest_side decode (as /imageurl does).
WITHIN_CAPS: dict[str, Callable[[], bytes]] = {
    "PNG RGBA 16 MP": lambda: solid("PNG", side_for(16), side_for(16), "RGBA"),
    "PNG palette, transparent, 16 MP": lambda: solid(
        "PNG", side_for(16), side_for(16), "P", transparency=3
    ),
    "WebP RGBA 4 MP": lambda: solid("WEBP", side_for(4), side_for(4), "RGBA"),
    "GIF 16 MP": lambda: solid("GIF", side_for(16), side_for(16), "P"),
    "JPEG 50 MP": lambda: solid("JPEG", side_for(50), side_for(50), quality=10),
    "progressive JPEG 4:4:4 10.6 MP": lambda: solid(
        "JPEG", side_for(10.6), side_for(10.6), quality=10, progressive=True, subsampling=0
    ),
    "progressive JPEG CMYK 8 MP": lambda: solid(
        "JPEG", side_for(8), side_for(8), "CMYK", quality=10, progressive=True
    ),
}
