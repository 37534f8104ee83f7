"""smartbrain_cli: the commands and their names. What they do is tested where it lives
(tests/backend/test_serve.py, test_migrations.py, tests/desktop/); .ci/wheel_check runs them
from an installed wheel."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from smartbrain_cli import _parser, app_main

CHECKOUT = Path(__file__).resolve().parents[1]


def usage(*command: str, cwd: Path = CHECKOUT) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()[0]


def test_main_py_is_the_smartbrain_command():
    assert usage(sys.executable, "main.py", "--help") == (
        "usage: smartbrain [-h] [--server URL] {serve,db} ..."
    )


def test_the_package_runs_from_any_directory(tmp_path):
    """What the desktop app starts its backend with (`-P`: not the working directory first)."""
    command = usage(sys.executable, "-P", "-m", "smartbrain_cli", "serve", "--help", cwd=tmp_path)
    assert command.startswith("usage: smartbrain serve [-h] [--host HOST] [--port PORT]")


@pytest.mark.parametrize(
    ("argv", "command"),
    [([], None), (["serve"], "serve"), (["db", "upgrade"], "db"), (["--server", "http://x"], None)],
)
def test_the_commands(argv, command):
    assert _parser().parse_args(argv).command == command


def test_smartbrain_app_is_the_app_alone(capsys):
    with pytest.raises(SystemExit) as exited:
        app_main(["serve"])
    assert exited.value.code == 2
    assert "usage: smartbrain-app [-h] [--server URL]" in capsys.readouterr().err
