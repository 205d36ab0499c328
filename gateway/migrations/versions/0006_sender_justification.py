"""Senders who justify a hold themselves (issue 24).

- held_message.justification: what the sender wrote, on the console's page or in a reply
  to the hold notice, for an admin to read (or the reason of the release it made).
- justify_token: each link or reply token once spent, so that it is spent on every node.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("held_message") as batch:
        batch.add_column(sa.Column("justification", sa.String, nullable=False,
                                   server_default=""))
    op.create_table(
        "justify_token",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("message_id", sa.String, nullable=False, index=True),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("justify_token")
    with op.batch_alter_table("held_message") as batch:
        batch.drop_column("justification")
