"""Brings a database up to date: the Alembic migrations, then the other project tables.

The console's tables come from the migrations in ``bot/store/migrations``; tables of
features that have no migration yet (handoffs, complaints, budgets...) are created by
``bot.store.db.create_tables`` when missing, as the bot itself does.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from bot.store.db import create_tables, get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "store" / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration for ``engine``'s database (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Runs the migrations up to ``revision`` and creates the other missing tables."""
    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    create_tables(engine)
