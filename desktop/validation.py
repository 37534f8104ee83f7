"""The server's input rules, checked as the user types. Each returns a message or ""."""

from __future__ import annotations

import re

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
NAME_MAX = 100
PET_MAX = 100
PASSWORD_MIN = 8
AGE_MAX = 150


def name_error(name: str) -> str:
    """Name: 1 to 100 characters, not only spaces."""
    if not name.strip():
        return "Enter your name."
    if len(name.strip()) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters."
    return ""


def email_error(email: str) -> str:
    """A plausible email address."""
    if not email.strip():
        return "Enter your email address."
    if not EMAIL.match(email.strip()):
        return "Enter a valid email address, like dana@example.com."
    return ""


def password_error(password: str) -> str:
    """At least 8 characters."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    return ""


def confirmation_error(password: str, confirmation: str) -> str:
    """The confirmation repeats the password."""
    if confirmation != password:
        return "The passwords do not match."
    return ""


def age_error(age: str) -> str:
    """Blank, or a whole number from 0 to 150."""
    if not age.strip():
        return ""
    if not age.strip().isdigit() or int(age) > AGE_MAX:
        return f"Enter a whole number from 0 to {AGE_MAX}, or leave it blank."
    return ""


def pet_error(pet: str) -> str:
    """Up to 100 characters."""
    if len(pet.strip()) > PET_MAX:
        return f"Use at most {PET_MAX} characters."
    return ""


AUTHENTICATOR_CODE_LENGTH = 6
RECOVERY_CODE = re.compile(r"^[a-z0-9]{10}$")


def normalised_recovery_code(code: str) -> str:
    """A recovery code as the server compares it: lower case, without spaces or dashes."""
    return re.sub(r"[\s-]", "", code).lower()


def authenticator_code_error(code: str) -> str:
    """The 6 digits an authenticator app shows."""
    if not code.strip():
        return "Enter the 6-digit code from your authenticator app."
    if not (code.strip().isdigit() and len(code.strip()) == AUTHENTICATOR_CODE_LENGTH):
        return "The code has 6 digits."
    return ""


def recovery_code_error(code: str) -> str:
    """One of the recovery codes, like abcde-fghij (spaces, dashes and case do not matter)."""
    if not code.strip():
        return "Enter one of your recovery codes."
    if not RECOVERY_CODE.match(normalised_recovery_code(code)):
        return "A recovery code looks like abcde-fghij."
    return ""


def any_code_error(code: str) -> str:
    """A code from the authenticator app or a recovery code."""
    if not code.strip():
        return "Enter a code from your authenticator app, or a recovery code."
    if code.strip().isdigit():
        return authenticator_code_error(code)
    return recovery_code_error(code)
