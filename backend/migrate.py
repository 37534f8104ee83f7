"""Apply the Alembic migrations to a database (what `main.py db upgrade` runs)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from backend.email_collisions import describe, email_case_collisions
from backend.private_files import private_sqlite_database

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseUnreachable(RuntimeError):
    """The database named by the URL could not be reached (say so in one sentence)."""


def upgrade(database_url: str, revision: str = "head") -> list[str]:
    """Bring the database at `database_url` up to `revision`, creating it when it is new.

    Returns a sentence for each thing the operator should know of (accounts whose emails
    differ only in letter case). Raises DatabaseUnreachable, with a sentence naming the
    server but no password.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        private_sqlite_database(Path(url.database))  # before SQLite makes it with its own mode
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    try:
        command.upgrade(config, revision)
    except OperationalError as error:
        where = url.render_as_string(hide_password=True)
        raise DatabaseUnreachable(f"Cannot reach the database at {where}: {error.orig}") from None
    engine = create_engine(url)
    try:
        return [describe(user_ids) for user_ids in email_case_collisions(engine)]
    finally:
        engine.dispose()
