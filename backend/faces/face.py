"""What a face detector finds, and the interface every detector offers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

# The longest side any detector searches: a photo decoded to fit it loses nothing.
DETECTION_SIDE = 1024


@dataclass(frozen=True)
class Face:
    """A face's box as fractions (0-1) of the picture's height and width, and a score (0-1).

    bottom and right are the far edges, so bottom - top is the box's height.
    """

    top: float
    left: float
    bottom: float
    right: float
    score: float

    @classmethod
    def from_pixels(cls, box: Sequence[float], score: float, *, width: int, height: int) -> Face:
        """A face from a pixel box (left, top, right, bottom), clamped to the picture."""
        left, top, right, bottom = box
        return cls.clamped(
            top=top / height,
            left=left / width,
            bottom=bottom / height,
            right=right / width,
            score=score,
        )

    @classmethod
    def clamped(cls, *, top: float, left: float, bottom: float, right: float, score: float) -> Face:
        """A face whose fractions and score are clamped to 0-1."""
        return cls(_unit(top), _unit(left), _unit(bottom), _unit(right), _unit(score))


class FaceDetector(Protocol):
    """Anything that finds faces in a picture."""

    def detect(self, pixels: np.ndarray) -> list[Face]:
        """The faces in an RGB uint8 picture (height x width x 3), best score first."""
        ...


def _unit(value: float) -> float:
    return min(1.0, max(0.0, float(value)))
