"""Training feedback (corrected intents and entities) and the analytics' message facts.

Revision ID: 0002
Revises: 0001

Like 0001, safe on a database where ``bot.store.db.create_tables`` already made the tables:
each is created only when missing.
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLE = "mfi_console_nlu_correction"
ACTIVITY = "mfi_console_activity"
CID = 255
USERNAME = 150


def _corrections() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("predicted_intent", sa.String(255), nullable=True),
        sa.Column("predicted_confidence", sa.Float, nullable=True),
        sa.Column("intent", sa.String(255), nullable=False),
        sa.Column("entities", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("corrected_by", sa.String(USERNAME), nullable=False),
        sa.Column("corrected_at", sa.DateTime, nullable=False),
        sa.Column("exported_by", sa.String(USERNAME), nullable=True),
        sa.Column("exported_at", sa.DateTime, nullable=True),
    )
    op.create_index(
        "ix_mfi_console_nlu_correction_status_language", TABLE, ["status", "language", "id"]
    )


def _activity() -> None:
    op.create_table(
        ACTIVITY,
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("day", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("intent", sa.String(255), nullable=True),
    )
    op.create_index(
        "ix_mfi_console_activity_day",
        ACTIVITY,
        ["day", "channel", "language", "conversation_id", "intent"],
    )
    op.create_index("ix_mfi_console_activity_day_intent", ACTIVITY, ["day", "intent"])


def upgrade() -> None:
    """Creates the tables that are missing."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if TABLE not in existing:
        _corrections()
    if ACTIVITY not in existing:
        _activity()


def downgrade() -> None:
    """Drops the tables."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name in (ACTIVITY, TABLE):
        if name in existing:
            op.drop_table(name)
