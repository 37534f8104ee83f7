"""PhotoView: a photo scaled to fit, with a box drawn around every face; and decode_photo."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, QSizeF, Qt
from PySide6.QtGui import (
    QColor,
    QImage,
    QImageReader,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop.api_client import Box
from desktop.errors import PhotoUnavailableError

NOT_AN_IMAGE = "That file is not an image SmartBrain can read."
MAX_DISPLAY_SIDE = 4096
"""Photos are kept at most this many pixels on a side: sharp on any screen, light on memory."""


def decode_photo(data: bytes) -> QImage:
    """The photo in `data`, turned upright by its EXIF orientation (as the server sees it).

    Safe on a worker thread (QImage, unlike QPixmap, is). Raises PhotoUnavailableError when
    the bytes are not a picture Qt can read.
    """
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    image = reader.read()
    if image.isNull():
        raise PhotoUnavailableError(NOT_AN_IMAGE, code="not_an_image")
    if max(image.width(), image.height()) > MAX_DISPLAY_SIDE:
        image = image.scaled(
            MAX_DISPLAY_SIDE,
            MAX_DISPLAY_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    # In place (a JPEG's RGB32 converts without a copy): convertToFormat would hold a second
    # full-size copy, 64 MB more at the peak for a 4000-pixel photo.
    image.convertTo(QImage.Format.Format_ARGB32_Premultiplied)
    return image


def box_fractions(box: Box) -> QRectF:
    """A Clarifai bounding box as a rectangle of fractions (0–1) of the photo, clamped."""

    def clamp(value: object) -> float:
        return min(1.0, max(0.0, float(value)))  # type: ignore[arg-type]

    left, top = clamp(box["left_col"]), clamp(box["top_row"])
    right, bottom = clamp(box["right_col"]), clamp(box["bottom_row"])
    return QRectF(left, top, max(0.0, right - left), max(0.0, bottom - top))


class PhotoView(QWidget):
    """Shows one photo scaled to fit (aspect kept, sharp on high-DPI screens) and a rounded
    box around each face. Boxes are kept as fractions and drawn afresh on every paint, so
    they stay on the faces at any size. Without a photo it shows `placeholder`."""

    MARGIN = 6
    BOX_WIDTH = 3.0
    OUTLINE_WIDTH = 1.5

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("photoView")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 220)
        self._image: QImage | None = None
        self._faces: list[QRectF] = []
        self._busy = False
        self._placeholder = ""
        self._scaled: QPixmap | None = None
        self._scaled_key: tuple[int, int, float] | None = None

    # What is shown

    def set_photo(self, image: QImage, boxes: Iterable[Box]) -> None:
        """Show `image` with a box around each face of `boxes` (fractions of the image)."""
        self._image = image
        self._faces = [box_fractions(box) for box in boxes]
        self._scaled = None
        self._scaled_key = None
        self.update()

    def clear(self) -> None:
        """Show the placeholder instead of a photo."""
        self._image = None
        self._faces = []
        self._scaled = None
        self._scaled_key = None
        self.update()

    def set_placeholder(self, text: str) -> None:
        """The words shown while there is no photo."""
        self._placeholder = text
        self.update()

    def set_busy(self, busy: bool) -> None:
        """Veil the photo while a new one is being searched."""
        self._busy = busy
        self.update()

    @property
    def has_photo(self) -> bool:
        return self._image is not None

    @property
    def face_count(self) -> int:
        return len(self._faces)

    # Geometry, in widget coordinates

    def image_rect(self) -> QRectF:
        """Where the photo is drawn: the largest rectangle of its aspect that fits, centred."""
        if self._image is None or self._image.isNull():
            return QRectF()
        area = QRectF(self.contentsRect()).adjusted(
            self.MARGIN, self.MARGIN, -self.MARGIN, -self.MARGIN
        )
        size = QSizeF(self._image.size()).scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRectF(0, 0, round(size.width()), round(size.height()))
        rect.moveCenter(area.center())
        rect.moveTopLeft(rect.topLeft().toPoint().toPointF())  # whole pixels: crisp edges
        return rect

    def face_rects(self) -> list[QRectF]:
        """The face boxes as drawn: each fraction times the displayed photo's rectangle."""
        image = self.image_rect()
        return [
            QRectF(
                image.left() + face.left() * image.width(),
                image.top() + face.top() * image.height(),
                face.width() * image.width(),
                face.height() * image.height(),
            )
            for face in self._faces
        ]

    # Painting

    def sizeHint(self) -> QSize:
        return QSize(640, 420)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if self._image is None:
            self._paint_placeholder(painter)
        else:
            target = self.image_rect()
            pixmap = self._pixmap_for(target)
            painter.drawPixmap(target, pixmap, QRectF(pixmap.rect()))
            for rect in self.face_rects():
                self._paint_box(painter, rect)
            if self._busy:
                veil = QColor(self.palette().color(QPalette.ColorRole.Window))
                veil.setAlpha(150)
                painter.fillRect(target, veil)
        painter.end()

    def _pixmap_for(self, target: QRectF) -> QPixmap:
        """The photo scaled once per size and device pixel ratio, in device pixels."""
        assert self._image is not None
        ratio = self.devicePixelRatioF()
        key = (round(target.width() * ratio), round(target.height() * ratio), ratio)
        if self._scaled is None or self._scaled_key != key:
            scaled = self._image.scaled(
                max(1, key[0]),
                max(1, key[1]),
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            self._scaled = QPixmap.fromImage(scaled)
            self._scaled.setDevicePixelRatio(ratio)
            self._scaled_key = key
        return self._scaled

    def _paint_box(self, painter: QPainter, rect: QRectF) -> None:
        """A rounded box in the highlight colour, edged both sides with a contrasting line so
        it reads on dark and on light photos alike."""
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        edge = QColor(0, 0, 0, 170) if highlight.lightness() >= 100 else QColor(255, 255, 255, 200)
        radius = min(10.0, rect.width() / 6, rect.height() / 6)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(edge, self.BOX_WIDTH + 2 * self.OUTLINE_WIDTH))
        painter.drawRoundedRect(rect, radius, radius)
        painter.setPen(QPen(highlight, self.BOX_WIDTH))
        painter.drawRoundedRect(rect, radius, radius)

    def _paint_placeholder(self, painter: QPainter) -> None:
        palette = self.palette()
        frame = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        pen = QPen(palette.color(QPalette.ColorRole.Mid), 2, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(frame, 12, 12)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.drawText(
            frame.adjusted(24, 24, -24, -24),
            int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
            self._placeholder,
        )
