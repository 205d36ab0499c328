"""The weekly report (issue 24) counted in the database, not in Python: its totals and
8-week trend are one query grouped by week and action over screening_log, which the index
of (screened_at, action) answers without reading the rows; the week's decisions and the
backlog at the week's end find their rows by decided_at.

Revision ID: 0008
Revises: 0007
"""
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_screening_log_week", "screening_log", ["screened_at", "action"])
    op.create_index("ix_held_message_decided_at", "held_message", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_held_message_decided_at", table_name="held_message")
    op.drop_index("ix_screening_log_week", table_name="screening_log")
