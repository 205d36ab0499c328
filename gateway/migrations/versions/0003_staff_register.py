"""The staff register (gateway/registers/staff.py): the clinic's own people, so the
patient-data scanner does not take them for patients.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_member",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("name_key", sa.String, nullable=False, server_default=""),
        sa.Column("role", sa.String, nullable=False, server_default=""),
        sa.Column("registration", sa.String, nullable=False, server_default=""),
        sa.Column("phone_key", sa.String, nullable=False, server_default=""),
        sa.Column("photo_hash", sa.String, nullable=False, server_default=""),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String, nullable=False, server_default=""),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("staff_member")
