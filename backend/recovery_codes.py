"""Recovery codes: ten single-use codes `xxxxx-xxxxx` that stand in for a lost authenticator.

Written in Crockford's base32 (digits and lower-case letters, without i, l, o and u), 50 random
bits each. What a user types is read leniently: any case, spaces and dashes ignored, and the
look-alikes i and l read as 1, o as 0.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
COUNT = 10
HALF = 5
_LOOK_ALIKES = str.maketrans({"i": "1", "l": "1", "o": "0"})
_SPACES_AND_DASHES = re.compile(r"[\s-]+")
_CODE = re.compile(f"[{ALPHABET}]{{{2 * HALF}}}")


def new_codes() -> list[str]:
    """A new set of codes, as shown to the user."""
    codes = []
    for _ in range(COUNT):
        chars = "".join(secrets.choice(ALPHABET) for _ in range(2 * HALF))
        codes.append(f"{chars[:HALF]}-{chars[HALF:]}")
    return codes


def normalise(typed: str) -> str | None:
    """The code as stored (10 characters, no dash), or None when `typed` is not one."""
    code = _SPACES_AND_DASHES.sub("", typed).lower().translate(_LOOK_ALIKES)
    return code if _CODE.fullmatch(code) else None
