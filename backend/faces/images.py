"""Turning bytes into an upright RGB pixel array, and back.

Pixel arrays are numpy uint8 arrays of shape (height, width, 3), in RGB order.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from PIL import Image, ImageOps

from backend.faces.errors import ImageTooLarge, NotAnImage

MAX_PIXELS = 50_000_000
# Photo formats (JPEG covers phones' MPO files). Others are refused: EPS, for one, runs Ghostscript.
READABLE_FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "AVIF", "BMP", "TIFF")
NOT_AN_IMAGE = "That file is not an image SmartBrain can read."
_TOO_MANY_PIXELS = "That picture is too large. Please use one under {megapixels} megapixels."
_TRANSPARENT_BACKGROUND = (255, 255, 255)

# Register every Pillow plugin now: Image.open(formats=...) only knows those already loaded.
Image.init()


def decode_image(
    data: bytes, *, max_pixels: int = MAX_PIXELS, longest_side: int | None = None
) -> np.ndarray:
    """Decode a photo, turned upright by its EXIF orientation, as RGB pixels.

    Grayscale, palette and transparent pictures are converted (transparency onto white); of an
    animation, the first frame is used. With longest_side, the picture comes back shrunk to
    fit it, and a JPEG is decoded straight at a reduced scale: several times faster and
    smaller for a big photo. Raises ImageTooLarge when the picture has more than max_pixels
    pixels (checked from the header, before decoding) and NotAnImage otherwise.
    """
    with _open(data, max_pixels) as picture:
        if longest_side is not None:
            scale = min(1.0, longest_side / max(picture.size))
            picture.draft(
                None, (math.ceil(picture.width * scale), math.ceil(picture.height * scale))
            )
        try:
            pixels = np.asarray(_flatten(ImageOps.exif_transpose(picture)))
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


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header, refusing what is not a picture or has too many pixels."""
    too_large = ImageTooLarge(_TOO_MANY_PIXELS.format(megapixels=max_pixels // 1_000_000))
    try:
        picture = Image.open(io.BytesIO(data), formats=READABLE_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own limit (89 megapixels by default) only fires for headers bigger than ours.
        raise too_large from error
    except Exception as error:
        raise NotAnImage(NOT_AN_IMAGE) from error
    if picture.width * picture.height > max_pixels:
        picture.close()
        raise too_large
    return picture


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
