"""Apply the Alembic migrations to a database (what `main.py db upgrade` runs)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database at `database_url` up to `revision`, creating it when it is new."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    command.upgrade(config, revision)
