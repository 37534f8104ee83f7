"""Eight uploads at once of the worst pictures, against a real `main.py serve`: memory bounded."""

from __future__ import annotations

import io
import json
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from tests.backend.faces import bombs
from tests.backend.serve_process import (
    ServeProcess,
    call,
    kill_leftover_valkey,
    serve_environment,
)
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.slow

CLIENTS = 8
ALLOWED = {200, 413, 422, 429, 503}
PEAK_MB, RETURN_MB = 400, 50
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
HEAVIEST = ("PNG RGBA 16 MP", "WebP RGBA 4 MP", "progressive JPEG 4:4:4 10.6 MP")


def megabytes(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {key} for process {pid}")


def post_photo(base: str, token: str, photo: bytes) -> tuple[int, dict]:
    """(status, JSON body) of one multipart upload to /imageurl."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="p"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + photo
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        base + "/imageurl",
        data=body,
        method="POST",
        headers={
            "Authorization": token,
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with _http.open(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def all_at_once(base: str, tokens: list[str], photo: bytes) -> list[tuple[int, dict]]:
    barrier = threading.Barrier(len(tokens))

    def send(token: str) -> tuple[int, dict]:
        barrier.wait()
        return post_photo(base, token, photo)

    with ThreadPoolExecutor(len(tokens)) as pool:
        return list(pool.map(send, tokens))


def in_json_shape(status: int, body: dict) -> bool:
    if status == 200:
        return "outputs" in body
    return {"code", "message", "requestId"} <= body.get("error", {}).keys()


@pytest.fixture
def server(tmp_path):
    env = serve_environment(tmp_path / "data", SMARTBRAIN_DETECTION_SLOTS="2")
    process = ServeProcess(env, tmp_path / "serve.log")
    try:
        process.wait_ready()
        yield process
    finally:
        process.close()
        kill_leftover_valkey(process.data_dir)


def test_eight_bombs_at_once_stay_under_400_mb_and_memory_returns(server, astronaut):
    tokens = []
    for number in range(CLIENTS):
        body = {"name": "Dana", "email": f"dana{number}@example.com", "password": TEST_PASSWORD}
        status, answer = call("POST", server.url + "/register", body)
        assert status == 200, answer
        tokens.append(answer["token"])
    photo = io.BytesIO()
    Image.fromarray(astronaut).save(photo, "JPEG")
    assert post_photo(server.url, tokens[0], photo.getvalue())[0] == 200  # detector loaded
    pid = server.process.pid
    before = megabytes(pid, "VmRSS")
    pictures = {**bombs.OVER_CAPS, **{name: bombs.WITHIN_CAPS[name] for name in HEAVIEST}}
    for name, make in pictures.items():
        for status, body in all_at_once(server.url, tokens, make()):
            assert status in ALLOWED and in_json_shape(status, body), (name, status, body)
    assert megabytes(pid, "VmHWM") < PEAK_MB
    assert megabytes(pid, "VmRSS") - before < RETURN_MB
