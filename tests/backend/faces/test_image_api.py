"""POST /imageurl end to end: uploads and links, answered in Clarifai's shape, or a 4xx."""

from __future__ import annotations

import pytest
from skimage import data

from tests.backend.faces import bombs
from tests.conftest import built_app


@pytest.fixture
def private_client(config):
    """A client of an app that may fetch loopback URLs, as the desktop's own backend does."""
    config.allow_private_urls = True
    with built_app(config) as app:
        yield app.test_client()


def upload(client, headers, body: bytes, name: str = "photo.jpg", field: str = "image"):
    """A multipart upload, encoded here (the test client would spool big ones to a file)."""
    boundary = "smartbrain-test-boundary"
    encoded = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + body
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return client.post(
        "/imageurl",
        data=encoded,
        headers=headers,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def regions(response) -> list[dict]:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["outputs"][0]["data"]["regions"]


def test_an_uploaded_photo_gets_its_face_boxed(client, auth, astronaut_jpeg):
    found = regions(upload(client, auth.headers, astronaut_jpeg))
    assert len(found) == 1
    box = found[0]["region_info"]["bounding_box"]
    assert 0 <= box["top_row"] < box["bottom_row"] <= 1
    assert 0 <= box["left_col"] < box["right_col"] <= 1
    assert 0.3 < box["left_col"] < 0.45 and 0.45 < box["right_col"] < 0.6  # her face
    assert found[0]["value"] >= 0.9


def test_no_face_is_an_empty_list(client, auth, encode):
    assert regions(upload(client, auth.headers, encode(data.coffee()))) == []


def test_a_mosaic_has_every_face_boxed_best_first(client, auth, encode, mosaic):
    found = regions(upload(client, auth.headers, encode(mosaic, "PNG"), "mosaic.png"))
    assert len(found) == 24
    scores = [region["value"] for region in found]
    assert scores == sorted(scores, reverse=True)


def test_a_linked_photo_is_fetched_and_boxed(private_client, accounts, web_server, astronaut_jpeg):
    dana = accounts.register()
    server = web_server()
    url = server.serve("/astronaut.jpg", astronaut_jpeg)
    response = private_client.post("/imageurl", json={"input": url}, headers=dana.headers)
    assert len(regions(response)) == 1


def test_a_private_link_is_refused_without_being_requested(
    client, auth, web_server, astronaut_jpeg
):
    server = web_server()
    url = server.serve("/astronaut.jpg", astronaut_jpeg)
    response = client.post("/imageurl", json={"input": url}, headers=auth.headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "url_refused" and "private or local" in error["message"]
    assert server.requests == []


def test_an_unreachable_link_is_a_4xx_in_plain_words(private_client, accounts):
    dana = accounts.register()
    response = private_client.post(
        "/imageurl", json={"input": "http://127.0.0.1:9/photo.jpg"}, headers=dana.headers
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "url_unreachable"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"not a photo at all", 422, "not_an_image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 422, "not_an_image"),
        (b"x" * (11 * 1024 * 1024), 413, "image_too_large"),
    ],
    ids=["text", "broken-png", "over-10-mb"],
)
def test_bad_uploads(client, auth, body, status, code):
    response = upload(client, auth.headers, body)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code


SMALL_BOMBS = {
    **{
        f"{fmt} header of 7000 x 7000": lambda fmt=fmt: bombs.declaring(fmt, 7000, 7000)
        for fmt in bombs.FORMATS
    },
    **bombs.OVER_CAPS,
}


@pytest.mark.parametrize("name", SMALL_BOMBS)
def test_a_small_bomb_of_any_format_is_answered_413(client, auth, name):
    response = upload(client, auth.headers, SMALL_BOMBS[name]())
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "image_too_large"
    assert error["message"].startswith("That picture is too large. Please use one under ")


@pytest.mark.parametrize(
    "body", [{}, {"input": ""}, {"input": 42}, {"input": "x" * 3000}, {"input": None}]
)
def test_bad_links(client, auth, body):
    response = client.post("/imageurl", json=body, headers=auth.headers)
    assert response.status_code == 400
    assert "input" in response.get_json()["error"]["fields"]


def test_an_upload_needs_the_image_field(client, auth):
    response = upload(client, auth.headers, b"x", field="photo")
    assert response.status_code == 400
    assert "image" in response.get_json()["error"]["fields"]


def test_detection_needs_a_session(client, astronaut_jpeg):
    assert upload(client, {}, astronaut_jpeg).status_code == 401
