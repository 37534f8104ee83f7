"""Pre-flight check for what Qt's xcb plugin needs on Linux: its system libraries and a display.

Without them Qt aborts with a cryptic plugin error; this says in one sentence what to do.
Run it before QApplication exists.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Mapping

XCB_LIBRARIES = {
    # shared object name: Debian/Ubuntu package
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
}


def uses_xcb(platform: str | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """Whether Qt will pick the xcb (X11) platform plugin (default: this process's)."""
    platform = platform or sys.platform
    environ = os.environ if environ is None else environ
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    return not environ.get("WAYLAND_DISPLAY")


def missing_packages() -> list[str]:
    """The packages whose libraries cannot be loaded, in a stable order."""
    return [package for library, package in XCB_LIBRARIES.items() if not _loadable(library)]


def problem() -> str | None:
    """One plain sentence naming what to install, or None when Qt can start."""
    if not uses_xcb():
        return None
    missing = missing_packages()
    if missing:
        return (
            "SmartBrain cannot open a window because system libraries Qt needs are missing; "
            f"install them with: sudo apt-get install {' '.join(missing)}"
        )
    if not os.environ.get("DISPLAY"):
        return (
            "SmartBrain cannot open a window because no X display was found (DISPLAY is not "
            "set); start it from a desktop session, or run `smartbrain serve` (in a checkout: "
            "`python main.py serve`) for the "
            "server alone."
        )
    return None


def _loadable(library: str) -> bool:
    """Whether the dynamic loader finds the library, as Qt's plugin loader will."""
    try:
        ctypes.CDLL(library)
    except OSError:
        return False
    return True
