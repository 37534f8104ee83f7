"""Secrets at rest: encrypted with a key from SMARTBRAIN_SECRET_KEY, or from the data directory.

Two keys are derived (HKDF-SHA256) from the one master secret: a Fernet key (AES-128-CBC with
HMAC-SHA256) that encrypts two-step secrets in the database and in Redis, and an HMAC-SHA256 key
that fingerprints recovery codes (high-entropy codes: a keyed hash is enough, no slow hash).

Where SMARTBRAIN_SECRET_KEY is unset (the desktop's local server), the master secret is made
once into `<data dir>/secret.key`, readable by its owner only, and read from there afterwards.
Servers sharing a database must share SMARTBRAIN_SECRET_KEY.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from pathlib import Path

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from backend.private_files import private_dir

KEY_FILE = "secret.key"
_EXTENSION = "smartbrain.secret_box"
_lock = threading.Lock()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


class SecretBox:
    """Encrypt and decrypt short secrets; fingerprint codes that are only ever compared."""

    def __init__(self, master: bytes) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(master, b"smartbrain secrets")))
        self._mac_key = _derive(master, b"smartbrain recovery codes")

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """Raises cryptography.fernet.InvalidToken when made with another key (or altered)."""
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")

    def fingerprint(self, text: str) -> str:
        return hmac.new(self._mac_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def master_secret(configured: str | None, data_dir: Path) -> bytes:
    """SMARTBRAIN_SECRET_KEY's bytes, else the data directory's key file's (made if missing)."""
    if configured:
        return configured.encode("utf-8")
    path = private_dir(data_dir) / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return path.read_bytes().strip()


def _create_key_file(path: Path) -> None:
    """Write a new key beside `path`, then link it into place: of processes racing to make it,
    one wins, and every one reads the winner's whole key."""
    draft = path.with_name(f".{KEY_FILE}.{secrets.token_hex(8)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as file:
            file.write(secrets.token_urlsafe(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
    finally:
        draft.unlink(missing_ok=True)


def secret_box() -> SecretBox:
    """The app's box, made at its first use (so a server that never needs it makes no key)."""
    box = current_app.extensions.get(_EXTENSION)
    if box is None:
        with _lock:
            box = current_app.extensions.get(_EXTENSION)
            if box is None:
                config = current_app.config
                box = SecretBox(master_secret(config["SECRET_KEY"], config["DATA_DIR"]))
                current_app.extensions[_EXTENSION] = box
    return box
