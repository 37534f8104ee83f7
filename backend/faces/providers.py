"""Choosing the face detector from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from backend.faces.clarifai import ClarifaiDetector
from backend.faces.errors import DetectorConfigError
from backend.faces.face import FaceDetector
from backend.faces.huggingface import DEFAULT_MODEL, HuggingFaceDetector
from backend.faces.local import LocalDetector

PROVIDER = "SMARTBRAIN_FACE_PROVIDER"
CLARIFAI_PAT = "SMARTBRAIN_CLARIFAI_PAT"
HUGGINGFACE_TOKEN = "SMARTBRAIN_HUGGINGFACE_TOKEN"
HUGGINGFACE_MODEL = "SMARTBRAIN_HUGGINGFACE_MODEL"


def get_detector(environ: Mapping[str, str] | None = None) -> FaceDetector:
    """The detector SMARTBRAIN_FACE_PROVIDER names: local (the default), clarifai or huggingface.

    Reads os.environ unless environ is given. Raises DetectorConfigError for an unknown
    provider or a missing key. Build it once (at app start) and reuse it: cloud detectors keep
    a connection pool; the local nets load once per process, on first use.
    """
    environ = os.environ if environ is None else environ
    provider = environ.get(PROVIDER, "").strip().lower() or "local"
    if provider == "local":
        return LocalDetector()
    if provider == "clarifai":
        return ClarifaiDetector(_required(environ, CLARIFAI_PAT))
    if provider == "huggingface":
        model = environ.get(HUGGINGFACE_MODEL, "").strip() or DEFAULT_MODEL
        return HuggingFaceDetector(_required(environ, HUGGINGFACE_TOKEN), model=model)
    raise DetectorConfigError(
        f"{PROVIDER} must be local, clarifai or huggingface, not {provider!r}"
    )


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise DetectorConfigError(f"{name} must be set when {PROVIDER} is {environ[PROVIDER]!r}")
    return value
