"""A face-detection model served by Hugging Face's Inference API (object-detection task)."""

from __future__ import annotations

import numpy as np
import urllib3

from backend.faces.face import Face
from backend.faces.images import encode_jpeg, shrink_to_fit
from backend.faces.remote import post_for_json, unexpected_answer

HUGGINGFACE_URL = "https://router.huggingface.co/hf-inference"
# Any object-detection model whose boxes are faces will do.
DEFAULT_MODEL = "aditmohan96/detr-finetuned-face"
UPLOAD_SIDE = 1024


class HuggingFaceDetector:
    """Sends the picture, shrunk to UPLOAD_SIDE pixels, to a Hugging Face model."""

    def __init__(
        self,
        token: str,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str = HUGGINGFACE_URL,
        timeout: float = 30.0,
        upload_side: int = UPLOAD_SIDE,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/models/{model}"
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "image/jpeg",
            "Accept": "application/json",
        }
        self._upload_side = upload_side
        self._http = urllib3.PoolManager(timeout=timeout, retries=False)

    def detect(self, pixels: np.ndarray) -> list[Face]:
        small = shrink_to_fit(pixels, self._upload_side)
        height, width = small.shape[:2]
        answer = post_for_json(
            self._http, self._url, body=encode_jpeg(small), headers=self._headers
        )
        try:
            faces = [
                Face.from_pixels(
                    [float(item["box"][edge]) for edge in ("xmin", "ymin", "xmax", "ymax")],
                    float(item["score"]),
                    width=width,
                    height=height,
                )
                for item in answer
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise unexpected_answer(self._url) from error
        return sorted(faces, key=lambda face: face.score, reverse=True)
