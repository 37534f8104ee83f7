"""Finding faces in photos: SmartBrain's face-detection core. No Flask in here.

The API's image endpoint needs only these::

    settings = FaceSettings.from_environ(os.environ)  # at start-up: checks the provider
    detector = DetectorOnFirstUse(settings)  # once; built, and the stack loaded, on first use
    data = fetch_image(url, allow_private=..., max_bytes=..., timeout=...)  # or an upload
    pixels = decode_image(data, longest_side=DETECTION_SIDE)  # upright RGB; refuses bombs
    faces = detector.detect(pixels)  # list[Face]: fractions of the picture, best first
    return clarifai_response(faces)  # {"outputs": [{"data": {"regions": [...]}}]}

Detectors work on at most DETECTION_SIDE (1024) px, so decoding to fit it loses nothing
and decodes a big JPEG several times faster, in a fraction of the memory. Boxes are
fractions, so they fit the original photo whatever size was searched.

Every failure a user can cause or meet is an ImageError with a plain message and the HTTP
status to answer with:

=================  ======  ==========================================================
UrlRefused         400     malformed link, not http(s), or a private/local address
ImageTooLarge      413     download over max_bytes, or picture over its format's pixel cap
NotAnImage         422     the bytes are not a picture SmartBrain can read
RemoteUnavailable  502     site or face service unreachable, or answered an error
RemoteTimeout      504     site or face service too slow
=================  ======  ==========================================================

DetectorConfigError (a ValueError, not an ImageError) means the environment names an unknown
provider or lacks its key: a start-up problem, not a request problem.

Importing the package loads none of OpenCV, numpy and Pillow: decode_image and
clarifai_response load them when first used.

Environment: SMARTBRAIN_FACE_PROVIDER = local (default) | clarifai | huggingface;
SMARTBRAIN_CLARIFAI_PAT; SMARTBRAIN_HUGGINGFACE_TOKEN; SMARTBRAIN_HUGGINGFACE_MODEL (optional).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from backend.faces.errors import (
    DetectorConfigError,
    ImageError,
    ImageTooLarge,
    NotAnImage,
    RemoteTimeout,
    RemoteUnavailable,
    UrlRefused,
)
from backend.faces.face import DETECTION_SIDE, Face, FaceDetector
from backend.faces.fetch import fetch_image
from backend.faces.providers import DetectorOnFirstUse, FaceSettings, get_detector

if TYPE_CHECKING:
    from backend.faces.clarifai import clarifai_response
    from backend.faces.images import decode_image

_LOADED_ON_FIRST_USE = {
    "clarifai_response": "backend.faces.clarifai",
    "decode_image": "backend.faces.images",
}

__all__ = [
    "DETECTION_SIDE",
    "DetectorConfigError",
    "DetectorOnFirstUse",
    "Face",
    "FaceDetector",
    "FaceSettings",
    "ImageError",
    "ImageTooLarge",
    "NotAnImage",
    "RemoteTimeout",
    "RemoteUnavailable",
    "UrlRefused",
    "clarifai_response",
    "decode_image",
    "fetch_image",
    "get_detector",
]


def __getattr__(name: str) -> Any:
    """The names that need the face stack, imported when first asked for (PEP 562)."""
    if name not in _LOADED_ON_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LOADED_ON_FIRST_USE[name]), name)
    globals()[name] = value
    return value
