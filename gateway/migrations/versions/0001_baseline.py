"""Baseline: the schema as it was before migrations (held mail, screening log, audit
chain, bulk-repetition counters, both registers).

A database made by an older mailscreen (create_all plus additive column upgrades) already
has some or all of this: only the missing tables and columns are made, so every older
database arrives here in the same shape.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

meta = sa.MetaData()
TZ = sa.DateTime(timezone=True)
S = sa.String

TABLES = [
    sa.Table(
        "held_message", meta,
        sa.Column("id", S, primary_key=True),
        sa.Column("received_at", TZ, nullable=False, index=True),
        sa.Column("held_at", TZ, nullable=False),
        sa.Column("mail_from", S, nullable=False, index=True),
        sa.Column("rcpt_tos", S, nullable=False),
        sa.Column("subject", S, nullable=False, server_default=""),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
        sa.Column("findings", S, nullable=False, server_default="[]"),
        sa.Column("attachments", S, nullable=False, server_default="[]"),
        sa.Column("categories", S, nullable=False, server_default=""),
        sa.Column("hold_rules", S, nullable=False, server_default=""),
        sa.Column("top_rule", S, nullable=False, server_default=""),
        sa.Column("four_eyes", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("status", S, nullable=False, server_default="held", index=True),
        sa.Column("approved_by", S, nullable=False, server_default=""),
        sa.Column("approved_at", TZ),
        sa.Column("decided_at", TZ),
        sa.Column("decided_by", S, nullable=False, server_default=""),
        sa.Column("reason_code", S, nullable=False, server_default=""),
        sa.Column("reason", S, nullable=False, server_default=""),
        sa.Column("raw_purged_at", TZ),
    ),
    sa.Table(
        "screening_log", meta,
        sa.Column("id", S, primary_key=True),
        sa.Column("screened_at", TZ, nullable=False, index=True),
        sa.Column("sender", S, nullable=False, index=True),
        sa.Column("recipient_count", sa.Integer, nullable=False),
        sa.Column("action", S, nullable=False, index=True),
        sa.Column("categories", S, nullable=False, server_default=""),
        sa.Column("rules", S, nullable=False, server_default=""),
        sa.Column("scan_seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
    ),
    sa.Table(
        "audit_event", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("user", S, nullable=False),
        sa.Column("action", S, nullable=False, index=True),
        sa.Column("message_ids", S, nullable=False, server_default="[]"),
        sa.Column("reason", S, nullable=False, server_default=""),
        sa.Column("detail", S, nullable=False, server_default=""),
        sa.Column("prev_hash", S, nullable=False),
        sa.Column("hash", S, nullable=False, server_default=""),
    ),
    sa.Table(
        "recent_body", meta,
        sa.Column("id", S, primary_key=True),
        sa.Column("fingerprint", S, nullable=False, index=True),
        sa.Column("sender", S, nullable=False, index=True),
        sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("seen_at", TZ, nullable=False, index=True),
    ),
    sa.Table(
        "patient_register", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("patient", sa.Integer, nullable=False, index=True),
        sa.Column("kind", S, nullable=False),
        sa.Column("hash", sa.Integer, nullable=False),
    ),
    sa.Table(
        "patient_register_state", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("salt", sa.LargeBinary, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("patients", sa.Integer, nullable=False, server_default="0"),
        sa.Column("imported_at", TZ),
        sa.Column("imported_by", S, nullable=False, server_default=""),
    ),
    sa.Table(
        "protected_work", meta,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", S, nullable=False),
        sa.Column("filename", S, nullable=False, server_default=""),
        sa.Column("sha256", S, nullable=False, index=True),
        sa.Column("words", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fingerprint_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fingerprints", sa.LargeBinary, nullable=False),
        sa.Column("added_at", TZ, nullable=False),
        sa.Column("added_by", S, nullable=False, server_default=""),
        sqlite_autoincrement=True,
    ),
]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for table in TABLES:
        if not inspector.has_table(table.name):
            table.create(bind)
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:  # what the old additive upgrade did, once
                op.add_column(table.name, column._copy())
