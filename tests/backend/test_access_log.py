"""smartbrain-server's access log: one line a request on stdout, there within a second and
complete after a stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.backend.test_many_processes import _free_port, _wait_for_health

SERVER = Path(sys.executable).with_name("smartbrain-server")
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _request_ids(base: str, path: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        with _http.open(base + path, timeout=10) as response:
            ids.append(response.headers["X-Request-Id"])
    return ids


def _access_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "smartbrain.access" in line]


def test_each_request_reaches_the_access_log_soon_and_all_of_them_by_the_stop(config, tmp_path):
    log = tmp_path / "access.log"
    port = _free_port()
    environment = {
        **os.environ,
        "SMARTBRAIN_DATABASE_URL": config.database_url,
        "SMARTBRAIN_REDIS_URL": config.redis_url,
    }
    with log.open("w") as stdout:
        server = subprocess.Popen(
            [str(SERVER), "--bind", f"127.0.0.1:{port}", "--workers", "1"],
            env=environment,
            stdout=stdout,
            stderr=subprocess.DEVNULL,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_health(base)
        first = _request_ids(base, "/health", 3)
        deadline = time.monotonic() + 1
        while not all(any(i in line for line in _access_lines(log)) for i in first):
            assert time.monotonic() < deadline, "the access lines did not appear while running"
            time.sleep(0.05)
        last = _request_ids(base, "/health", 200)
    finally:
        server.terminate()
        assert server.wait(30) == 0
    lines = _access_lines(log)
    assert all(any(i in line for line in lines) for i in first + last)
    assert all(" GET /health 200 " in line for line in lines if any(i in line for i in last))
