"""One configuration path: what the Config holds is what the app runs on, environment or not."""

from __future__ import annotations

from backend.rate_limits import parse_rate_limits
from tests.conftest import built_app


def test_settings_changed_on_the_config_reach_the_app(config):
    config.cors_origins = ["http://localhost:3001"]
    config.rate_limits = parse_rate_limits("address=1/minute")
    config.max_body_bytes = 2048
    with built_app(config) as app:
        assert {key: app.config[key] for key in config.app_config()} == config.app_config()
        client = app.test_client()
        attempt = {"email": "nobody@example.com", "password": "wrong guess"}
        origin = {"Origin": "http://localhost:3001"}
        first = client.post("/signin", json=attempt, headers=origin)
        assert first.headers["Access-Control-Allow-Origin"] == "http://localhost:3001"
        assert client.post("/signin", json=attempt).status_code == 429
        assert client.post("/signin", data=b"x" * 4096).status_code == 413
