"""The account work behind the views, over the database and the token store.

Registering, signing in, the profile, the entry count and the password. What the client
must be told is raised as an ApiError, in the words the API answers with.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast

from flask import current_app
from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from backend.driver_statements import DriverStatement
from backend.errors import ApiError, WrongPassword, invalid_input, session_ended
from backend.extensions import db, tokens
from backend.hash_costs import hash_costs
from backend.models import Login, User, user_json
from backend.password_policy import check_new_password
from backend.passwords import dummy_hash, verify_password
from backend.ranking import ranking
from backend.schemas import ProfileFields

_dummy_hashes: dict[int, str] = {}


def _rounds() -> int:
    return current_app.config["BCRYPT_ROUNDS"]


def register(
    name: str,
    email: str,
    password: str,
    device: str,
) -> tuple[User, str]:
    """Create a user, their login and their first session (on `device`): all, or none.

    Returns the user and the session's token; 409 when the email is taken. The session is
    started before the commit and ended again if the commit fails, so a client told "try
    again" never finds its email already taken.
    """
    email = email.lower()
    check_new_password(password, email, name, "password")
    taken = db.session.scalar(select(Login.id).where(func.lower(Login.email) == email).limit(1))
    if taken is not None:
        raise _email_taken()
    login = Login(email=email)
    login.set_password(password, _rounds())
    user = User(name=name, email=email, entries=0)
    token: str | None = None
    try:
        with db.transaction() as session:
            session.add_all([login, user])
            session.flush()
            token = tokens.store.issue(user.id, device)
    except BaseException as error:
        if token is not None:  # the commit failed after the session started
            tokens.store.revoke(token)
        if isinstance(error, IntegrityError):
            raise _email_taken() from None
        raise
    ranking().record(user.id, 0, new_user=True)
    return user, token


def _email_taken() -> ApiError:
    return ApiError(
        409,
        "email_taken",
        "An account with this email already exists.",
        {"email": "An account with this email already exists."},
    )


def authenticate(email: str, password: str) -> User:
    """The user whose email and password match; the same error, and cost, otherwise.

    Logins are matched to users by their exact email. A database carried over from the
    original server may hold emails that differ only in letter case: the password decides
    which of those accounts signs in, the exact spelling being tried first.
    """
    session = db.session
    candidates = session.execute(
        select(Login, User)
        .join(User, User.email == Login.email)
        .where(func.lower(Login.email) == email.lower())
        .order_by((Login.email == email).desc(), Login.id)
    ).all()
    cost = hash_costs().at_least(login.hash for login, _user in candidates)
    # End the read before bcrypt's quarter of a second, so that no pooled connection sits idle
    # in a transaction meanwhile (a burst of sign-ins would starve every other request).
    session.commit()
    if not candidates:
        verify_password(password, _dummy_hash(cost))
    for login, user in candidates:
        if login.check_password(password, costs_as=cost):
            if login.should_rehash(password):
                login.set_password(password, _rounds())
                session.commit()
            return user
    raise WrongPassword("Wrong email or password.")


def _dummy_hash(rounds: int) -> str:
    if rounds not in _dummy_hashes:
        _dummy_hashes[rounds] = dummy_hash(rounds)
    return _dummy_hashes[rounds]


def find_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def still_exists(user_id: int) -> bool:
    """Whether the account is in the database now (a query, not the session's cached row)."""
    return db.session.scalar(select(User.id).where(User.id == user_id)) is not None


def get_user(user_id: int) -> User:
    user = find_user(user_id)
    if user is None:
        raise session_ended()  # the account was deleted meanwhile
    return user


_USERS = cast(Table, User.__table__)


class _ProfileRow(NamedTuple):
    id: int
    name: str
    email: str
    entries: int | None
    joined: Any
    age: int | None
    pet: str | None


# Built and compiled once, run on the driver's cursor (backend/driver_statements.py).
_PROFILE_ROW = DriverStatement(
    select(*(_USERS.c[field] for field in _ProfileRow._fields)).where(
        _USERS.c.id == bindparam("user_id")
    )
)
_COUNT_ENTRY = DriverStatement(
    update(_USERS)
    .where(_USERS.c.id == bindparam("user_id"))
    .values(entries=_USERS.c.entries + 1)
    .returning(_USERS.c.entries)
)


def profile(user_id: int, rank_along: Any = None) -> dict:
    """The user's fields plus their rank by entries among all users (ties share a rank).

    rank_along: the answer to the leaderboard's member_rank_call, made beforehand.
    """
    row = _PROFILE_ROW.first(db.engine, user_id=user_id)
    if row is None:
        raise session_ended()
    user = _ProfileRow(*row)
    rank, total = ranking().rank(int(user.entries or 0), rank_along)
    return {**user_json(user), "rank": rank, "totalUsers": total}


def _login_of(user: User) -> Login | None:
    return db.session.scalar(select(Login).where(Login.email == user.email))


def check_current_password(user: User, password: str, field: str) -> Login:
    """The user's login when `password` is theirs; a 400 on `field` otherwise."""
    login = _login_of(user)
    if login is None or not login.check_password(password):
        raise WrongPassword(
            "Your current password is not correct.", {field: "This is not your current password."}
        )
    return login


def change_password(user: User, current: str, new: str) -> None:
    login = check_current_password(user, current, "currentPassword")
    check_new_password(new, user.email, user.name, "newPassword")
    login.set_password(new, _rounds())
    db.session.commit()


def update_profile(user: User, fields: ProfileFields) -> User:
    """Save the fields the client sent; absent ones stay as they are."""
    for name in fields.model_fields_set & {"name", "age", "pet"}:
        value = getattr(fields, name)
        if name == "name" and value is None:
            raise invalid_input({"name": "Name may not be empty."})
        setattr(user, name, value)
    db.session.commit()
    return user


def count_entry(user_id: int) -> int:
    """Add one to the user's entries atomically and return the new count."""
    row = _COUNT_ENTRY.first(db.engine, user_id=user_id)  # autocommit: one statement
    if row is None:
        raise session_ended()
    entries = int(row[0])
    ranking().record(user_id, entries)
    return entries
