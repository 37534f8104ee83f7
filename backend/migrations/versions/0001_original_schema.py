"""The original SmartBrain schema: users and login.

An existing SmartBrain database already has these tables (made by the course's SQL, with no
Alembic history): they are kept as they are, so `db upgrade` adopts it in place.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "users" not in existing:
        op.create_table(
            "users",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(100)),
            sa.Column("email", sa.Text, nullable=False, unique=True),
            sa.Column("entries", sa.BigInteger, server_default="0"),
            sa.Column("joined", sa.DateTime, nullable=False),
        )
    if "login" not in existing:
        op.create_table(
            "login",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("hash", sa.String(100), nullable=False),
            sa.Column("email", sa.Text, nullable=False, unique=True),
        )


def downgrade() -> None:
    op.drop_table("login")
    op.drop_table("users")
