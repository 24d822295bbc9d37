"""Imports every feature's table module so that ``Base.metadata`` knows all tables.

Every module of ``bot.store`` is imported except those without tables (``SKIPPED``):
the engine, this module, the migration runner and the command line (``__main__``).
A feature's new tables also need a migration in ``bot/store/migrations/versions``.
"""

from __future__ import annotations

import importlib
import pkgutil

import bot.store

SKIPPED = frozenset({"db", "models", "migrations", "migrate", "__main__"})

for _module in pkgutil.iter_modules(bot.store.__path__):
    if _module.name not in SKIPPED:
        importlib.import_module(f"bot.store.{_module.name}")
