"""Configuration read from the environment, with defaults that run on a fresh machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from platformdirs import user_data_dir

from backend.faces.providers import FaceSettings
from backend.http_policy import parse_cors_origins
from backend.rate_limits import parse_rate_limits

MIN_SECRET_KEY_LENGTH = 32


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings for one backend process; every field comes from a SMARTBRAIN_* variable."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.data_dir = Path(env.get("SMARTBRAIN_DATA_DIR") or user_data_dir("SmartBrain", False))
        self.database_url = env.get("SMARTBRAIN_DATABASE_URL") or (
            f"sqlite:///{self.data_dir / 'smartbrain.db'}"
        )
        # None means "start the embedded server" (only `serve` does that).
        self.redis_url: str | None = env.get("SMARTBRAIN_REDIS_URL") or None
        self.bcrypt_rounds = _int(env, "SMARTBRAIN_BCRYPT_ROUNDS", 12)
        if not 4 <= self.bcrypt_rounds <= 31:
            raise ValueError("SMARTBRAIN_BCRYPT_ROUNDS must be between 4 and 31")
        self.session_idle_seconds = _int(env, "SMARTBRAIN_SESSION_IDLE_SECONDS", 14 * 24 * 3600)
        self.session_max_seconds = _int(env, "SMARTBRAIN_SESSION_MAX_SECONDS", 90 * 24 * 3600)
        self.max_body_bytes = _int(env, "SMARTBRAIN_MAX_BODY_BYTES", 1024 * 1024)
        self.allow_private_urls = _flag(env, "SMARTBRAIN_ALLOW_PRIVATE_URLS")
        self.cors_origins = parse_cors_origins(env.get("SMARTBRAIN_CORS_ORIGINS", ""))
        # How many reverse proxies in front append to X-Forwarded-For (0: none is believed).
        self.trusted_proxies = _int(env, "SMARTBRAIN_TRUSTED_PROXIES", 0)
        if self.trusted_proxies < 0:
            raise ValueError("SMARTBRAIN_TRUSTED_PROXIES must be 0 or a positive whole number")
        self.rate_limits = parse_rate_limits(env.get("SMARTBRAIN_RATE_LIMITS", ""))
        self.max_image_bytes = _int(env, "SMARTBRAIN_MAX_IMAGE_BYTES", 10 * 1024 * 1024)
        self.image_fetch_seconds = _int(env, "SMARTBRAIN_IMAGE_FETCH_SECONDS", 10)
        self.detection_slots = _int(env, "SMARTBRAIN_DETECTION_SLOTS", min(2, os.cpu_count() or 1))
        if self.detection_slots < 1:
            raise ValueError("SMARTBRAIN_DETECTION_SLOTS must be 1 or more")
        self.faces = FaceSettings.from_environ(env)
        # Encrypts two-step secrets at rest; unset, a key is made once in the data directory.
        self.secret_key: str | None = env.get("SMARTBRAIN_SECRET_KEY", "").strip() or None
        if self.secret_key is not None and len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"SMARTBRAIN_SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters"
            )

    def app_config(self) -> dict[str, object]:
        """The settings as the app's config keys: what create_app puts in app.config."""
        return {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "BCRYPT_ROUNDS": self.bcrypt_rounds,
            "SESSION_IDLE_SECONDS": self.session_idle_seconds,
            "SESSION_MAX_SECONDS": self.session_max_seconds,
            "MAX_CONTENT_LENGTH": self.max_body_bytes,
            "ALLOW_PRIVATE_URLS": self.allow_private_urls,
            "CORS_ORIGINS": self.cors_origins,
            "TRUSTED_PROXIES": self.trusted_proxies,
            "RATE_LIMITS": self.rate_limits,
            "MAX_IMAGE_BYTES": self.max_image_bytes,
            "IMAGE_FETCH_SECONDS": self.image_fetch_seconds,
            "DETECTION_SLOTS": self.detection_slots,
            "FACE_SETTINGS": self.faces,
            "SECRET_KEY": self.secret_key,
            "DATA_DIR": self.data_dir,
        }
