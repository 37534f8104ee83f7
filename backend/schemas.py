"""The request bodies, validated by pydantic; the same models describe them in /openapi.json."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from backend import recovery_codes

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Enter your email address.")
    email = _text(value).strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValueError("Enter a valid email address.")
    return email


def _text(value: Any) -> Any:
    """Text the database, Redis and bcrypt can all store: no NUL, no lone surrogates.

    JSON may spell a lone surrogate ("\\ud800"); it cannot be encoded as UTF-8, so letting it
    through would fail later, deep in a driver, as a 500.
    """
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("Text may not contain NUL characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("Text must be valid Unicode.") from None
    return value


def _any_password(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("Enter your password.")
    if len(value) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"Use at most {MAX_PASSWORD_LENGTH} characters.")
    return _text(value)


def _new_password(value: Any) -> str:
    password = _any_password(value)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Use at least {MIN_PASSWORD_LENGTH} characters.")
    return password


def _device(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Device must be text.")
    return _text(value).strip()[:100]


def _name(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("Enter your name.")
    name = _text(value).strip()
    if not name:
        raise ValueError("Enter your name.")
    if len(name) > 100:
        raise ValueError("Use at most 100 characters.")
    return name


def _optional_age(value: Any) -> int | None:
    """A whole number 0-150, also written as text ("31"); null or "" clears it."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError("Age must be a whole number.")
    if isinstance(value, str):
        digits = value.strip()
        if not digits.isascii() or not digits.isdigit():
            raise ValueError("Age must be a whole number.")
        if len(digits.lstrip("0")) > 3:  # int() refuses over 4,300 digits, in its own words
            raise ValueError("Age must be between 0 and 150.")
        value = int(digits)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError("Age must be a whole number.")
    if not 0 <= value <= 150:
        raise ValueError("Age must be between 0 and 150.")
    return value


def _optional_pet(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("Pet must be text.")
    value = _text(value).strip()
    if len(value) > 100:
        raise ValueError("Pet must be at most 100 characters.")
    return value or None


_TOTP_CODE = re.compile(r"[0-9]{6}")
_SPACES = re.compile(r"\s+")
_MAX_CODE_LENGTH = 64
ENTER_A_CODE = "Enter a code from your authenticator app."


def _typed_code(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(ENTER_A_CODE)
    if len(value) > _MAX_CODE_LENGTH:
        raise ValueError("That is not a code.")
    return _text(value)


def _totp_code(value: Any) -> str:
    """Six digits (spaces ignored), as authenticator apps show them."""
    code = _SPACES.sub("", _typed_code(value))
    if not _TOTP_CODE.fullmatch(code):
        raise ValueError("Enter the 6-digit code from your authenticator app.")
    return code


def _any_code(value: Any) -> str:
    """A TOTP code's six digits, or a recovery code as stored (recovery_codes.normalise)."""
    typed = _typed_code(value)
    code = _SPACES.sub("", typed)
    if _TOTP_CODE.fullmatch(code):
        return code
    recovery = recovery_codes.normalise(typed)
    if recovery is None:
        raise ValueError("Enter the 6-digit code from your authenticator app, or a recovery code.")
    return recovery


def _optional_code(value: Any) -> str | None:
    """A code, or None when none was sent (null or blank)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _any_code(value)


def _challenge(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Sign in again.")
    if len(value) > 128:
        raise ValueError("This is not a sign-in challenge.")
    return _text(value).strip()


def _typed_email(value: Any) -> str:
    """The email as the user typed it out, to compare with the account's (not looked up)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Type your email exactly as shown.")
    if len(value) > 254:
        raise ValueError("Type your email exactly as shown.")
    return _text(value).strip()


# Each field type pairs its validator with the JSON Schema the API documents for it.
Email = Annotated[
    str,
    BeforeValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]
Name = Annotated[
    str,
    BeforeValidator(_name),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 100}),
]
NewPassword = Annotated[
    str,
    BeforeValidator(_new_password),
    WithJsonSchema(
        {"type": "string", "minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH}
    ),
]
AnyPassword = Annotated[
    str,
    BeforeValidator(_any_password),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_PASSWORD_LENGTH}),
]
Device = Annotated[
    str, BeforeValidator(_device), WithJsonSchema({"type": "string", "maxLength": 100})
]
Age = Annotated[
    int | None,
    BeforeValidator(_optional_age),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 150},
                {"type": "string", "pattern": "^\\s*[0-9]{0,3}\\s*$"},
                {"type": "null"},
            ]
        }
    ),
]
Pet = Annotated[
    str | None,
    BeforeValidator(_optional_pet),
    WithJsonSchema({"anyOf": [{"type": "string", "maxLength": 100}, {"type": "null"}]}),
]


_CODE_SCHEMA = {"type": "string", "minLength": 1, "maxLength": _MAX_CODE_LENGTH}
TotpCode = Annotated[str, BeforeValidator(_totp_code), WithJsonSchema(_CODE_SCHEMA)]
Code = Annotated[str, BeforeValidator(_any_code), WithJsonSchema(_CODE_SCHEMA)]
OptionalCode = Annotated[
    str | None,
    BeforeValidator(_optional_code),
    WithJsonSchema({"anyOf": [_CODE_SCHEMA, {"type": "null"}]}),
]
ChallengeText = Annotated[
    str,
    BeforeValidator(_challenge),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 128}),
]
TypedEmail = Annotated[
    str,
    BeforeValidator(_typed_email),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 254}),
]


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class RegisterBody(Body):
    name: Name
    email: Email
    password: NewPassword
    device: Device | None = None


class SignInBody(Body):
    email: Email
    password: AnyPassword
    device: Device | None = None


class SignInCodeBody(Body):
    challenge: ChallengeText
    code: Code
    device: Device | None = None


class PasswordBody(Body):
    password: AnyPassword


class TotpCodeBody(Body):
    code: TotpCode


class PasswordAndCodeBody(Body):
    password: AnyPassword
    code: Code


class DeleteAccountBody(Body):
    password: AnyPassword
    email: TypedEmail
    code: OptionalCode = None


class ChangePasswordBody(Body):
    current_password: AnyPassword = Field(alias="currentPassword")
    new_password: NewPassword = Field(alias="newPassword")


class ProfileFields(Body):
    name: Name | None = None
    age: Age = None
    pet: Pet = None


class ProfileBody(Body):
    form_input: ProfileFields = Field(alias="formInput")


class ImageBody(Body):
    id: int | None = None


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("Enter the link to a photo.")
    if len(value) > 2048:
        raise ValueError("That link is too long.")
    return _text(value).strip()


class ImageUrlBody(Body):
    input: Annotated[
        str, BeforeValidator(_url), WithJsonSchema({"type": "string", "maxLength": 2048})
    ]
