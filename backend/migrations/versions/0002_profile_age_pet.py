"""Profile fields age and pet, and case-insensitive email look-ups.

Online-safe: nullable columns without defaults (a catalogue change, no table rewrite) and
indexes built concurrently, so servers keep signing users in while it runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    columns = {column["name"] for column in inspector.get_columns("users")}
    if "age" not in columns:
        op.add_column("users", sa.Column("age", sa.Integer, nullable=True))
    if "pet" not in columns:
        op.add_column("users", sa.Column("pet", sa.Text, nullable=True))
    _create_lower_email_index("ix_users_email_lower", "users")
    _create_lower_email_index("ix_login_email_lower", "login")


def _create_lower_email_index(name: str, table: str) -> None:
    """On PostgreSQL, built CONCURRENTLY: servers on this database keep writing meanwhile."""
    expression = [sa.text("lower(email)")]
    if op.get_bind().dialect.name != "postgresql":
        op.create_index(name, table, expression)
        return
    with op.get_context().autocommit_block():
        op.create_index(name, table, expression, postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index("ix_login_email_lower", "login")
    op.drop_index("ix_users_email_lower", "users")
    op.drop_column("users", "pet")
    op.drop_column("users", "age")
