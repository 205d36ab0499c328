"""One key for a cluster, and the audit chain's heads in the database (issue 23).

- key_fingerprint: a fingerprint (an HMAC of a fixed label, never the key) of each key in
  the key file; a node whose key file differs refuses to start.
- audit_head: per node, the last audit row it appended and that row's hash, signed; a
  node's last rows removed are seen by every node.
- audit_event.node: the node that wrote the row (covered by the row's hash when set).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_fingerprint",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("fingerprint", sa.String, nullable=False),
        sa.Column("node", sa.String, nullable=False, server_default=""),
        sa.Column("host", sa.String, nullable=False, server_default=""),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_head",
        sa.Column("node", sa.String, primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("hash", sa.String, nullable=False),
        sa.Column("signature", sa.String, nullable=False, server_default=""),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("node", sa.String, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("node")
    op.drop_table("audit_head")
    op.drop_table("key_fingerprint")
