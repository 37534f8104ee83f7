"""Choosing the face detector: its settings, checked at start-up, and the detector itself.

Importing this module loads none of the face stack (OpenCV, numpy, Pillow): a detector is
built, and the stack loaded, only when a photo is first searched.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from backend.faces.errors import DetectorConfigError
from backend.faces.face import Face, FaceDetector

if TYPE_CHECKING:
    import numpy as np

PROVIDER = "SMARTBRAIN_FACE_PROVIDER"
CLARIFAI_PAT = "SMARTBRAIN_CLARIFAI_PAT"
HUGGINGFACE_TOKEN = "SMARTBRAIN_HUGGINGFACE_TOKEN"
HUGGINGFACE_MODEL = "SMARTBRAIN_HUGGINGFACE_MODEL"
_KEYS = {"clarifai": CLARIFAI_PAT, "huggingface": HUGGINGFACE_TOKEN}


@dataclass(frozen=True)
class FaceSettings:
    """Which detector finds faces (local, clarifai or huggingface) and the key it needs."""

    provider: str = "local"
    key: str = ""
    huggingface_model: str = ""  # empty: the detector's default model

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> FaceSettings:
        """SMARTBRAIN_FACE_PROVIDER and the provider's key.

        Raises DetectorConfigError for an unknown provider or a missing key.
        """
        provider = environ.get(PROVIDER, "").strip().lower() or "local"
        if provider != "local" and provider not in _KEYS:
            raise DetectorConfigError(
                f"{PROVIDER} must be local, clarifai or huggingface, not {provider!r}"
            )
        key = environ.get(_KEYS[provider], "").strip() if provider in _KEYS else ""
        if provider in _KEYS and not key:
            raise DetectorConfigError(
                f"{_KEYS[provider]} must be set when {PROVIDER} is {environ[PROVIDER]!r}"
            )
        model = environ.get(HUGGINGFACE_MODEL, "").strip()
        return cls(provider, key, model)


def get_detector(settings: FaceSettings) -> FaceDetector:
    """The detector the settings name, built now (this loads the face stack).

    Build it once and reuse it: cloud detectors keep a connection pool; the local nets load
    once per process, on first use.
    """
    if settings.provider == "clarifai":
        from backend.faces.clarifai import ClarifaiDetector

        return ClarifaiDetector(settings.key)
    if settings.provider == "huggingface":
        from backend.faces.huggingface import DEFAULT_MODEL, HuggingFaceDetector

        return HuggingFaceDetector(settings.key, model=settings.huggingface_model or DEFAULT_MODEL)
    from backend.faces.local import LocalDetector

    return LocalDetector()


class DetectorOnFirstUse:
    """The detector the settings name, built when it first detects.

    A process that never searches a photo never loads OpenCV, numpy or Pillow.
    """

    def __init__(self, settings: FaceSettings) -> None:
        self._settings = settings
        self._detector: FaceDetector | None = None
        self._building = threading.Lock()

    def detect(self, pixels: np.ndarray) -> list[Face]:
        detector = self._detector
        if detector is None:
            with self._building:
                if self._detector is None:
                    self._detector = get_detector(self._settings)
                detector = self._detector
        return detector.detect(pixels)
