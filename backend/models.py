"""The original SmartBrain schema (`users`, `login`), plus the profile's `age` and `pet`, and
two-step verification (`two_step`, `recovery_codes`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from backend.passwords import fits_legacy_hash, hash_password, is_legacy_hash, verify_password


class Base(DeclarativeBase):
    pass


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(Text, unique=True)
    entries: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    joined: Mapped[datetime] = mapped_column(DateTime, default=_utc_now)
    age: Mapped[int | None] = mapped_column(Integer)
    pet: Mapped[str | None] = mapped_column(Text)

    def to_json(self) -> dict:
        return user_json(self)


class Login(Base):
    """A user's credentials, joined to `users` by the exact email, as in the original schema."""

    __tablename__ = "login"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(Text, unique=True)

    def set_password(self, password: str, rounds: int) -> None:
        self.hash = hash_password(password, rounds)

    def check_password(self, password: str, *, costs_as: int = 0) -> bool:
        """True when `password` is this login's; costs_as: see verify_password."""
        return verify_password(password, self.hash, costs_as=costs_as)

    def should_rehash(self, password: str) -> bool:
        """After `password` matched: whether to replace a legacy hash with a new-style one.

        Not when the original server's bcrypt ignored part of it (past 72 bytes): a user who
        mistyped the tail would otherwise be held to the mistyped version.
        """
        return is_legacy_hash(self.hash) and fits_legacy_hash(password)


class TwoStep(Base):
    """A user's two-step verification, present while it is on."""

    __tablename__ = "two_step"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(Text)  # the TOTP secret, encrypted (secret_box.py)
    enabled_at: Mapped[datetime] = mapped_column(DateTime, default=_utc_now)


class RecoveryCode(Base):
    """One unused recovery code, as its keyed fingerprint: the row goes when the code is used."""

    __tablename__ = "recovery_codes"
    # (user id, code) is unique, and its index finds a user's codes.
    __table_args__ = (UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))


def user_json(user: Any) -> dict:
    """A user's public fields, from a User or a row of the users table."""
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "entries": int(user.entries or 0),
        "joined": _iso_utc(user.joined),
        "age": user.age,
        "pet": user.pet,
    }


def _iso_utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
