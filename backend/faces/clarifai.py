"""Clarifai's face-detection model, and the Clarifai-shaped answer the SmartBrain API gives.

The API answers in Clarifai's shape whichever detector found the faces, so clients written
for Clarifai work unchanged.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import urllib3

from backend.faces.face import Face
from backend.faces.images import encode_jpeg, shrink_to_fit
from backend.faces.remote import post_for_json, unexpected_answer

CLARIFAI_URL = "https://api.clarifai.com"
_MODEL_PATH = "/v2/users/clarifai/apps/main/models/face-detection/outputs"
UPLOAD_SIDE = 1024


class ClarifaiDetector:
    """Sends the picture, shrunk to UPLOAD_SIDE pixels, to Clarifai's face-detection model."""

    def __init__(
        self,
        personal_access_token: str,
        *,
        base_url: str = CLARIFAI_URL,
        timeout: float = 30.0,
        upload_side: int = UPLOAD_SIDE,
    ) -> None:
        self._url = base_url.rstrip("/") + _MODEL_PATH
        self._headers = {
            "Authorization": f"Key {personal_access_token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._upload_side = upload_side
        self._http = urllib3.PoolManager(timeout=timeout, retries=False)

    def detect(self, pixels: np.ndarray) -> list[Face]:
        jpeg = encode_jpeg(shrink_to_fit(pixels, self._upload_side))
        image = {"base64": base64.b64encode(jpeg).decode("ascii")}
        body = json.dumps({"inputs": [{"data": {"image": image}}]}).encode()
        answer = post_for_json(self._http, self._url, body=body, headers=self._headers)
        try:
            faces = [_face(region) for region in answer["outputs"][0]["data"].get("regions", [])]
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise unexpected_answer(self._url) from error
        return sorted(faces, key=lambda face: face.score, reverse=True)


def clarifai_response(faces: list[Face]) -> dict[str, Any]:
    """Faces in the shape of Clarifai's face-detection answer, best score first.

    Box edges are fractions (0-1) of the picture; bottom_row and right_col are the far edges.
    The score sits where Clarifai puts it, in each region's value.
    """
    ranked = sorted(faces, key=lambda face: face.score, reverse=True)
    return {"outputs": [{"data": {"regions": [_region(face) for face in ranked]}}]}


def _region(face: Face) -> dict[str, Any]:
    face = Face.clamped(
        top=face.top, left=face.left, bottom=face.bottom, right=face.right, score=face.score
    )
    box = {
        "top_row": face.top,
        "left_col": face.left,
        "bottom_row": face.bottom,
        "right_col": face.right,
    }
    return {"region_info": {"bounding_box": box}, "value": face.score}


def _face(region: dict[str, Any]) -> Face:
    box = region["region_info"]["bounding_box"]
    return Face.clamped(
        top=float(box["top_row"]),
        left=float(box["left_col"]),
        bottom=float(box["bottom_row"]),
        right=float(box["right_col"]),
        score=float(region["value"]),
    )
