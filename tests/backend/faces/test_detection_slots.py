"""The detection slots: a few photos decoded at once per process; the rest wait, then 503."""

from __future__ import annotations

import os

import pytest

from backend import detection_slots
from backend.config import Config
from backend.detection_slots import detection_slot
from tests.backend.faces.test_image_api import upload
from tests.conftest import Accounts, built_app


@pytest.fixture
def one_slot(config, monkeypatch):
    """An app with one detection slot, whose requests do not wait for it."""
    monkeypatch.setattr(detection_slots, "WAIT_SECONDS", 0)
    config.detection_slots = 1
    with built_app(config) as app:
        client = app.test_client()
        yield app, client, Accounts(client).register()


def test_when_every_slot_is_busy_a_photo_gets_503_with_retry_after(one_slot, astronaut_jpeg):
    app, client, dana = one_slot
    with app.app_context(), detection_slot():  # the only slot, held by another photo
        busy = upload(client, dana.headers, astronaut_jpeg)
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == str(detection_slots.RETRY_AFTER_SECONDS)
    error = busy.get_json()["error"]
    assert error["code"] == "busy" and error["retryAfter"] == detection_slots.RETRY_AFTER_SECONDS
    assert error["message"].endswith("Please try again in a few seconds.")
    assert upload(client, dana.headers, astronaut_jpeg).status_code == 200  # the slot is back


def test_a_refused_photo_gives_its_slot_back(one_slot, astronaut_jpeg):
    _, client, dana = one_slot
    for _ in range(2):
        assert upload(client, dana.headers, b"not a photo").status_code == 422
    assert upload(client, dana.headers, astronaut_jpeg).status_code == 200


def test_slots_come_from_the_environment():
    assert Config({"SMARTBRAIN_DETECTION_SLOTS": "3"}).detection_slots == 3
    assert Config({}).detection_slots == min(2, os.cpu_count() or 1)
    with pytest.raises(ValueError, match="SMARTBRAIN_DETECTION_SLOTS"):
        Config({"SMARTBRAIN_DETECTION_SLOTS": "0"})
