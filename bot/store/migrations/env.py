"""Alembic environment: migrates the project's own tables in the deployment's database.

The URL is, in order: a connection passed by ``bot.store.migrate`` in
``config.attributes["connection"]``, ``sqlalchemy.url`` if set, else ``MFI_DB_URL`` (via
``bot.settings``). The version table is ``mfi_alembic_version``, so that it cannot clash
with any other tool's in a shared database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import bot.store.models  # noqa: F401 - registers every table on Base.metadata
from bot.settings import get_settings
from bot.store.db import Base
from bot.store.migrate import VERSION_TABLE

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().db_url


def run_migrations_offline() -> None:
    """Writes the SQL of the migrations instead of running them."""
    context.configure(
        url=_url(),
        target_metadata=Base.metadata,
        literal_binds=True,
        version_table=VERSION_TABLE,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Runs the migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), future=True)
    try:
        with engine.connect() as new_connection:
            _run(new_connection)
    finally:
        engine.dispose()


def _run(connection) -> None:  # noqa: ANN001 - SQLAlchemy Connection
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
