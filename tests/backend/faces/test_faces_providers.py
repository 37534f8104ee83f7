"""Choosing a detector, the cloud providers against recorded answers, and the Clarifai shape."""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backend.config import Config
from backend.faces import (
    DetectorConfigError,
    Face,
    FaceSettings,
    RemoteTimeout,
    RemoteUnavailable,
    clarifai_response,
    get_detector,
)
from backend.faces.clarifai import ClarifaiDetector
from backend.faces.huggingface import HuggingFaceDetector
from backend.faces.local import LocalDetector

RECORDED = Path(__file__).parent / "recorded"
CLARIFAI_PATH = "/v2/users/clarifai/apps/main/models/face-detection/outputs"


@pytest.mark.parametrize(
    ("environ", "kind"),
    [
        ({}, LocalDetector),
        ({"SMARTBRAIN_FACE_PROVIDER": "local"}, LocalDetector),
        ({"SMARTBRAIN_FACE_PROVIDER": ""}, LocalDetector),
        (
            {"SMARTBRAIN_FACE_PROVIDER": "clarifai", "SMARTBRAIN_CLARIFAI_PAT": "pat"},
            ClarifaiDetector,
        ),
        (
            {"SMARTBRAIN_FACE_PROVIDER": "HuggingFace", "SMARTBRAIN_HUGGINGFACE_TOKEN": "hf_x"},
            HuggingFaceDetector,
        ),
    ],
)
def test_the_environment_chooses_the_detector(environ, kind):
    assert isinstance(get_detector(FaceSettings.from_environ(environ)), kind)


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"SMARTBRAIN_FACE_PROVIDER": "clarifai"}, "SMARTBRAIN_CLARIFAI_PAT"),
        ({"SMARTBRAIN_FACE_PROVIDER": "huggingface"}, "SMARTBRAIN_HUGGINGFACE_TOKEN"),
        ({"SMARTBRAIN_FACE_PROVIDER": "rekognition"}, "local, clarifai or huggingface"),
    ],
)
def test_incomplete_settings_fail_at_start_up(environ, names):
    with pytest.raises(DetectorConfigError, match=names):
        Config(environ)


def recorded(name: str) -> bytes:
    return (RECORDED / name).read_bytes()


def test_clarifai_sends_the_photo_with_the_key_and_reads_the_regions(web_server, astronaut):
    server = web_server()
    server.serve(CLARIFAI_PATH, recorded("clarifai_face_detection.json"), "application/json")
    detector = ClarifaiDetector("test-pat", base_url=server.url(""))
    faces = detector.detect(np.tile(astronaut, (1, 3, 1)))  # 512 x 1536: shrunk to 1024 wide

    [request] = server.requests
    assert (request.method, request.headers["Authorization"]) == ("POST", "Key test-pat")
    image = json.loads(request.body)["inputs"][0]["data"]["image"]["base64"]
    assert Image.open(io.BytesIO(base64.b64decode(image))).size == (1024, 341)
    assert faces == [
        Face(top=0.12271, left=0.35444, bottom=0.34164, right=0.52587, score=0.99975),
        Face(top=0.52, left=0.61, bottom=0.71, right=1.0, score=0.93),  # clamped
    ]


def test_hugging_face_sends_jpeg_with_the_token_and_scales_the_pixel_boxes(web_server, astronaut):
    server = web_server()
    path = "/models/some-user/face-detector"
    server.serve(path, recorded("huggingface_object_detection.json"), "application/json")
    detector = HuggingFaceDetector(
        "hf_test", model="some-user/face-detector", base_url=server.url("")
    )
    faces = detector.detect(np.tile(astronaut, (1, 4, 1)))  # 512 x 2048: sent as 1024 x 256

    [request] = server.requests
    assert request.headers["Authorization"] == "Bearer hf_test"
    assert request.headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(request.body)).size == (1024, 256)
    assert faces[0] == Face(
        top=31 / 256, left=182 / 1024, bottom=87 / 256, right=269 / 1024, score=0.9987
    )
    assert faces[1].score == 0.9412


@pytest.mark.parametrize(
    ("status", "body"),
    [(401, b'{"status": {"code": 11008}}'), (200, b"<html>"), (200, b'{"outputs": []}')],
    ids=["refused-key", "not-json", "unexpected-shape"],
)
def test_a_failing_provider_is_a_bad_gateway_with_a_plain_message(web_server, status, body):
    server = web_server()

    def answer(request):
        request.send_response(status)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    server.routes[CLARIFAI_PATH] = answer
    detector = ClarifaiDetector("test-pat", base_url=server.url(""))
    with pytest.raises(RemoteUnavailable) as failed:
        detector.detect(np.zeros((32, 32, 3), np.uint8))
    assert failed.value.status == 502
    assert "11008" not in failed.value.message and "Clarifai" not in failed.value.message


def test_a_slow_provider_times_out(web_server):
    server = web_server()

    def answer(request):
        time.sleep(2)

    server.routes["/models/m"] = answer
    detector = HuggingFaceDetector("hf_test", model="m", base_url=server.url(""), timeout=0.3)
    with pytest.raises(RemoteTimeout) as failed:
        detector.detect(np.zeros((32, 32, 3), np.uint8))
    assert failed.value.status == 504


def test_the_clarifai_shape_ranks_and_clamps_the_faces():
    faces = [
        Face(top=0.5, left=0.5, bottom=0.75, right=0.625, score=0.91),
        Face(top=-0.1, left=0.1, bottom=0.4, right=1.2, score=0.99),
    ]
    assert clarifai_response(faces) == {
        "outputs": [
            {
                "data": {
                    "regions": [
                        {
                            "region_info": {
                                "bounding_box": {
                                    "top_row": 0.0,
                                    "left_col": 0.1,
                                    "bottom_row": 0.4,
                                    "right_col": 1.0,
                                }
                            },
                            "value": 0.99,
                        },
                        {
                            "region_info": {
                                "bounding_box": {
                                    "top_row": 0.5,
                                    "left_col": 0.5,
                                    "bottom_row": 0.75,
                                    "right_col": 0.625,
                                }
                            },
                            "value": 0.91,
                        },
                    ]
                }
            }
        ]
    }


def test_no_face_is_an_empty_region_list():
    assert clarifai_response([]) == {"outputs": [{"data": {"regions": []}}]}


def test_the_clarifai_shape_round_trips_through_the_clarifai_reader(web_server):
    faces = [Face(top=0.1, left=0.2, bottom=0.3, right=0.4, score=0.95)]
    server = web_server()
    server.serve(CLARIFAI_PATH, json.dumps(clarifai_response(faces)).encode(), "application/json")
    detector = ClarifaiDetector("pat", base_url=server.url(""))
    assert detector.detect(np.zeros((8, 8, 3), np.uint8)) == faces
