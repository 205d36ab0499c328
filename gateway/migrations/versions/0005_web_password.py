"""The review console's passwords (issue 24): one scrypt hash per admin, set by
`mailscreen admin passwd USER`; never the password.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_password",
        sa.Column("user", sa.String, primary_key=True),
        sa.Column("hash", sa.String, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("web_password")
