"""At most a few photos decoded and searched at once in each process; the rest wait, then 503.

Decoding a photo holds up to about 80 MB (backend/faces/image_limits.py) and keeps a core
busy, so each process has DETECTION_SLOTS slots (SMARTBRAIN_DETECTION_SLOTS; by default 2, 1
on a single core). More slots per process would buy little: the detector searches one photo
at a time in a process (its nets are shared under a lock); more processes buy more. A request
that finds no slot free waits up to WAIT_SECONDS, holding nothing but its photo's bytes (no
database connection: the view uses none), then is told to come back: 503 with Retry-After.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

from backend.errors import ApiError

WAIT_SECONDS = 2.0
RETRY_AFTER_SECONDS = 2
_BUSY = "SmartBrain is busy finding faces in other photos. Please try again in a few seconds."
_EXTENSION = "smartbrain.detection_slots"
_creating = threading.Lock()


@contextmanager
def detection_slot() -> Iterator[None]:
    """Hold one of this app's slots for the block; ApiError 503 if none frees in time."""
    slots = _slots(current_app)
    if not slots.acquire(timeout=WAIT_SECONDS):
        raise ApiError(503, "busy", _BUSY, retry_after=RETRY_AFTER_SECONDS)
    try:
        yield
    finally:
        slots.release()


def _slots(app: Flask) -> threading.BoundedSemaphore:
    """The app's semaphore, made at first use from app.config["DETECTION_SLOTS"]."""
    with _creating:
        return app.extensions.setdefault(
            _EXTENSION, threading.BoundedSemaphore(app.config["DETECTION_SLOTS"])
        )
