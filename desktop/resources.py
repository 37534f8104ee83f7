"""The one loader for the app's icon, stylesheet and images.

They live in resources/ in the repository and are compiled into desktop/resources_rc.py with
Qt's resource system (resources/smartbrain.qrc, `.ci/compile_resources`), so a checkout, an
installed wheel and a frozen bundle all read them the same way: from memory, as ":/<name>",
with no path to find on disk. The stylesheet can name images the same way: `url(:/<name>)`.
"""

from __future__ import annotations

from PySide6.QtCore import QFile, QIODevice
from PySide6.QtGui import QIcon

import desktop.resources_rc  # noqa: F401 - importing it registers the ":/" files with Qt


def resource_path(name: str) -> str:
    """The Qt path of a file from resources/, for QIcon, QPixmap, QFile and QSS `url()`."""
    return f":/{name}"


def read_resource(name: str) -> bytes:
    """The bytes of a file from resources/; FileNotFoundError if it was not compiled in."""
    file = QFile(resource_path(name))
    if not file.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(
            f"{name} is not among the compiled resources: list it in resources/smartbrain.qrc "
            "and run .ci/compile_resources"
        )
    try:
        return bytes(file.readAll().data())
    finally:
        file.close()


def load_stylesheet() -> str:
    """The application's QSS."""
    return read_resource("style.qss").decode("utf-8")


def app_icon() -> QIcon:
    """The brain icon, drawn from SVG so it is sharp at any scale."""
    return QIcon(resource_path("smartbrain.svg"))
