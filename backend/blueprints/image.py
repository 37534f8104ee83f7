"""The user's photos: find the faces in one given by URL or uploaded (answered in Clarifai's
shape), and count it as an entry (the original /imageurl and /image contract)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend import accounts, faces, responses
from backend.auth import require_auth, require_own_user
from backend.contract import endpoint
from backend.detection_slots import detection_slot
from backend.errors import ApiError, error_response
from backend.rate_limits import rate_limited
from backend.schemas import ImageBody, ImageUrlBody

bp = Blueprint("image", __name__)


@bp.post("/imageurl")
@require_auth
@rate_limited("image", per_user=True)
@endpoint(
    responses.Detection,
    body=ImageUrlBody,
    upload_field="image",
    errors=(413, 422, 429, 502, 503, 504),  # 502 and 504: a cloud face service's failures
)
def detect_faces(body: ImageUrlBody | None):
    """Find the faces in the photo at `input` (JSON) or in the uploaded field `image`."""
    request.max_content_length = current_app.config["MAX_IMAGE_BYTES"] + 64 * 1024
    data = _uploaded_photo() if body is None else _linked_photo(body.input)
    with detection_slot():  # a photo is fetched or read first: only decoding takes a slot
        # The face stack (OpenCV, numpy, Pillow) loads here, on the first photo.
        pixels = faces.decode_image(data, longest_side=faces.DETECTION_SIDE)
        found = current_app.extensions["smartbrain.faces"].detect(pixels)
    return faces.clarifai_response(found)


@bp.put("/image")
@require_auth
@endpoint(responses.EntryCount, body=ImageBody, errors=(403,))
def count_entry(body: ImageBody):
    """Count one more entry for the signed-in user and return the new count."""
    require_own_user(body.id)
    return jsonify(accounts.count_entry(g.user_id))


@bp.errorhandler(faces.ImageError)
def on_image_error(error: faces.ImageError):
    return error_response(error.status, error.code, error.message)


def _uploaded_photo() -> bytes:
    try:
        upload = request.files.get("image")
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_IMAGE_BYTES"] // (1024 * 1024)
        raise ApiError(413, "image_too_large", f"That photo is larger than {limit} MB.") from None
    if upload is None:
        raise ApiError(
            400, "invalid_input", "Choose a photo to upload.", {"image": "Choose a photo."}
        )
    return upload.read()


def _linked_photo(url: str) -> bytes:
    try:
        return faces.fetch_image(
            url,
            allow_private=current_app.config["ALLOW_PRIVATE_URLS"],
            max_bytes=current_app.config["MAX_IMAGE_BYTES"],
            timeout=current_app.config["IMAGE_FETCH_SECONDS"],
        )
    except (faces.RemoteUnavailable, faces.RemoteTimeout) as error:
        # The user's link, not our service, is at fault: a 4xx, in the fetcher's words.
        raise ApiError(422, "url_unreachable", error.message, {"input": error.message}) from None
