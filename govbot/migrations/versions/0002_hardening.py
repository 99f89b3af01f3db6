"""Hardening (issue 15): web chat sessions issued by the server, an index for throttling failed
logins, an optional TOTP secret per account (sealed), the outbox of pushes a channel sends later
(WeChat answers that missed the passive reply), and the personal-data vault sealed: its
`raw` column widened for the ciphertext; originals kept in the clear by earlier releases are
deleted (they were only needed while a work order was made).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_action_time", "audit_log", ["action", "time"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.String(length=100), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbox_due", "outbox", ["channel", "state", "next_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("totp_secret", sa.Text(), nullable=True))
    op.execute("DELETE FROM pii_vault")
    with op.batch_alter_table("pii_vault") as batch:
        batch.alter_column("raw", type_=sa.Text(), existing_type=sa.String(length=60), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("pii_vault") as batch:
        batch.alter_column("raw", type_=sa.String(length=60), existing_type=sa.Text(), existing_nullable=False)
    op.drop_index("ix_audit_log_action_time", table_name="audit_log")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("totp_secret")
    op.drop_table("chat_sessions")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
