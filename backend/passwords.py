"""Password hashing: bcrypt for every password length, compatible with legacy hashes.

bcrypt reads only the first 72 bytes of its input, so a long passphrase would be silently cut.
New hashes therefore run bcrypt over base64(SHA-256(password)) (44 bytes) and are stored with
the `sha256$` prefix. Hashes made by the original server (bcrypt-nodejs, `$2a$10$...`) are
plain bcrypt over the password's first 72 bytes, exactly what that library did; they still
verify, and are replaced by a new-style hash at the next successful sign-in.

bcrypt runs in a few threads of their own at a lower CPU priority (nice 5, on Linux): at 12
rounds a sign-in burns about a quarter of a second of CPU, and on a busy machine the
scheduler should run the other requests first, so that a burst of sign-ins slows sign-ins and
not everything else (bench/sign_in_storm.py). bcrypt releases the GIL, so the request thread
waiting for the result costs nothing meanwhile.
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import bcrypt

_PREFIX = "sha256$"
_BCRYPT_INPUT_LIMIT = 72
_HASHING_NICENESS = 5
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
Result = TypeVar("Result")


def _lower_priority() -> None:
    """Make the calling thread nicer; on Linux, PRIO_PROCESS with a thread id means the thread."""
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), _HASHING_NICENESS)


def _hashing(work: Callable[..., Result], *args: object) -> Result:
    """Run bcrypt's `work` in the low-priority hashing threads (made on first use, per process)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(os.cpu_count() or 1, "bcrypt", initializer=_lower_priority)
    return _pool.submit(work, *args).result()


def _forget_pool_after_fork() -> None:
    """A forked child has none of its parent's threads: it makes its own pool when needed."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_forget_pool_after_fork)


def _prehash(password: str) -> bytes:
    return base64.b64encode(hashlib.sha256(password.encode("utf-8")).digest())


def hash_password(password: str, rounds: int) -> str:
    hashed = _hashing(bcrypt.hashpw, _prehash(password), bcrypt.gensalt(rounds))
    return _PREFIX + hashed.decode("ascii")


def verify_password(password: str, stored: str, *, costs_as: int = 0) -> bool:
    """True when `password` matches `stored`, a new-style or a legacy bcrypt hash.

    With costs_as, a cheaper hash's check is topped up with throw-away bcrypt work until it
    costs as much as one at costs_as rounds (2^c + 2^c + 2^(c+1) + ... + 2^(n-1) = 2^n), so
    the time taken tells nothing about which hash, if any, was checked.
    """
    if stored.startswith(_PREFIX):
        bcrypt_hash, candidate = stored[len(_PREFIX) :], _prehash(password)
    else:
        bcrypt_hash, candidate = stored, password.encode("utf-8")[:_BCRYPT_INPUT_LIMIT]
    cost = hash_cost(stored)
    if cost is None:  # a malformed hash never matches; the top-up is the whole cost
        _hashing(_check_and_top_up, b"", b"", range(costs_as, costs_as + bool(costs_as)))
        return False
    return _hashing(
        _check_and_top_up, candidate, bcrypt_hash.encode("ascii"), range(cost, costs_as)
    )


def _check_and_top_up(candidate: bytes, bcrypt_hash: bytes, top_up: range) -> bool:
    try:
        matches = bcrypt.checkpw(candidate, bcrypt_hash)
    except ValueError:  # a malformed stored hash never matches
        matches = False
    for rounds in top_up:
        bcrypt.hashpw(b"top-up", bcrypt.gensalt(rounds))
    return matches


def hash_cost(stored: str) -> int | None:
    """The bcrypt cost (rounds) of a stored hash of either style; None when malformed."""
    bcrypt_hash = stored.removeprefix(_PREFIX)
    parts = bcrypt_hash.split("$")
    if not bcrypt_hash.isascii() or len(parts) < 4 or not parts[2].isdigit():
        return None
    return int(parts[2])


def is_legacy_hash(stored: str) -> bool:
    return not stored.startswith(_PREFIX)


def fits_legacy_hash(password: str) -> bool:
    """True when a legacy hash saw all of `password` (bcrypt reads 72 bytes at most)."""
    return len(password.encode("utf-8")) <= _BCRYPT_INPUT_LIMIT


def dummy_hash(rounds: int) -> str:
    """A hash to verify against when the email is unknown, so both failures cost the same."""
    return hash_password("not a real password", rounds)
