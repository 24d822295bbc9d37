"""Brings the database up to date for the console: the Alembic migrations of ``bot.store``.

The migrations (``bot/store/migrations``) create every project table, the console's and
the features' (handoffs, complaints, budgets...), so ``bot.store.db.create_tables`` is no
longer called here: a model without a migration is caught by
``tests/bot/store/test_migrations.py``. This module keeps the names the console and its
tests import; the runner lives in ``bot.store.migrate``, below the console.
"""

from __future__ import annotations

from bot.store.migrate import MIGRATIONS_DIR, alembic_config, upgrade

__all__ = ["MIGRATIONS_DIR", "alembic_config", "upgrade"]
