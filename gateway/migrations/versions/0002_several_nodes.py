"""Several nodes: held bytes in the database, release leases and dispatch, 64-bit
patient hashes on PostgreSQL.

- held_body: the raw message and its spool envelope of every held message, so whichever
  node picks up a release can deliver it, and a purge removes the bytes everywhere.
- held_message.lease_owner/lease_until/claim_id: a node's claim on a released message
  while it copies it into its own spool; a claim whose lease ran out may be taken by
  another node, with a new claim_id (only the spool copy carrying the row's claim_id may
  be delivered).
- held_message.dispatched_by/dispatched_at: the node whose spool took the released
  message (then the bytes leave held_body). Messages released before this revision were
  already moved to the local spool by the old code: they count as dispatched.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("held_message") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("claim_id", sa.String, nullable=False, server_default=""))
        batch.add_column(sa.Column("dispatched_by", sa.String, nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE held_message SET dispatched_at = decided_at, "
               "dispatched_by = '(before revision 0002)' WHERE status = 'released'")
    op.create_table(
        "held_body",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.Column("envelope", sa.String, nullable=False),  # SpoolEntry.to_json()
    )
    if op.get_bind().dialect.name == "postgresql":  # SQLite's INTEGER is 64-bit already
        op.alter_column("patient_register", "hash", type_=sa.BigInteger)
