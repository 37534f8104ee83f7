"""decode_image and shrink_to_fit: orientation, colour modes, limits, and what is not a picture."""

from __future__ import annotations

import re
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from backend.faces import ImageTooLarge, NotAnImage, decode_image
from backend.faces.images import NOT_AN_IMAGE, shrink_to_fit

ORIENTATION = 0x0112


def test_rgb_jpeg_decodes_to_rgb_pixels(astronaut, astronaut_jpeg):
    pixels = decode_image(astronaut_jpeg)
    assert pixels.shape == astronaut.shape and pixels.dtype == np.uint8
    assert np.abs(pixels.astype(int) - astronaut).mean() < 5  # JPEG loss only; BGR would be ~30


@pytest.mark.parametrize(
    ("mode", "fmt"),
    [("L", "PNG"), ("L", "JPEG"), ("RGBA", "PNG"), ("P", "PNG"), ("P", "GIF"), ("CMYK", "JPEG")],
)
def test_every_colour_mode_becomes_rgb(astronaut, encode, mode, fmt):
    pixels = decode_image(encode(Image.fromarray(astronaut).convert(mode), fmt))
    assert pixels.shape == (512, 512, 3)


def test_transparent_pixels_become_white(encode):
    rgba = np.zeros((4, 4, 4), np.uint8)  # black, fully transparent
    assert (decode_image(encode(rgba, "PNG")) == 255).all()


def test_exif_orientation_turns_the_photo_upright(astronaut, encode):
    upright = astronaut[:, :400]  # 512 high, 400 wide
    stored = np.rot90(upright)  # as a camera held sideways stores it: 400 high, 512 wide
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # "rotate 90 degrees clockwise to display"
    pixels = decode_image(encode(stored, "JPEG", exif=exif.tobytes(), quality=95))
    assert pixels.shape == (512, 400, 3)
    assert np.abs(pixels.astype(int) - upright).mean() < 3


def test_first_frame_of_an_animation(encode):
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("red", "blue")]
    gif = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert tuple(decode_image(gif)[0, 0]) == (255, 0, 0)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels but holds none: a decompression bomb's header."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload)
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "megapixels",
    [60, 100, 200],  # over every cap; over Pillow's warning (89); over Pillow's error (179)
)
def test_decompression_bombs_are_refused_from_the_header(megapixels):
    with pytest.raises(ImageTooLarge) as refused:
        decode_image(_png_header(10_000, megapixels * 100))
    assert refused.value.status == 413
    assert re.fullmatch(
        r"That picture is too large\. Please use one under \d+ megapixels\.", refused.value.message
    )


def test_pixel_cap_is_configurable(astronaut_jpeg):
    with pytest.raises(ImageTooLarge):
        decode_image(astronaut_jpeg, max_pixels=512 * 511)
    assert decode_image(astronaut_jpeg, max_pixels=512 * 512).shape == (512, 512, 3)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello",
        b"<!doctype html><html><body>Not found</body></html>",
        b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n",  # EPS would run Ghostscript
        b"\xff\xd8\xff\xe0" + b"\x00" * 100,  # a JPEG signature and nothing of a JPEG
    ],
    ids=["empty", "text", "html", "eps", "fake-jpeg"],
)
def test_what_is_not_a_picture_is_refused_plainly(data):
    with pytest.raises(NotAnImage) as refused:
        decode_image(data)
    assert refused.value.message == NOT_AN_IMAGE == "That file is not an image SmartBrain can read."
    assert refused.value.status == 422


def test_a_truncated_photo_is_not_an_image(astronaut_jpeg):
    with pytest.raises(NotAnImage):
        decode_image(astronaut_jpeg[: len(astronaut_jpeg) // 2])


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])  # JPEG is decoded at a reduced scale
def test_decoding_can_shrink_to_a_longest_side(encode, fmt):
    photo = np.zeros((3000, 4000, 3), np.uint8)
    photo[1000:2000, 1000:2000] = 255  # a white square, to check the scaling is true
    pixels = decode_image(encode(photo, fmt), longest_side=1024)
    assert pixels.shape == (768, 1024, 3)
    rows, cols = np.nonzero(pixels[:, :, 0] > 127)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == pytest.approx(
        (256, 511, 256, 511), abs=2
    )


def test_a_small_photo_is_never_enlarged(astronaut_jpeg):
    assert decode_image(astronaut_jpeg, longest_side=1024).shape == (512, 512, 3)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((3000, 4000), (768, 1024)), ((4000, 3000), (1024, 768)), ((600, 800), (600, 800))],
)
def test_shrink_to_fit_bounds_the_longest_side_and_never_enlarges(shape, expected):
    assert shrink_to_fit(np.zeros((*shape, 3), np.uint8), 1024).shape[:2] == expected
