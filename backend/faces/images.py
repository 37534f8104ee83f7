"""Turning bytes into an upright RGB pixel array, and back.

Pixel arrays are numpy uint8 arrays of shape (height, width, 3), in RGB order.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image, PngImagePlugin

from backend.faces.errors import ImageTooLarge, NotAnImage
from backend.faces.image_limits import MAX_PIXELS, TOO_MANY_PIXELS, check_pixels
from backend.faces.memory import map_big_blocks

# Photo formats (JPEG covers phones' MPO files): those the desktop app offers. AVIF and TIFF
# are left out: their decoders hold several full-size buffers their headers do not predict.
# Others are refused: EPS, for one, runs Ghostscript.
READABLE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP")
NOT_AN_IMAGE = "That file is not an image SmartBrain can read."
_TRANSPARENT_BACKGROUND = (255, 255, 255)
_TILE_SIDE = 512  # pixels a side converted to RGB at once: a tile, never the whole picture
_ORIENTATION = 0x0112
# Pillow decodes run-length BMPs in Python, a pixel at a time, holding the GIL for seconds.
_BMP_RUN_LENGTH = (1, 2)  # BmpImagePlugin's RLE8 and RLE4 compression codes

# Register every Pillow plugin now: Image.open(formats=...) only knows those already loaded.
Image.init()
# A PNG's text chunks are decompressed when it is opened, up to 64 MB by default; nothing here
# reads them, and an ICC profile fits in one chunk (each stays capped at MAX_TEXT_CHUNK).
PngImagePlugin.MAX_TEXT_MEMORY = 2 * PngImagePlugin.MAX_TEXT_CHUNK
# A decode's big buffers go back to the system when freed, not to heaps glibc keeps.
map_big_blocks()


def decode_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, longest_side: int | None = None
) -> np.ndarray:
    """Decode a photo, turned upright by its EXIF orientation, as RGB pixels.

    Grayscale, palette and transparent pictures are converted (transparency onto white); of an
    animation, the first frame is used. With longest_side, the picture comes back shrunk to
    fit it: a JPEG is decoded straight at a reduced scale, and any other picture is reduced a
    tile at a time, so no full-size RGB copy is ever made (without longest_side, the result is
    that one copy). Raises ImageTooLarge, from the header and before decoding, when the
    picture has more pixels than its format's cap (see image_limits; never more than
    max_pixels), and NotAnImage when it is not a picture.
    """
    with _open(data) as picture:
        check_pixels(picture, data, max_pixels=max_pixels)
        if longest_side is not None:
            scale = min(1.0, longest_side / max(picture.size))
            picture.draft(
                None, (math.ceil(picture.width * scale), math.ceil(picture.height * scale))
            )
        try:
            picture.load()
            factor = 1 if longest_side is None else max(1, max(picture.size) // longest_side)
            pixels = _upright(_reduced_rgb(picture, factor), picture.getexif().get(_ORIENTATION))
        except Exception as error:  # a corrupt file can fail in any decoder step
            raise NotAnImage(NOT_AN_IMAGE) from error
    return pixels if longest_side is None else shrink_to_fit(pixels, longest_side)


def shrink_to_fit(pixels: np.ndarray, longest_side: int) -> np.ndarray:
    """The picture scaled down so that neither side exceeds longest_side; never enlarged."""
    height, width = pixels.shape[:2]
    scale = longest_side / max(height, width)
    if scale >= 1:
        return pixels
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)


def encode_jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    """RGB pixels as JPEG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _open(data: bytes) -> Image.Image:
    """Read the header, refusing what is not a picture or is far too large even for Pillow."""
    try:
        picture = Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own limit (89 megapixels by default) only fires for headers bigger than ours.
        raise ImageTooLarge(TOO_MANY_PIXELS.format(megapixels=MAX_PIXELS // 1_000_000)) from error
    except Exception as error:
        raise NotAnImage(NOT_AN_IMAGE) from error
    if picture.format == "BMP" and picture.info.get("compression") in _BMP_RUN_LENGTH:
        picture.close()
        raise NotAnImage(NOT_AN_IMAGE)
    return picture


def _reduced_rgb(picture: Image.Image, factor: int) -> np.ndarray:
    """The loaded picture in RGB with each factor x factor block averaged, a tile at a time."""
    width, height = picture.size
    reduced = np.empty((-(-height // factor), -(-width // factor), 3), np.uint8)
    step = factor * max(1, _TILE_SIDE // factor)  # tiles start on block edges
    for top in range(0, height, step):
        for left in range(0, width, step):
            box = (left, top, min(left + step, width), min(top + step, height))
            tile = np.asarray(_flatten(picture.crop(box)).reduce(factor))
            row, column = top // factor, left // factor
            reduced[row : row + tile.shape[0], column : column + tile.shape[1]] = tile
    return reduced


def _flatten(picture: Image.Image) -> Image.Image:
    """The picture in RGB, with any transparency laid over a white background."""
    if picture.mode == "RGB":
        return picture
    if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
        rgba = picture.convert("RGBA")
        background = Image.new("RGB", rgba.size, _TRANSPARENT_BACKGROUND)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return picture.convert("RGB")


_UPRIGHT = {  # EXIF orientation -> what turns the stored pixels upright (as ImageOps does)
    2: lambda p: p[:, ::-1],
    3: lambda p: p[::-1, ::-1],
    4: lambda p: p[::-1],
    5: lambda p: p.transpose(1, 0, 2),
    6: lambda p: np.rot90(p, -1),
    7: lambda p: p[::-1, ::-1].transpose(1, 0, 2),
    8: lambda p: np.rot90(p),
}


def _upright(pixels: np.ndarray, orientation: object) -> np.ndarray:
    """The pixels turned as their EXIF orientation says (unknown values leave them as they are)."""
    turn = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return pixels if turn is None else np.ascontiguousarray(turn(pixels))
