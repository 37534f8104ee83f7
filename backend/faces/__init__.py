"""Finding faces in photos: SmartBrain's face-detection core. No Flask in here.

The API's image endpoint needs only these::

    detector = get_detector()  # once, at app start; reads SMARTBRAIN_FACE_PROVIDER
    data = fetch_image(url, allow_private=..., max_bytes=..., timeout=...)  # or an upload
    pixels = decode_image(data, longest_side=1024)  # upright RGB; refuses non-images, bombs
    faces = detector.detect(pixels)  # list[Face]: fractions of the picture, best first
    return clarifai_response(faces)  # {"outputs": [{"data": {"regions": [...]}}]}

Detectors work on at most 1024 px, so longest_side=1024 loses nothing and decodes a big JPEG
several times faster, in a fraction of the memory. Boxes are fractions, so they fit the
original photo whatever size was searched.

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

Environment: SMARTBRAIN_FACE_PROVIDER = local (default) | clarifai | huggingface;
SMARTBRAIN_CLARIFAI_PAT; SMARTBRAIN_HUGGINGFACE_TOKEN; SMARTBRAIN_HUGGINGFACE_MODEL (optional).
"""

from backend.faces.clarifai import clarifai_response
from backend.faces.errors import (
    DetectorConfigError,
    ImageError,
    ImageTooLarge,
    NotAnImage,
    RemoteTimeout,
    RemoteUnavailable,
    UrlRefused,
)
from backend.faces.face import Face, FaceDetector
from backend.faces.fetch import fetch_image
from backend.faces.images import decode_image
from backend.faces.providers import get_detector

__all__ = [
    "DetectorConfigError",
    "Face",
    "FaceDetector",
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
