"""OpenCV, numpy and Pillow load when a photo is first searched, not when the server starts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

FACE_STACK = ("cv2", "numpy", "PIL")


def modules_loaded_after(code: str) -> list[str]:
    """Which of the face stack's modules a fresh interpreter holds after running `code`."""
    report = f"print(*[m for m in {FACE_STACK!r} if m in sys.modules])"
    check = f"import sys\n{textwrap.dedent(code)}\n{report}"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    "code",
    [
        "import backend.errors",
        """
        from backend import create_app
        from backend.config import Config

        create_app(Config({"SMARTBRAIN_REDIS_URL": "redis://127.0.0.1:9/0",
                           "SMARTBRAIN_DATABASE_URL": "sqlite://"}))
        """,
    ],
    ids=["import backend.errors", "create_app"],
)
def test_the_server_starts_without_the_face_stack(code):
    assert modules_loaded_after(code) == []


def test_the_first_search_loads_the_face_stack():
    code = """
        from backend.faces import DetectorOnFirstUse, FaceSettings

        detector = DetectorOnFirstUse(FaceSettings())
        assert "cv2" not in sys.modules
        import numpy
        detector.detect(numpy.zeros((64, 64, 3), numpy.uint8))
    """
    assert modules_loaded_after(code) == list(FACE_STACK)
