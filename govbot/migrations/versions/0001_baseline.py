"""Baseline: the schema of the releases before migrations (up to 5a68630), made idempotent.

A database those releases created (tables made at start-up, no `alembic_version`) is adopted:
tables it lacks are created, `items.live_version` is added where a release older than the
published/live split lacks it (the live version is then the published head), and the audit log's
append-only triggers are (re)made. On an empty database it creates everything.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

tables = sa.MetaData()  # frozen here: later revisions change the schema, never this copy

sa.Table(
    "answer_flags",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("operator", sa.String(length=64), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("kind", sa.String(length=10), nullable=False),
    sa.Column("item_id", sa.Integer(), nullable=True),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_answer_flags_time", tables.tables["answer_flags"].c["time"])

sa.Table(
    "audit_log",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(length=64), nullable=False),
    sa.Column("action", sa.String(length=64), nullable=False),
    sa.Column("target", sa.String(length=200), nullable=False),
    sa.Column("ip", sa.String(length=64), nullable=False),
    sa.Column("before", sa.JSON(), nullable=True),
    sa.Column("after", sa.JSON(), nullable=True),
    sa.Column("note", sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "changes",
    tables,
    sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
)

sa.Table(
    "conversations",
    tables,
    sa.Column("id", sa.String(length=100), nullable=False),
    sa.Column("channel", sa.String(length=20), nullable=False),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.Column("operator", sa.String(length=64), nullable=False),
    sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "feedback",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("conversation_id", sa.String(length=100), nullable=False),
    sa.Column("helpful", sa.Boolean(), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("answer", sa.Text(), nullable=False),
    sa.Column("sources", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)

sa.Table(
    "gold_questions",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("created_by", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_gold_questions_department", tables.tables["gold_questions"].c["department"])
sa.Index("ix_gold_questions_item_id", tables.tables["gold_questions"].c["item_id"])

sa.Table(
    "ingested_files",
    tables,
    sa.Column("path", sa.String(length=500), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("path"),
)

sa.Table(
    "item_versions",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("item_id", sa.Integer(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("snapshot", sa.JSON(), nullable=False),
    sa.Column("actor", sa.String(length=100), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_item_versions_item_id", tables.tables["item_versions"].c["item_id"])

sa.Table(
    "items",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("key", sa.String(length=200), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.Column("region", sa.String(length=100), nullable=False),
    sa.Column("effective_date", sa.Date(), nullable=True),
    sa.Column("expiry_date", sa.Date(), nullable=True),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("live_version", sa.Integer(), nullable=True),
    sa.Column("source", sa.Text(), nullable=False),
    sa.Column("doc_number", sa.String(length=100), nullable=False),
    sa.Column("doc_date", sa.Date(), nullable=True),
    sa.Column("fields", sa.JSON(), nullable=False),
    sa.Column("content_hash", sa.String(length=64), nullable=False),
    sa.Column("abolish_reason", sa.Text(), nullable=False),
    sa.Column("successor_id", sa.Integer(), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("key"),
)
sa.Index("ix_items_department", tables.tables["items"].c["department"])
sa.Index("ix_items_kind", tables.tables["items"].c["kind"])
sa.Index("ix_items_status", tables.tables["items"].c["status"])

sa.Table(
    "messages",
    tables,
    sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("conversation_id", sa.String(length=100), nullable=False),
    sa.Column("role", sa.String(length=10), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("payload", sa.JSON(), nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("seq"),
)
sa.Index("ix_messages_conversation_id", tables.tables["messages"].c["conversation_id"])

sa.Table(
    "passage_vectors",
    tables,
    sa.Column("model", sa.String(length=64), nullable=False),
    sa.Column("digest", sa.String(length=40), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint("model", "digest"),
)

sa.Table(
    "pii_vault",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("conversation_id", sa.String(length=100), nullable=False),
    sa.Column("masked", sa.String(length=60), nullable=False),
    sa.Column("raw", sa.String(length=60), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_pii_vault_conversation_id", tables.tables["pii_vault"].c["conversation_id"])

sa.Table(
    "question_log",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("time", sa.DateTime(timezone=True), nullable=False),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("normalized", sa.String(length=500), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("confidence", sa.Float(), nullable=False),
    sa.Column("item_id", sa.Integer(), nullable=True),
    sa.Column("item_key", sa.String(length=200), nullable=False),
    sa.Column("item_title", sa.Text(), nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.Column("routed_department", sa.String(length=100), nullable=False),
    sa.Column("channel", sa.String(length=20), nullable=False),
    sa.Column("conversation_id", sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint("id"),
)
sa.Index("ix_question_log_conversation_id", tables.tables["question_log"].c["conversation_id"])
sa.Index("ix_question_log_normalized", tables.tables["question_log"].c["normalized"])
sa.Index("ix_question_log_time", tables.tables["question_log"].c["time"])

sa.Table(
    "question_vectors",
    tables,
    sa.Column("key", sa.String(length=40), nullable=False),
    sa.Column("vector", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("key"),
)

sa.Table(
    "sessions",
    tables,
    sa.Column("token", sa.String(length=64), nullable=False),
    sa.Column("username", sa.String(length=64), nullable=False),
    sa.Column("csrf", sa.String(length=64), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("token"),
)

sa.Table(
    "users",
    tables,
    sa.Column("username", sa.String(length=64), nullable=False),
    sa.Column("password_hash", sa.String(length=200), nullable=False),
    sa.Column("role", sa.String(length=16), nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.Column("active", sa.Boolean(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("username"),
)

sa.Table(
    "work_orders",
    tables,
    sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
    sa.Column("tracking_number", sa.String(length=32), nullable=False),
    sa.Column("conversation_id", sa.String(length=100), nullable=False),
    sa.Column("type", sa.String(length=20), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("address", sa.Text(), nullable=False),
    sa.Column("phone", sa.String(length=40), nullable=False),
    sa.Column("callback", sa.Boolean(), nullable=False),
    sa.Column("department", sa.String(length=100), nullable=False),
    sa.Column("status", sa.String(length=20), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint("id"),
    sa.UniqueConstraint("tracking_number"),
)

APPEND_ONLY = {  # the database itself refuses to change or delete audit rows
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    ],
}


def upgrade() -> None:
    bind = op.get_bind()
    if sa.inspect(bind).has_table("items"):
        columns = {c["name"] for c in sa.inspect(bind).get_columns("items")}
        if "live_version" not in columns:
            op.add_column("items", sa.Column("live_version", sa.Integer(), nullable=True))
            op.execute("UPDATE items SET live_version = version WHERE status = 'published'")
    tables.create_all(bind, checkfirst=True)
    for statement in APPEND_ONLY.get(bind.dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup taken before `govbot migrate`")
