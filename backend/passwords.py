"""Password hashing: bcrypt for every password length, compatible with legacy hashes.

bcrypt reads only the first 72 bytes of its input, so a long passphrase would be silently cut.
New hashes therefore run bcrypt over base64(SHA-256(password)) (44 bytes) and are stored with
the `sha256$` prefix. Hashes made by the original server (bcrypt-nodejs, `$2a$10$...`) are
plain bcrypt over the password's first 72 bytes, exactly what that library did; they still
verify, and are replaced by a new-style hash at the next successful sign-in.
"""

from __future__ import annotations

import base64
import hashlib

import bcrypt

_PREFIX = "sha256$"
_BCRYPT_INPUT_LIMIT = 72


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, rounds: int) -> str:
    return _PREFIX + bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored`, a new-style or a legacy bcrypt hash."""
    try:
        if stored.startswith(_PREFIX):
            return bcrypt.checkpw(_prehash(password), stored[len(_PREFIX) :].encode("ascii"))
        legacy_input = password.encode("utf-8")[:_BCRYPT_INPUT_LIMIT]
        return bcrypt.checkpw(legacy_input, stored.encode("ascii"))
    except ValueError:  # a malformed stored hash never matches
        return False


def is_legacy_hash(stored: str) -> bool:
    return not stored.startswith(_PREFIX)


def dummy_hash(rounds: int) -> str:
    """A hash to verify against when the email is unknown, so both failures cost the same."""
    return hash_password("not a real password", rounds)
