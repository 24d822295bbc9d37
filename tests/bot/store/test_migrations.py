"""The Alembic migrations (bot/store/migrations) against the models, and their runner.

After ``upgrade head`` Alembic's autogenerate comparison must find no difference between
the database and ``Base.metadata`` (every model, see ``bot.store.models``), on SQLite and
on PostgreSQL, whether the database was empty or ``create_all`` made the tables first.
The only differences ignored are the full-text search objects that 0001 adds on purpose
beside the models (see ``IGNORED_TABLES`` and ``IGNORED_COLUMNS``).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Iterator, List

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

import bot.store.models
from bot.store import migrate
from bot.store.__main__ import main
from bot.store.db import Base, create_tables, get_engine, session_scope
from bot.store.support import Handoff

# SQLite: the FTS5 table over mfi_console_message (0001) and the shadow tables SQLite
# keeps for it. The search queries it with raw SQL, so it is not a model; the triggers
# that keep it in step are not compared by Alembic at all.
FTS = "mfi_console_message_fts"
IGNORED_TABLES = {FTS} | {f"{FTS}_{shadow}" for shadow in ("config", "data", "docsize", "idx")}
# PostgreSQL: the generated ``tsvector`` column of mfi_console_message (0001) and its GIN
# index; a computed column the model leaves out so that SQLite and inserts ignore it.
IGNORED_COLUMNS = {("mfi_console_message", "tsv")}
IGNORED_INDEXES = {"ix_mfi_console_message_tsv"}

# the tables of revision 0003
FEATURE_TABLES = {
    "mfi_budget",
    "mfi_budget_consent",
    "channel_processed_messages",
    "channel_opt_outs",
    "channel_button_menus",
    "channel_callback_payloads",
    "channel_failed_messages",
    "mfi_consent",
    "mfi_lesson_view",
    "mfi_quiz_attempt",
    "mfi_quiz_answer",
    "mfi_review_item",
    "mfi_lesson_completion",
    "mfi_handoff",
    "mfi_complaint",
}


def _flatten(diffs: List[Any]) -> Iterator[tuple]:
    for diff in diffs:
        if isinstance(diff, list):  # column changes come grouped per column
            yield from diff
        else:
            yield diff


def _ignored(diff: tuple) -> bool:
    kind = diff[0]
    if kind == "remove_table":
        return diff[1].name in IGNORED_TABLES
    if kind == "remove_column":
        return (diff[2], diff[3].name) in IGNORED_COLUMNS
    if kind == "remove_index":
        return diff[1].name in IGNORED_INDEXES
    return False


def all_differences(engine: Engine) -> List[tuple]:
    """What autogenerate would change to make ``engine``'s database match the models."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"version_table": migrate.VERSION_TABLE}
        )
        return list(_flatten(compare_metadata(context, Base.metadata)))


def differences(engine: Engine) -> List[tuple]:
    """``all_differences`` without the full-text search objects of 0001."""
    return [diff for diff in all_differences(engine) if not _ignored(diff)]


def tables(engine: Engine) -> set:
    return set(inspect(engine).get_table_names())


def at_head(engine: Engine) -> bool:
    return migrate.current_revision(engine) == migrate.head_revision()


@pytest.fixture
def engine(db_url: str) -> Engine:
    """An empty SQLite database file."""
    return get_engine(db_url)


def test_every_model_is_registered_and_migrated() -> None:
    assert FEATURE_TABLES <= set(Base.metadata.tables)
    assert migrate.head_revision() == "0003"


def test_sqlite_upgrade_matches_the_models(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert differences(engine) == []
    assert at_head(engine)
    ignored = [diff for diff in all_differences(engine) if _ignored(diff)]
    assert {diff[1].name for diff in ignored} == IGNORED_TABLES  # the ignores are real


def test_the_comparison_sees_the_tables_a_migration_lacks(engine: Engine) -> None:
    migrate.upgrade(engine, "0002")
    missing = {diff[1].name for diff in differences(engine) if diff[0] == "add_table"}
    assert missing == FEATURE_TABLES


def test_upgrade_after_create_tables_keeps_the_rows_and_ends_at_head(engine: Engine) -> None:
    create_tables(engine)
    with session_scope(engine) as session:
        session.add(Handoff(conversation_id="c1", reason="request_human", status="open"))
    migrate.upgrade(engine)
    assert at_head(engine)
    assert differences(engine) == []
    assert FTS in tables(engine)
    with session_scope(engine) as session:
        assert [h.conversation_id for h in session.query(Handoff)] == ["c1"]


def test_upgrade_of_a_0002_database_whose_feature_tables_create_all_made(engine: Engine) -> None:
    migrate.upgrade(engine, "0002")
    create_tables(engine)  # what ``upgrade`` did before 0003 existed
    migrate.upgrade(engine)
    assert at_head(engine)
    assert differences(engine) == []


def test_downgrade_to_base_then_upgrade_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    migrate.downgrade(engine, "0002")
    assert not FEATURE_TABLES & tables(engine)
    assert migrate.current_revision(engine) == "0002"
    migrate.downgrade(engine, "base")
    assert tables(engine) == {migrate.VERSION_TABLE}
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert at_head(engine)
    assert differences(engine) == []


def test_python_m_bot_store_migrate(db_url: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["migrate", "--db-url", db_url]) == 0
    assert main(["migrate", "--db-url", db_url]) == 0
    assert "revision 0003" in capsys.readouterr().out
    assert at_head(get_engine(db_url)) and FEATURE_TABLES <= tables(get_engine(db_url))


def test_the_models_do_not_import_the_command_line() -> None:
    sys.modules.pop("bot.store.__main__", None)
    importlib.reload(bot.store.models)
    assert "bot.store.__main__" not in sys.modules


@pytest.mark.services
def test_postgresql_upgrade_matches_the_models(postgres: Engine) -> None:
    migrate.upgrade(postgres)
    migrate.upgrade(postgres)
    assert differences(postgres) == []
    assert at_head(postgres)
    ignored = {diff[0] for diff in all_differences(postgres) if _ignored(diff)}
    assert ignored == {"remove_column", "remove_index"}  # the ignores are real


@pytest.mark.services
def test_postgresql_upgrade_after_create_tables(postgres: Engine) -> None:
    create_tables(postgres)
    migrate.upgrade(postgres)
    assert at_head(postgres)
    assert differences(postgres) == []
