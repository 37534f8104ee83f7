"""Alembic environment: migrations run against the URL handed over by backend.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from backend.models import Base

config = context.config


def run_migrations() -> None:
    url: str = config.attributes["database_url"]
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
