"""Staff console tables, and the full-text index of client messages.

Revision ID: 0001
Revises:

Safe on a database where ``bot.store.db.create_tables`` already made some of these tables:
each table is created only when missing. The full-text index is dialect-specific: an FTS5
table kept in step by triggers on SQLite, a generated ``tsvector`` column with a GIN index
on PostgreSQL.
"""

from typing import Callable, Dict, Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CID = 255
USERNAME = 150


def _user() -> None:
    op.create_table(
        "mfi_console_user",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(USERNAME), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_login_at", sa.DateTime, nullable=True),
    )


def _session() -> None:
    op.create_table(
        "mfi_console_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("mfi_console_user.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_seen_at", sa.DateTime, nullable=False),
    )


def _login_failure() -> None:
    op.create_table(
        "mfi_console_login_failure",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_mfi_console_login_failure_key_at", "mfi_console_login_failure", ["key", "at"])


def _audit() -> None:
    op.create_table(
        "mfi_console_audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("actor", sa.String(USERNAME), nullable=False, index=True),
        sa.Column("action", sa.String(64), nullable=False, index=True),
        sa.Column("target", sa.String(CID), nullable=True, index=True),
        sa.Column("detail", sa.Text, nullable=True),
    )


def _conversation() -> None:
    table = "mfi_console_conversation"
    op.create_table(
        table,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, unique=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("first_ts", sa.Float, nullable=True),
        sa.Column("last_ts", sa.Float, nullable=True, index=True),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("message_count", sa.Integer, nullable=False),
        sa.Column("min_confidence", sa.Float, nullable=True, index=True),
        sa.Column("fallback", sa.Boolean, nullable=False),
        sa.Column("handoff", sa.Boolean, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )
    for column in ("channel", "language", "fallback", "handoff"):
        op.create_index(f"ix_{table}_{column}_last", table, [column, "last_ts"])


def _conversation_intent() -> None:
    op.create_table(
        "mfi_console_conversation_intent",
        sa.Column("conversation_id", sa.String(CID), primary_key=True),
        sa.Column("intent", sa.String(255), primary_key=True),
    )
    op.create_index(
        "ix_mfi_console_conversation_intent_intent",
        "mfi_console_conversation_intent",
        ["intent", "conversation_id"],
    )


def _message() -> None:
    op.create_table(
        "mfi_console_message",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
    )


def _review() -> None:
    op.create_table(
        "mfi_console_review",
        sa.Column("conversation_id", sa.String(CID), primary_key=True),
        sa.Column("reviewed_by", sa.String(USERNAME), nullable=False),
        sa.Column("reviewed_at", sa.DateTime, nullable=False),
        sa.Column("upto_ts", sa.Float, nullable=True),
    )


def _tag() -> None:
    op.create_table(
        "mfi_console_tag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False),
        sa.Column("tag", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(USERNAME), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("conversation_id", "tag", name="uq_mfi_console_tag"),
    )
    op.create_index("ix_mfi_console_tag_tag", "mfi_console_tag", ["tag", "conversation_id"])


def _note() -> None:
    op.create_table(
        "mfi_console_note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("author", sa.String(USERNAME), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _index_state() -> None:
    op.create_table(
        "mfi_console_index_state",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_event_id", sa.Integer, nullable=False),
    )


def _pending_deletion() -> None:
    op.create_table(
        "mfi_console_pending_deletion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("actor", sa.String(USERNAME), nullable=False),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("not_before", sa.DateTime, nullable=False),
    )


TABLES: Dict[str, Callable[[], None]] = {
    "mfi_console_user": _user,
    "mfi_console_session": _session,
    "mfi_console_login_failure": _login_failure,
    "mfi_console_audit": _audit,
    "mfi_console_conversation": _conversation,
    "mfi_console_conversation_intent": _conversation_intent,
    "mfi_console_message": _message,
    "mfi_console_review": _review,
    "mfi_console_tag": _tag,
    "mfi_console_note": _note,
    "mfi_console_index_state": _index_state,
    "mfi_console_pending_deletion": _pending_deletion,
}

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE mfi_console_message_fts USING fts5(text, content='mfi_console_message',"
    " content_rowid='event_id',"
    " tokenize=\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")",
    "CREATE TRIGGER mfi_console_message_ai AFTER INSERT ON mfi_console_message BEGIN"
    " INSERT INTO mfi_console_message_fts(rowid, text) VALUES (new.event_id, new.text); END",
    "CREATE TRIGGER mfi_console_message_ad AFTER DELETE ON mfi_console_message BEGIN"
    " INSERT INTO mfi_console_message_fts(mfi_console_message_fts, rowid, text)"
    " VALUES ('delete', old.event_id, old.text); END",
    "CREATE TRIGGER mfi_console_message_au AFTER UPDATE ON mfi_console_message BEGIN"
    " INSERT INTO mfi_console_message_fts(mfi_console_message_fts, rowid, text)"
    " VALUES ('delete', old.event_id, old.text);"
    " INSERT INTO mfi_console_message_fts(rowid, text) VALUES (new.event_id, new.text); END",
    "INSERT INTO mfi_console_message_fts(mfi_console_message_fts) VALUES ('rebuild')",
]
POSTGRESQL_FTS = [
    "ALTER TABLE mfi_console_message ADD COLUMN tsv tsvector"
    " GENERATED ALWAYS AS (to_tsvector('simple', text)) STORED",
    "CREATE INDEX ix_mfi_console_message_tsv ON mfi_console_message USING gin (tsv)",
]


def upgrade() -> None:
    """Creates the missing console tables and the full-text index."""
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    for name, create in TABLES.items():
        if name not in existing:
            create()
    if bind.dialect.name == "sqlite":
        if "mfi_console_message_fts" not in existing:
            for statement in SQLITE_FTS:
                op.execute(statement)
    elif bind.dialect.name == "postgresql":
        columns = {column["name"] for column in sa.inspect(bind).get_columns("mfi_console_message")}
        if "tsv" not in columns:
            for statement in POSTGRESQL_FTS:
                op.execute(statement)


def downgrade() -> None:
    """Drops the console tables (and with them the full-text index)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS mfi_console_message_fts")
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS mfi_console_message_{trigger}")
    existing = set(sa.inspect(bind).get_table_names())
    for name in reversed(list(TABLES)):
        if name in existing:
            op.drop_table(name)
