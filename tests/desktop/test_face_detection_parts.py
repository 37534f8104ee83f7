"""The parts of face detection that need no server: a photo decoded upright, the count's
words, what a drop carries, the headline."""

from __future__ import annotations

import io
import sys

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QUrl
from PySide6.QtGui import QColor
from skimage import data

from desktop.api_client import ApiClient
from desktop.face_detection_panel import FaceDetectionPanel, faces_found
from desktop.main_window import dropped_photo, greeting
from desktop.photo_view import decode_photo


def jpeg(pixels, **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def test_the_photo_is_shown_upright_as_its_exif_says():
    pixels = data.astronaut()[:, :400]  # 512 high, 400 wide
    upright = decode_photo(jpeg(pixels))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned left: show it turned right by 90°
    sideways = decode_photo(jpeg(pixels.transpose(1, 0, 2)[::-1], exif=exif.tobytes()))
    assert (
        (sideways.width(), sideways.height()) == (upright.width(), upright.height()) == (400, 512)
    )
    for x, y in ((60, 60), (200, 130), (340, 450)):
        a, b = QColor(upright.pixel(x, y)), QColor(sideways.pixel(x, y))
        assert abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue()) < 60


@pytest.mark.parametrize(
    ("count", "words"), [(0, "No faces found"), (1, "1 face found"), (3, "3 faces found")]
)
def test_faces_found(count, words):
    assert faces_found(count) == words


@pytest.mark.parametrize(
    ("user", "headline"),
    [
        ({"name": "Dana", "entries": 7}, "Dana, your current entry count is 7"),
        (
            {"name": "Dana", "entries": 7, "rank": 3, "totalUsers": 120},
            "Dana, your current entry count is 7 — #3 of 120",
        ),
        (
            {"name": "Dana", "entries": 0, "rank": 1, "totalUsers": 1},
            "Dana, your current entry count is 0",
        ),
        (
            {"name": "Dana", "entries": 7, "rank": None, "totalUsers": None},
            "Dana, your current entry count is 7",
        ),
    ],
)
def test_greeting(user, headline):
    assert greeting(user) == headline


def test_what_a_drop_carries(tmp_path):
    photo = tmp_path / "dana.png"
    photo.write_bytes(b"")

    def mime(urls=(), text=None) -> QMimeData:
        carried = QMimeData()
        if urls:
            carried.setUrls([QUrl(url) for url in urls])
        if text is not None:
            carried.setText(text)
        return carried

    assert dropped_photo(mime([QUrl.fromLocalFile(str(photo)).toString()])) == (
        "file",
        str(photo),
    )
    assert dropped_photo(mime([QUrl.fromLocalFile(str(tmp_path)).toString()])) is None
    assert dropped_photo(mime(["https://example.com/a.jpg"])) == (
        "url",
        "https://example.com/a.jpg",
    )
    assert dropped_photo(mime(text=" https://example.com/b.jpg\n")) == (
        "url",
        "https://example.com/b.jpg",
    )
    assert dropped_photo(mime(text="some words")) is None
    assert dropped_photo(mime(["ftp://example.com/a.jpg"])) is None


def test_emitting_from_python_keeps_true_alive(qapp):
    """PySide6 6.12.0's emit() takes a reference from True on Python 3.11 (setup.cfg keeps
    that release out): the interpreter aborts once enough background calls have emitted."""
    panel = FaceDetectionPanel(ApiClient(None), None)  # type: ignore[arg-type]
    before = sys.getrefcount(True)
    for _ in range(500):
        panel.busy_changed.emit(False)
    assert sys.getrefcount(True) >= before - 5
    panel.deleteLater()
