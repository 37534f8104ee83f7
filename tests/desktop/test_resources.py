"""The compiled resources (desktop/resources_rc.py) hold every file of resources/, as it is now."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from desktop.resources import app_icon, load_stylesheet, read_resource

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
QRC = RESOURCES / "smartbrain.qrc"
STALE = "desktop/resources_rc.py is out of date: run .ci/compile_resources"


def listed() -> list[str]:
    return [file.text or "" for file in ElementTree.parse(QRC).getroot().iter("file")]


def test_the_qrc_lists_every_file_in_resources():
    on_disk = {path.name for path in RESOURCES.iterdir() if path != QRC}
    assert sorted(listed()) == sorted(on_disk)


@pytest.mark.parametrize("name", listed())
def test_each_compiled_resource_matches_its_source(name):
    assert read_resource(name) == (RESOURCES / name).read_bytes(), STALE


def test_a_resource_that_was_not_compiled_in_is_named():
    with pytest.raises(FileNotFoundError, match="missing.png is not among the compiled"):
        read_resource("missing.png")


def test_the_stylesheet_and_the_icon_load(qapp):
    assert "QLineEdit" in load_stylesheet()
    icon = app_icon()
    assert not icon.isNull()
    assert not icon.pixmap(64, 64).isNull()
