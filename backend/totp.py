"""Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps), through pyotp,
and the ledger that lets each step's code be used once per account.

A code is accepted for the step it was made in, the one before and the one after (a clock a
little off, a code typed as the step turned). The ledger keeps, per user, the last step whose
code was accepted, and refuses any step up to it, atomically in Redis, so no backend process
accepts a code twice. Key: `sb:2fa:{<user id>}:step` (one key per call: fits Redis Cluster).
"""

from __future__ import annotations

import hmac
from typing import Any

import pyotp

ISSUER = "SmartBrain"
STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side of the current one
# Long enough that, once it expires, every step still in the window is newer than the last one.
_LEDGER_MS = (2 * WINDOW + 2) * STEP_SECONDS * 1000

# KEYS[1]: the user's last accepted step; ARGV: the step, the key's life in ms. 1: claimed.
_CLAIM = """
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""


def new_secret() -> str:
    """A random base32 secret of 160 bits, as authenticator apps take it."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// link a QR code carries to an authenticator app."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float) -> int | None:
    """The step within the window, at time `now`, whose code `code` is; None when none is."""
    totp = pyotp.TOTP(secret)
    current = int(now) // STEP_SECONDS  # as pyotp counts: whole seconds since the epoch
    for offset in range(-WINDOW, WINDOW + 1):
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            return current + offset
    return None


class StepLedger:
    """The last accepted step of each user, in Redis."""

    def __init__(self, redis: Any) -> None:
        self._redis = redis
        self._claim = redis.register_script(_CLAIM)

    @staticmethod
    def key(user_id: int) -> str:
        return f"sb:2fa:{{{user_id}}}:step"

    def claim(self, user_id: int, step: int) -> bool:
        """True when `step` is newer than any accepted before; it is the last one from now."""
        return bool(self._claim(keys=[self.key(user_id)], args=[step, _LEDGER_MS]))

    def forget(self, user_id: int) -> None:
        self._redis.delete(self.key(user_id))
