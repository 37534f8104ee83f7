"""Two-step verification: `two_step` (a user's encrypted TOTP secret, while it is on) and
`recovery_codes` (the fingerprints of their unused recovery codes).

Online-safe: two new tables, nothing else touched, so servers on the original schema keep
running meanwhile. Tables a crashed earlier run left are kept.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "two_step" not in existing:
        op.create_table(
            "two_step",
            sa.Column(
                "user_id",
                sa.Integer,
                sa.ForeignKey("users.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("secret", sa.Text, nullable=False),
            sa.Column("enabled_at", sa.DateTime, nullable=False),
        )
    if "recovery_codes" not in existing:
        op.create_table(
            "recovery_codes",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column(
                "user_id",
                sa.Integer,
                sa.ForeignKey("users.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("code_hash", sa.String(64), nullable=False),
            sa.UniqueConstraint("user_id", "code_hash", name="uq_recovery_codes_user_code"),
        )


def downgrade() -> None:
    op.drop_table("recovery_codes")
    op.drop_table("two_step")
