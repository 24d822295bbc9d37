"""The feature tables: budgets, channels, consent, lessons, handoffs and complaints.

Revision ID: 0003
Revises: 0002

Until this revision these tables were made by ``create_all`` on first use (the bot's
stores, ``bot.store.db.create_tables``); this revision gives them the same columns, types,
nullability, indexes, unique constraints and foreign keys as the models in ``bot.store``
(``budget``, ``channels``, ``consent``, ``lessons``, ``support``). Like 0001, each table is
created only when missing, so that the revision is safe on a deployment where
``create_all`` already made them; a table that exists is left as it is.
"""

from typing import Callable, Dict, Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: Union[str, Sequence[str], None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CID = 255  # conversation ids (Rasa's sender id)
CHANNEL = 32  # channel names in the channel_* tables
RECIPIENT = 128  # recipient and inbound message ids in the channel_* tables
TOPIC = 64
QUESTION = 64


def _budget() -> None:
    op.create_table(
        "mfi_budget",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("period", sa.String(8), nullable=False),
        sa.Column("income", sa.String(32), nullable=False),
        sa.Column("expenses", sa.String(32), nullable=False),
        sa.Column("surplus", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("items", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    )


def _budget_consent() -> None:
    op.create_table(
        "mfi_budget_consent",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, unique=True, index=True),
        sa.Column("given", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=False),
    )


def _processed_messages() -> None:
    op.create_table(
        "channel_processed_messages",
        sa.Column("channel", sa.String(CHANNEL), primary_key=True),
        sa.Column("message_id", sa.String(RECIPIENT), primary_key=True),
        sa.Column("received_at", sa.DateTime, nullable=False, index=True),
    )


def _opt_outs() -> None:
    op.create_table(
        "channel_opt_outs",
        sa.Column("channel", sa.String(CHANNEL), primary_key=True),
        sa.Column("recipient_id", sa.String(RECIPIENT), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
    )


def _button_menus() -> None:
    op.create_table(
        "channel_button_menus",
        sa.Column("channel", sa.String(CHANNEL), primary_key=True),
        sa.Column("recipient_id", sa.String(RECIPIENT), primary_key=True),
        sa.Column("buttons", sa.Text, nullable=False),
        sa.Column("offered_at", sa.DateTime, nullable=False),
    )


def _callback_payloads() -> None:
    op.create_table(
        "channel_callback_payloads",
        sa.Column("token", sa.String(32), primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def _failed_messages() -> None:
    op.create_table(
        "channel_failed_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(CHANNEL), nullable=False, index=True),
        sa.Column("recipient_id", sa.String(RECIPIENT), nullable=False, index=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error_code", sa.String(32), nullable=True),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("failed_at", sa.DateTime, nullable=False, index=True),
    )


def _consent() -> None:
    op.create_table(
        "mfi_consent",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, unique=True, index=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime, nullable=False),
        sa.Column("opted_out_at", sa.DateTime, nullable=True),
    )


def _lesson_view() -> None:
    op.create_table(
        "mfi_lesson_view",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("topic", sa.String(TOPIC), nullable=False),
        sa.Column("lesson_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("viewed_at", sa.DateTime, nullable=False),
    )


def _quiz_attempt() -> None:
    op.create_table(
        "mfi_quiz_attempt",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(TOPIC), nullable=True),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
    )


def _quiz_answer() -> None:
    op.create_table(
        "mfi_quiz_answer",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "attempt_id",
            sa.Integer,
            sa.ForeignKey("mfi_quiz_attempt.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("topic", sa.String(TOPIC), nullable=False),
        sa.Column("question_id", sa.String(QUESTION), nullable=False),
        sa.Column("chosen", sa.Integer, nullable=True),
        sa.Column("correct", sa.Boolean, nullable=False),
        sa.Column("answered_at", sa.DateTime, nullable=False),
    )


def _review_item() -> None:
    op.create_table(
        "mfi_review_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("topic", sa.String(TOPIC), nullable=False),
        sa.Column("question_id", sa.String(QUESTION), nullable=False),
        sa.Column("box", sa.Integer, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=False, index=True),
        sa.Column("missed_at", sa.DateTime, nullable=False),
        # unnamed, as in the model: PostgreSQL names it as create_all's table has it
        sa.UniqueConstraint("conversation_id", "topic", "question_id"),
    )


def _lesson_completion() -> None:
    op.create_table(
        "mfi_lesson_completion",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("topic", sa.String(TOPIC), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("certificate", sa.String(32), nullable=False, unique=True),
        sa.Column("completed_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("conversation_id", "topic"),
    )


def _handoff() -> None:
    op.create_table(
        "mfi_handoff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("requested_at", sa.DateTime, nullable=False, index=True),
        sa.Column("taken_by", sa.String(255), nullable=True),
        sa.Column("taken_at", sa.DateTime, nullable=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
    )


def _complaint() -> None:
    op.create_table(
        "mfi_complaint",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(CID), nullable=False, index=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("closed_by", sa.String(255), nullable=True),
    )


# in creation order: a table comes after the tables its foreign keys point to
TABLES: Dict[str, Callable[[], None]] = {
    "mfi_budget": _budget,
    "mfi_budget_consent": _budget_consent,
    "channel_processed_messages": _processed_messages,
    "channel_opt_outs": _opt_outs,
    "channel_button_menus": _button_menus,
    "channel_callback_payloads": _callback_payloads,
    "channel_failed_messages": _failed_messages,
    "mfi_consent": _consent,
    "mfi_lesson_view": _lesson_view,
    "mfi_quiz_attempt": _quiz_attempt,
    "mfi_quiz_answer": _quiz_answer,
    "mfi_review_item": _review_item,
    "mfi_lesson_completion": _lesson_completion,
    "mfi_handoff": _handoff,
    "mfi_complaint": _complaint,
}


def upgrade() -> None:
    """Creates the feature tables that are missing."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES.items():
        if name not in existing:
            create()


def downgrade() -> None:
    """Drops the feature tables (with their rows)."""
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    for name in reversed(list(TABLES)):
        if name in existing:
            op.drop_table(name)
