"""The default detector: MTCNN on this computer's CPU, with nothing downloaded."""

from __future__ import annotations

import numpy as np

from backend.faces.face import DETECTION_SIDE, Face
from backend.faces.images import shrink_to_fit
from backend.faces.mtcnn import CascadeSettings, shared_mtcnn

MIN_SCORE = 0.9


class LocalDetector:
    """Finds faces with the MTCNN cascade, on the picture shrunk to DETECTION_SIDE pixels.

    Faces scoring under min_score are dropped: at 0.9, MTCNN found every face of the
    evaluation set and nothing else.
    """

    def __init__(
        self,
        *,
        detection_side: int = DETECTION_SIDE,
        min_score: float = MIN_SCORE,
        settings: CascadeSettings | None = None,
    ) -> None:
        self._detection_side = detection_side
        self._min_score = min_score
        self._settings = settings or CascadeSettings()

    def detect(self, pixels: np.ndarray) -> list[Face]:
        small = shrink_to_fit(pixels, self._detection_side)
        height, width = small.shape[:2]
        boxes, scores = shared_mtcnn().detect(small, self._settings)
        faces = [
            Face.from_pixels(box, score, width=width, height=height)
            for box, score in zip(boxes, scores, strict=True)
            if score >= self._min_score
        ]
        return sorted(faces, key=lambda face: face.score, reverse=True)
