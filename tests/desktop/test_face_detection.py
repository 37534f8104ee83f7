"""Face detection in the main window: real widgets, the real backend and detector on loopback.

Photos come from skimage: the astronaut (one face) and a coffee cup (none); links are served
by a small http.server in the test."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QRectF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QFileDialog
from skimage import data

from desktop.api_client import ApiClient
from desktop.errors import PhotoUnavailableError
from desktop.face_detection_panel import FINDING

# Where the detector places the astronaut's face, as fractions of the picture
# (tests/backend/faces/test_faces_detection.py).
ASTRONAUT_FACE = QRectF(0.354, 0.123, 0.526 - 0.354, 0.342 - 0.123)
NOT_AN_IMAGE = "That file is not an image SmartBrain can read."


def jpeg(pixels, **options) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, "JPEG", quality=90, **options)
    return out.getvalue()


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "astronaut.jpg").write_bytes(jpeg(data.astronaut()))
    (folder / "coffee.jpg").write_bytes(jpeg(data.coffee()))
    (folder / "notes.jpg").write_text("Not a photo at all, whatever the name says.\n")
    return folder


@dataclass
class PhotoServer:
    url: str
    requests: list[str] = field(default_factory=list)
    delay: float = 0.0
    changing: list[bytes] = field(default_factory=list)
    """What /changing.jpg answers, one photo per request, in turn: a link whose photo
    changes between two downloads."""


@pytest.fixture
def photo_server(photos) -> Iterator[PhotoServer]:
    """Serves the photos folder over loopback HTTP and notes every request."""
    server_state = PhotoServer("")

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(photos), **kwargs)

        def do_GET(self) -> None:
            server_state.requests.append(self.path)
            time.sleep(server_state.delay)
            if self.path == "/changing.jpg":
                photo = server_state.changing.pop(0)
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(photo)))
                self.end_headers()
                self.wfile.write(photo)
                return
            super().do_GET()

        def log_message(self, *_args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server_state.url = f"http://127.0.0.1:{server.server_port}"
    yield server_state
    server.shutdown()
    server.server_close()


@pytest.fixture
def window(controller, make_account, sign_in):
    """Dana's main window; Fox exists too, so the rank reads "of 2"."""
    dana = make_account("Dana")
    make_account("Fox")
    return sign_in(controller, dana)


@pytest.fixture
def open_file(monkeypatch):
    """Answers the Open image dialog with a path (QFileDialog is Qt's, not ours)."""

    def choose(path: Path) -> None:
        monkeypatch.setattr(
            QFileDialog, "getOpenFileName", lambda *_args, **_kw: (str(path), "Images")
        )

    return choose


def wait_detected(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.faces.busy, timeout=2_000)
    qtbot.waitUntil(lambda: not window.faces.busy, timeout=15_000)


def expected_rect(view, fractions: QRectF) -> QRectF:
    image = view.image_rect()
    return QRectF(
        image.left() + fractions.left() * image.width(),
        image.top() + fractions.top() * image.height(),
        fractions.width() * image.width(),
        fractions.height() * image.height(),
    )


def assert_around(actual: QRectF, expected: QRectF, tolerance: float) -> None:
    for edge in ("left", "top", "right", "bottom"):
        assert getattr(actual, edge)() == pytest.approx(getattr(expected, edge)(), abs=tolerance)


def assert_box_painted(view, rect: QRectF) -> None:
    """The highlight colour is on screen at the middle of the box's top and left edges."""
    shot = view.grab().toImage()
    ratio = shot.devicePixelRatio()
    highlight = view.palette().color(QPalette.ColorRole.Highlight)
    for point in (QPointF(rect.center().x(), rect.top()), QPointF(rect.left(), rect.center().y())):
        pixel = QColor(shot.pixel(int(point.x() * ratio), int(point.y() * ratio)))
        assert abs(pixel.red() - highlight.red()) < 40, point
        assert abs(pixel.green() - highlight.green()) < 40, point
        assert abs(pixel.blue() - highlight.blue()) < 40, point


