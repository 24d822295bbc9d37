"""Imports every feature's table module so that ``Base.metadata`` knows all tables.

A feature adds its module here (one line) when it adds tables.
"""

from __future__ import annotations

import importlib
import pkgutil

import bot.store

for _module in pkgutil.iter_modules(bot.store.__path__):
    if _module.name not in {"db", "models", "migrations"}:
        importlib.import_module(f"bot.store.{_module.name}")
