"""Decompression bombs: refused from the header, per format; what passes is decoded small."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from backend.faces import ImageTooLarge, NotAnImage, decode_image
from backend.faces.images import NOT_AN_IMAGE
from tests.backend.faces import bombs
from tests.backend.serve_process import ROOT

TOO_LARGE = "That picture is too large. Please use one under {} megapixels."


def refused_for_size(data: bytes) -> bool:
    """True if the picture is refused as too large; False if decoding was tried."""
    try:
        decode_image(data, longest_side=1024)
    except ImageTooLarge:
        return True
    except NotAnImage:  # a header rewritten by `declaring` has too little data behind it
        return False
    return False


@pytest.mark.parametrize("fmt", bombs.FORMATS)
def test_a_header_declaring_49_megapixels_is_refused_before_decoding(fmt):
    # Decoding would fail (the data holds 16 x 16 pixels): a 413 means the header decided.
    with pytest.raises(ImageTooLarge) as refused:
        decode_image(bombs.declaring(fmt, 7000, 7000), longest_side=1024)
    assert refused.value.status == 413 and refused.value.code == "image_too_large"


@pytest.mark.parametrize("name", bombs.OVER_CAPS)
def test_the_audits_bombs_are_refused(name):
    with pytest.raises(ImageTooLarge):
        decode_image(bombs.OVER_CAPS[name](), longest_side=1024)


@pytest.mark.parametrize(
    ("fmt", "options", "under", "over", "megapixels"),
    [
        ("PNG", {}, (4000, 4000), (4000, 4001), 16),  # 4 bytes a pixel in Pillow
        ("GIF", {}, (4000, 4000), (4000, 4001), 16),  # 1 byte, but decoded at full size
        ("BMP", {}, (4000, 4000), (4000, 4001), 16),
        ("WEBP", {"lossless": True}, (2000, 2000), (2000, 2001), 4),  # libwebp's copies too
        ("JPEG", {"quality": 90}, (7000, 7142), (7000, 7143), 50),  # decoded at 1/8 scale
        ("JPEG", {"progressive": True}, (4000, 5333), (4000, 5334), 21),  # 4:2:0 coefficients
        ("JPEG", {"progressive": True, "subsampling": 0}, (4000, 2666), (4000, 2667), 10),
    ],
    ids=["png", "gif", "bmp", "webp", "jpeg", "progressive-jpeg", "progressive-jpeg-444"],
)
def test_each_format_has_its_cap(fmt, options, under, over, megapixels):
    assert not refused_for_size(bombs.declaring(fmt, *under, **options))
    with pytest.raises(ImageTooLarge) as refused:
        decode_image(bombs.declaring(fmt, *over, **options), longest_side=1024)
    assert refused.value.message == TOO_LARGE.format(megapixels)


def test_a_jpeg_whose_first_scan_lacks_a_component_is_capped_as_progressive():
    baseline = bombs.declaring("JPEG", 7000, 7000, quality=90)
    assert not refused_for_size(baseline)  # one scan: decoded row by row, at 1/8 scale
    assert refused_for_size(bombs.first_scan_of_one_component(baseline))


@pytest.mark.parametrize("name", bombs.WITHIN_CAPS)
def test_the_worst_pictures_within_the_caps_are_decoded_small(name):
    pixels = decode_image(bombs.WITHIN_CAPS[name](), longest_side=1024)
    assert pixels.shape == (1024, 1024, 3) and pixels.dtype == np.uint8


@pytest.mark.parametrize(
    "data",
    [
        lambda: bombs.bmp_run_length(64, 64),  # Pillow decodes these in Python, pixel by pixel
        lambda: bombs.solid("TIFF", 64, 64),
        lambda: bombs.solid("AVIF", 64, 64),
    ],
    ids=["run-length-bmp", "tiff", "avif"],
)
def test_formats_left_out_are_not_images(data):
    with pytest.raises(NotAnImage) as refused:
        decode_image(data())
    assert refused.value.message == NOT_AN_IMAGE


def test_a_png_with_megabytes_of_compressed_text_is_not_an_image():
    text = b"".join(
        _png_chunk(b"zTXt", b"note%d\0\0" % n + zlib.compress(b" " * 1_000_000)) for n in range(4)
    )
    png = bombs.solid("PNG", 16, 16)
    with pytest.raises(NotAnImage):
        decode_image(png[:33] + text + png[33:])  # after the IHDR chunk


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload).to_bytes(4, "big")
    return len(payload).to_bytes(4, "big") + kind + payload + crc


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_turned_as_pillow_turns_it(astronaut, encode, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encode(astronaut[:, :400], "PNG", exif=exif.tobytes())
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert np.array_equal(decode_image(data), expected)


def test_tiles_reduce_as_the_whole_picture_would(encode):
    rng = np.random.default_rng(7)
    photo = rng.integers(0, 256, (1500, 2300, 3), dtype=np.uint8)  # not a multiple of a tile
    pixels = decode_image(encode(photo, "PNG"), longest_side=1000)
    whole = np.asarray(Image.fromarray(photo).reduce(2))  # 1150 x 750, then shrunk to 1000
    assert pixels.shape == (652, 1000, 3)
    expected = cv2.resize(whole, (1000, 652), interpolation=cv2.INTER_AREA)
    assert np.abs(pixels.astype(int) - expected).max() <= 1


PEAK_OF_A_DECODE = textwrap.dedent(
    """
    import sys
    from backend.faces import decode_image
    from tests.backend.faces import bombs

    def megabytes(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) / 1024

    data = bombs.solid("PNG", 4000, 4000, "P", transparency=3)
    before = megabytes("VmRSS:")
    decode_image(data, longest_side=1024)
    print(megabytes("VmHWM:") - before)
    """
)


def test_a_palette_picture_is_reduced_without_a_full_size_rgb_copy():
    # 16 MP in palette mode is 16 MB; one full-size RGBA or RGB copy would add 48-64 MB.
    result = subprocess.run(
        [sys.executable, "-c", PEAK_OF_A_DECODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert float(result.stdout) < 16 + 24


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "WEBP", "MPO"])  # animated, APNG, phones' 3D
def test_only_the_first_frame_is_decoded(fmt):
    frames = [Image.new("RGB", (64, 48), colour) for colour in ("red", "blue")]
    data = bombs.encoded(frames[0], fmt, save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2
    corner = decode_image(data, longest_side=1024)[0, 0].astype(int)
    assert np.abs(corner - (255, 0, 0)).max() <= 2  # red, the first frame's colour