def test_a_photo_file_gets_its_face_boxed_and_counted(qtbot, window, photos, open_file):
    assert window.greeting.text() == "Dana, your current entry count is 0"
    assert window.open_image_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    open_file(photos / "astronaut.jpg")
    window.open_image_action.trigger()
    wait_detected(qtbot, window)

    panel, view = window.faces, window.faces.photo
    assert panel.error.isHidden()
    assert panel.count.text() == "1 face found"
    assert view.has_photo
    assert view.image_rect().width() == pytest.approx(view.image_rect().height(), abs=1)
    [box] = view.face_rects()
    assert_around(box, expected_rect(view, ASTRONAUT_FACE), tolerance=0.02 * view.width())
    assert view.image_rect().contains(box)
    assert_box_painted(view, box)
    qtbot.waitUntil(
        lambda: window.greeting.text() == "Dana, your current entry count is 1 — #1 of 2"
    )


def test_a_photo_without_faces(qtbot, window, photos, open_file):
    open_file(photos / "coffee.jpg")
    window.faces.open_button.click()
    wait_detected(qtbot, window)
    assert window.faces.photo.has_photo
    assert window.faces.photo.face_rects() == []
    assert window.faces.count.text() == "No faces found"
    qtbot.waitUntil(lambda: "entry count is 1 — #1 of 2" in window.greeting.text())


def test_the_boxes_follow_the_photo_when_the_window_is_resized(qtbot, window, photos):
    window.faces.detect_file(photos / "astronaut.jpg")
    wait_detected(qtbot, window)
    view = window.faces.photo
    before_image, [before] = view.image_rect(), view.face_rects()
    window.resize(window.width() + 400, window.height() + 300)
    qtbot.waitUntil(lambda: view.image_rect().width() > before_image.width() + 100)
    after_image, [after] = view.image_rect(), view.face_rects()
    scale = after_image.width() / before_image.width()
    assert after.width() == pytest.approx(before.width() * scale, rel=0.01)
    assert after.height() == pytest.approx(before.height() * scale, rel=0.01)
    assert_around(after, expected_rect(view, ASTRONAUT_FACE), tolerance=0.02 * view.width())
    assert_box_painted(view, after)


def test_a_link_is_downloaded_once_here_and_its_faces_boxed(qtbot, window, photo_server):
    # The backend refuses loopback links (no private_urls here): it must never fetch this one.
    link = f"{photo_server.url}/astronaut.jpg"
    qtbot.keyClicks(window.faces.url, link)
    qtbot.keyClick(window.faces.url, Qt.Key.Key_Return)
    wait_detected(qtbot, window)
    view = window.faces.photo
    assert window.faces.error.isHidden()
    assert view.has_photo
    assert window.faces.count.text() == "1 face found"
    [box] = view.face_rects()
    assert_around(box, expected_rect(view, ASTRONAUT_FACE), tolerance=0.02 * view.width())
    assert photo_server.requests == ["/astronaut.jpg"]
    qtbot.waitUntil(lambda: "entry count is 1" in window.greeting.text())


def test_the_boxes_are_drawn_on_the_very_bytes_analysed(qtbot, window, photo_server, photos):
    """A link whose photo changes between downloads: the astronaut first, then the cup."""
    astronaut = (photos / "astronaut.jpg").read_bytes()
    photo_server.changing = [astronaut, (photos / "coffee.jpg").read_bytes()]
    window.faces.detect_url(f"{photo_server.url}/changing.jpg")
    wait_detected(qtbot, window)
    assert photo_server.requests == ["/changing.jpg"]
    assert window.faces.count.text() == "1 face found"
    view = window.faces.photo
    shown = view.image_rect()
    assert shown.width() == pytest.approx(shown.height(), abs=1)  # square: the astronaut
    [box] = view.face_rects()  # not the cup (3 ∶ 2), which a second download would get
    assert_around(box, expected_rect(view, ASTRONAUT_FACE), tolerance=0.02 * view.width())


def test_a_failed_link_after_a_success_clears_the_previous_photo(qtbot, window, photo_server):
    panel = window.faces
    panel.detect_url(f"{photo_server.url}/astronaut.jpg")
    wait_detected(qtbot, window)
    assert panel.photo.has_photo and panel.count.text() == "1 face found"
    panel.detect_url(f"{photo_server.url}/missing.jpg")
    wait_detected(qtbot, window)
    assert panel.error.text() == "That link did not send a photo (HTTP 404)."
    assert not panel.photo.has_photo  # the placeholder again, not the astronaut
    assert panel.photo.face_rects() == []
    assert panel.count.text() == ""
    assert panel.url.hasFocus()
    qtbot.waitUntil(lambda: "entry count is 1" in window.greeting.text())  # counted once


