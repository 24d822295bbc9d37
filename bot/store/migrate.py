"""Runs the Alembic migrations of the project's own tables (``bot/store/migrations``).

The migrations create every table of the models registered by ``bot.store.models`` (the
console's, then the features'), each only when missing, so they also bring up to date a
database whose tables ``create_all`` made on first use. ``python -m bot.store migrate``
and ``python -m bot.console migrate`` call :func:`upgrade`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from bot.store.db import get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "mfi_alembic_version"  # not Alembic's default: the database may be shared


def _scripts_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration for ``engine``'s database (no alembic.ini needed)."""
    config = _scripts_config()
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def _run(engine: Engine, step: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, step)(config, revision)


def upgrade(engine: Optional[Engine] = None, revision: str = "head") -> None:
    """Runs the migrations up to ``revision`` on ``engine`` (the deployment's by default)."""
    _run(engine or get_engine(), "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Reverts the migrations down to ``revision`` (``"base"``: drops every table)."""
    _run(engine, "downgrade", revision)


def head_revision() -> str:
    """The newest revision of the migrations."""
    head = ScriptDirectory.from_config(_scripts_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations in {MIGRATIONS_DIR}")
    return head


def current_revision(engine: Engine) -> Optional[str]:
    """The revision ``engine``'s database is at; None before the first migration."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()
