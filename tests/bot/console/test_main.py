from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bot.console.__main__ import main, parser
from bot.store.console import ConsoleUser, ConversationSummary
from bot.store.db import get_engine, session_scope


def test_create_user_reads_the_password_from_the_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("MFI_CONSOLE_PASSWORD", "a-long-password")
    assert main(["create-user", "--username", "wanjiru", "--role", "supervisor"]) == 0
    assert "created wanjiru (supervisor)" in capsys.readouterr().out
    with session_scope(get_engine(db_url)) as session:
        user = session.execute(select(ConsoleUser)).scalar_one()
    assert (user.username, user.role) == ("wanjiru", "supervisor")
    assert main(["create-user", "--username", "wanjiru", "--role", "agent"]) == 1
    assert main(["create-user", "--username", "other", "--role", "root"]) == 1
    assert "unknown role" in capsys.readouterr().err


def test_create_user_asks_for_the_password_twice(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MFI_CONSOLE_PASSWORD", raising=False)
    answers = iter(["first-password-1", "second-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(SystemExit, match="differ"):
        main(["create-user", "--username", "x1", "--role", "viewer"])


def test_seed_and_index_commands(db_url: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["seed", "--conversations", "12", "--events", "10"]) == 0
    out = capsys.readouterr().out
    assert "seeded 12 conversations" in out and "indexed" in out
    assert main(["index"]) == 0
    assert "indexed 0 events" in capsys.readouterr().out
    with session_scope(get_engine(db_url)) as session:
        assert len(session.execute(select(ConversationSummary.id)).all()) == 12


def test_migrate_and_bench_commands(engine: Engine, capsys: pytest.CaptureFixture) -> None:
    assert main(["migrate"]) == 0
    assert main(["seed", "--conversations", "30"]) == 0
    assert main(["bench", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "| newest first, no filter | 30 |" in out
    with session_scope(engine) as session:
        assert session.execute(select(ConsoleUser)).first() is None  # bench user removed


def test_commands_are_listed() -> None:
    commands = parser()._subparsers._group_actions[0].choices  # noqa: SLF001
    assert set(commands) == {"serve", "migrate", "create-user", "seed", "index", "bench"}
