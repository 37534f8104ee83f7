"""smartbrain-server says at start when two-step secrets depend on a key only this machine has."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backend.test_many_processes import _free_port, _wait_for_health

SERVER = Path(sys.executable).with_name("smartbrain-server")
WARNING = "SMARTBRAIN_SECRET_KEY is not set"


def _startup_errors(config, tmp_path: Path, **settings: str) -> str:
    port = _free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if k != "SMARTBRAIN_SECRET_KEY"},
        "SMARTBRAIN_DATA_DIR": str(tmp_path),
        "SMARTBRAIN_DATABASE_URL": config.database_url,
        "SMARTBRAIN_REDIS_URL": config.redis_url,
        **settings,
    }
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        server = subprocess.Popen(
            [str(SERVER), "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        _wait_for_health(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(30)
    return errors.read_text()


@pytest.mark.parametrize("key", [None, "k" * 40])
def test_a_server_without_a_secret_key_warns_where_its_key_lives(config, tmp_path, key):
    errors = _startup_errors(config, tmp_path, **({"SMARTBRAIN_SECRET_KEY": key} if key else {}))
    if key:
        assert WARNING not in errors
    else:
        assert WARNING in errors
        assert str(tmp_path) in errors
        assert "every server sharing this database" in errors