def test_a_link_that_is_not_http_is_refused_before_anything_is_sent(qtbot, window):
    window.faces.detect_url("ftp://example.com/astronaut.jpg")
    wait_detected(qtbot, window)
    assert window.faces.error.text() == "Only http and https links can be used."
    assert not window.faces.photo.has_photo


def test_a_file_that_is_not_an_image(qtbot, window, photos, open_file):
    open_file(photos / "notes.jpg")
    window.open_image_action.trigger()
    wait_detected(qtbot, window)
    assert window.faces.error.isVisible()
    assert window.faces.error.text() == NOT_AN_IMAGE
    assert not window.faces.photo.has_photo
    assert window._api.get_profile()["entries"] == 0


def test_an_empty_link_asks_for_one_without_calling_the_server(qtbot, window):
    qtbot.keyClick(window.faces.url, Qt.Key.Key_Return)
    assert not window.faces.busy
    assert window.faces.error.text() == "Paste the address of a picture first."


def test_busy_while_detecting_and_a_second_enter_does_nothing(qtbot, window, photo_server):
    photo_server.delay = 0.8
    panel = window.faces
    qtbot.keyClicks(panel.url, f"{photo_server.url}/astronaut.jpg")
    qtbot.keyClick(panel.url, Qt.Key.Key_Return)
    assert panel.busy
    assert not panel.detect.isEnabled()
    assert not panel.open_button.isEnabled()
    assert not window.open_image_action.isEnabled()
    assert panel.busy_bar.isVisible()
    assert panel.count.text() == FINDING
    with qtbot.assertNotEmitted(panel.busy_changed, wait=100):
        qtbot.keyClick(panel.url, Qt.Key.Key_Return)
        panel.detect.click()
    assert panel.detect_url() is False
    with qtbot.waitSignal(panel.detected, timeout=15_000) as detected:
        pass
    assert detected.args == [1]
    assert panel.detect.isEnabled() and window.open_image_action.isEnabled()
    assert not panel.busy_bar.isVisible()
    assert photo_server.requests == ["/astronaut.jpg"]  # one detection, one download
    qtbot.waitUntil(lambda: "entry count is 1 —" in window.greeting.text())


def test_a_dropped_file_is_detected(qtbot, window, photos):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(photos / "astronaut.jpg"))])
    enter = QDragEnterEvent(
        QPoint(40, 40),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(40, 40),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    wait_detected(qtbot, window)
    assert len(window.faces.photo.face_rects()) == 1
    assert window.faces.count.text() == "1 face found"


def test_a_session_ended_elsewhere_returns_to_sign_in(
    qtbot, controller, account, sign_in, live_server, photos, messages
):
    main_window = sign_in(controller, account)
    other_device = ApiClient(live_server)
    other_device.sign_in(account.email, account.password)
    other_device.sign_out_everywhere(account.password)
    main_window.faces.detect_file(photos / "astronaut.jpg")
    qtbot.waitUntil(controller.sign_in_window.isVisible, timeout=10_000)
    assert controller.sign_in_window.banner.text == "Your session has ended. Please sign in again."
    assert messages.shown == []


def test_a_file_over_10_mb_is_refused_before_uploading(qtbot, window, tmp_path):
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as sparse:
        sparse.truncate(10 * 1024 * 1024 + 1)
    window.faces.detect_file(huge)
    wait_detected(qtbot, window)
    assert window.faces.error.text() == "That photo is larger than 10 MB."


def test_fetch_photo_caps_the_size_and_words_its_failures(photo_server, photos, closed_url):
    api = ApiClient(None, timeout=5)
    photo = f"{photo_server.url}/astronaut.jpg"
    assert api.fetch_photo(photo) == (photos / "astronaut.jpg").read_bytes()
    with pytest.raises(PhotoUnavailableError, match="^That photo is larger than"):
        api.fetch_photo(photo, max_bytes=1000)
    with pytest.raises(PhotoUnavailableError, match=r"\(HTTP 404\)"):
        api.fetch_photo(f"{photo_server.url}/missing.jpg")
    with pytest.raises(PhotoUnavailableError, match="could not be downloaded"):
        api.fetch_photo(f"{closed_url}/photo.jpg")
    for link, words in [
        ("file:///etc/passwd", "Only http and https links can be used."),
        ("photo.jpg", "Only http and https links can be used."),
        ("http://[::1/photo.jpg", "That link could not be understood."),
    ]:
        with pytest.raises(PhotoUnavailableError) as refused:
            api.fetch_photo(link)
        assert refused.value.message == words
    assert len(photo_server.requests) == 3
