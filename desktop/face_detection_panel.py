"""FaceDetectionPanel: a photo from a link or a file, its faces boxed and counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.api_client import MAX_PHOTO_BYTES, ApiClient, Box
from desktop.errors import PhotoUnavailableError, describe
from desktop.photo_view import PhotoView, decode_photo
from desktop.widgets import BusyBar, primary_button
from desktop.worker import TaskRunner

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")
IMAGE_FILTER = "Images (" + " ".join(f"*{suffix}" for suffix in IMAGE_SUFFIXES) + ")"
PLACEHOLDER = "Paste a link above, open a photo (Ctrl+O) or drop one here."
FINDING = "Finding faces…"
NO_LINK = "Paste the address of a picture first."


def faces_found(count: int) -> str:
    """ "No faces found", "1 face found", "3 faces found"."""
    if count == 0:
        return "No faces found"
    return f"{count} face found" if count == 1 else f"{count} faces found"


@dataclass(frozen=True)
class Detection:
    """A detection's outcome: the photo as shown (upright) and its faces as fractions."""

    image: QImage
    boxes: list[Box]


def detect_in_photo(api: ApiClient, photo: bytes) -> Detection:
    """Decode `photo`, then upload the same bytes for detection (worker side).

    Decoding first means bytes this computer cannot show are never uploaded, and the boxes
    come back for exactly the picture drawn.
    """
    image = decode_photo(photo)
    return Detection(image, api.detect_faces(photo))


class FaceDetectionPanel(QFrame):
    """The link row, the photo with its face boxes and the face count.

    Detection runs in the TaskRunner; the panel is busy (Detect and Open disabled, a busy
    bar, "Finding faces…") until it ends, and refuses a second request meanwhile.
    Emits `detected(count)` after each successful detection.
    """

    detected = Signal(int)
    busy_changed = Signal(bool)

    def __init__(self, api: ApiClient, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("facePanel")
        self._api = api
        self._tasks = tasks
        self._busy = False
        self._last_dir = str(Path.home())
        self._init_widgets()
        self._init_layout()

    def _init_widgets(self) -> None:
        self.intro = QLabel(
            "Paste the address of a picture, or open one from this computer, and SmartBrain "
            "will box every face in it.",
            self,
        )
        self.intro.setWordWrap(True)
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("https://example.com/photo.jpg")
        self.url.setClearButtonEnabled(True)
        self.url.setAccessibleName("Image link")
        self.url.returnPressed.connect(self.on_url_return_pressed)
        self.url.textEdited.connect(self.on_url_text_edited)
        self.detect = primary_button("&Detect", self)
        self.detect.setDefault(False)
        self.detect.setAutoDefault(False)
        self.detect.setToolTip("Find the faces in the picture at this link (Enter)")
        self.detect.clicked.connect(self.on_detect_clicked)
        self.open_button = QPushButton("&Open image…", self)
        self.open_button.setToolTip("Open a photo from this computer (Ctrl+O)")
        self.open_button.clicked.connect(self.on_open_clicked)
        self.error = QLabel(self)
        self.error.setObjectName("detectionError")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.busy_bar = BusyBar(self)
        self.photo = PhotoView(self)
        self.photo.set_placeholder(PLACEHOLDER)
        self.count = QLabel(self)
        self.count.setObjectName("faceCount")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.count.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.count.setFont(font)
        self.count.hide()  # until the first detection; from then on it keeps its place
        for button in (self.detect, self.open_button):  # line up with the link field
            button.setMinimumHeight(self.url.sizeHint().height())
        self.setFocusProxy(self.url)

    def _init_layout(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.url, 1)
        row.addWidget(self.detect)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.intro)
        layout.addSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.error)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.photo, 1)
        layout.addWidget(self.count)

    # State

    @property
    def busy(self) -> bool:
        """True while a detection is in flight."""
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.detect.setEnabled(not busy)
        self.open_button.setEnabled(not busy)
        self.url.setReadOnly(busy)
        self.busy_bar.set_busy(busy)
        self.photo.set_busy(busy)
        if busy:
            self.count.setText(FINDING)
            self.count.show()
        self.busy_changed.emit(busy)

    def show_error(self, message: str) -> None:
        """Show `message` in plain words under the link row; "" hides it."""
        self.error.setText(message)
        self.error.setVisible(bool(message))

    # Starting a detection

    def detect_url(self, url: str | None = None) -> bool:
        """Find the faces in the photo at `url` (default: the link typed): it is downloaded
        once, here, then uploaded for detection and shown. Returns False when nothing was
        started (busy, or no link)."""
        if self._busy:
            return False
        if url is not None:
            self.url.setText(url)
        link = self.url.text().strip()
        if not link:
            self.show_error(NO_LINK)
            self.url.setFocus()
            return False
        api = self._api
        self._start(lambda: detect_in_photo(api, api.fetch_photo(link)))
        return True

    def detect_file(self, path: str | Path) -> bool:
        """Find the faces in a photo on this computer: upload it and show it.
        Returns False when busy."""
        if self._busy:
            return False
        photo = Path(path)
        self._last_dir = str(photo.parent)
        api = self._api
        self._start(lambda: detect_in_photo(api, _read_photo(photo)))
        return True

    def _start(self, call: Callable[[], Detection]) -> None:
        self.show_error("")
        self._set_busy(True)
        self._tasks.run(self, call, self.on_detection_done, self.on_detection_failed)

    # Slots

    @Slot()
    def on_url_return_pressed(self) -> None:
        self.detect_url()

    @Slot()
    def on_detect_clicked(self) -> None:
        self.detect_url()

    @Slot(str)
    def on_url_text_edited(self, _text: str) -> None:
        self.show_error("")

    @Slot()
    def on_open_clicked(self) -> None:
        if self._busy:
            return
        path, _filter = QFileDialog.getOpenFileName(
            self, "Open image", self._last_dir, f"{IMAGE_FILTER};;All files (*)"
        )
        self.window().activateWindow()  # without a window manager nothing gives it back
        if path:
            self.detect_file(path)

    @Slot(object)
    def on_detection_done(self, detection: Detection) -> None:
        self._set_busy(False)
        self.photo.set_photo(detection.image, detection.boxes)
        self.count.setText(faces_found(len(detection.boxes)))
        self.detected.emit(len(detection.boxes))

    @Slot(object)
    def on_detection_failed(self, error: Exception) -> None:
        # The photo and count shown belong to an earlier request: under this error they
        # would read as the answer for the new link or file, so they go.
        self._set_busy(False)
        self.photo.clear()
        self.count.setText("")
        self.show_error(describe(error))
        self.url.setFocus()


def _read_photo(path: Path) -> bytes:
    """The bytes of a photo file, refusing one over the size cap before reading it."""
    limit = MAX_PHOTO_BYTES // (1024 * 1024)
    try:
        if path.stat().st_size > MAX_PHOTO_BYTES:
            raise PhotoUnavailableError(
                f"That photo is larger than {limit} MB.", code="image_too_large"
            )
        return path.read_bytes()
    except OSError as error:
        reason = error.strerror or "it could not be read"
        raise PhotoUnavailableError(
            f"That file could not be opened ({reason.lower()}).", code="unreadable_file"
        ) from error
