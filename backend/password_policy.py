"""New passwords: long enough (the schemas check that), not common, not the user's own words.

The common-password list is the top 10,000 of the one that ships with zxcvbn (from leaked
password corpora); one character repeated, and whitespace alone, count as common too. No
composition rules: length and unpredictability are what count.
"""

from __future__ import annotations

from functools import cache

from backend.errors import invalid_input

_COMMON_COUNT = 10_000


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"][:_COMMON_COUNT])


def password_problem(password: str, email: str, name: str | None) -> str | None:
    """Why `password` may not be used, in words for the user, or None when it is fine."""
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) == 1 or not password.strip():
        return "That password is one of the most common ones. Choose another."
    email = email.lower()
    local_part = email.partition("@")[0]
    if email in lowered or (len(local_part) >= 3 and local_part in lowered):
        return "Your password may not contain your email address."
    if name and len(name.strip()) >= 3 and name.strip().lower() in lowered:
        return "Your password may not contain your name."
    return None


def check_new_password(password: str, email: str, name: str | None, field: str) -> None:
    problem = password_problem(password, email, name)
    if problem:
        raise invalid_input({field: problem})
