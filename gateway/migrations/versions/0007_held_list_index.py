"""The review console's held list (issue 24): held mail newest or oldest first, a page at a
time, filtered by sender, category or rule. One index of (status, held_at, id) reads a page
in order without sorting every held row; the three filtered columns ride along in it, so
counting the matches ("page 1 of 27") reads the index only, not 10,000 rows of findings.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_held_message_list", "held_message",
                    ["status", "held_at", "id", "mail_from", "categories", "hold_rules"])


def downgrade() -> None:
    op.drop_index("ix_held_message_list", table_name="held_message")
