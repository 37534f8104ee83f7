"""The one loader for what lives in resources/: the icon, the stylesheet, images."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QIcon

RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"


def resource_path(name: str) -> Path:
    """The path of a file in resources/."""
    return RESOURCES_DIR / name


def load_stylesheet() -> str:
    """The application's QSS."""
    return resource_path("style.qss").read_text(encoding="utf-8")


def app_icon() -> QIcon:
    """The brain icon, drawn from SVG so it is sharp at any scale."""
    return QIcon(str(resource_path("smartbrain.svg")))
