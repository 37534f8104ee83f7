"""The pre-flight check for Qt's xcb libraries."""

from __future__ import annotations

import pytest

from desktop import platform_check
from desktop.app import run


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("linux", {}, True),
        ("linux", {"QT_QPA_PLATFORM": "xcb"}, True),
        ("linux", {"QT_QPA_PLATFORM": "offscreen"}, False),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, False),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"}, True),
        ("win32", {}, False),
        ("darwin", {}, False),
    ],
)
def test_uses_xcb(platform, environ, expected):
    assert platform_check.uses_xcb(platform, environ) is expected


def test_a_missing_library_is_named_in_one_sentence(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(
        platform_check, "XCB_LIBRARIES", {"libsmartbrain-missing.so.0": "libsmartbrain-missing0"}
    )
    problem = platform_check.problem()
    assert problem.endswith("sudo apt-get install libsmartbrain-missing0")
    assert "\n" not in problem


def test_run_stops_before_qt_with_that_sentence(monkeypatch, capsys):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(
        platform_check, "XCB_LIBRARIES", {"libsmartbrain-missing.so.0": "libsmartbrain-missing0"}
    )
    assert run() == 1
    assert capsys.readouterr().err.strip().endswith("libsmartbrain-missing0")


def test_no_display_is_named_too(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setattr(platform_check.sys, "platform", "linux")
    monkeypatch.setattr(platform_check, "XCB_LIBRARIES", {})
    assert "no X display was found" in platform_check.problem()


def test_no_problem_when_not_on_xcb(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert platform_check.problem() is None
