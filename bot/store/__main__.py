"""``python -m bot.store migrate [--db-url URL]``: bring the project's tables up to date.

Runs the Alembic migrations (``bot.store.migrate.upgrade``) on ``--db-url``, by default
the deployment's database (``MFI_DB_URL``); production deploys run it before starting.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def migrate(args: argparse.Namespace) -> int:
    """Migrates the database to the newest revision and says which it is."""
    from bot.store.db import get_engine
    from bot.store.migrate import current_revision, upgrade

    engine = get_engine(args.db_url)
    upgrade(engine)
    print(f"[store] database is up to date (revision {current_revision(engine)})")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main = argparse.ArgumentParser(
        prog="python -m bot.store", description="Bring the project's tables up to date."
    )
    commands = main.add_subparsers(dest="command", required=True)
    command = commands.add_parser("migrate", help="bring the database up to date")
    command.add_argument("--db-url", help="database URL (default: MFI_DB_URL)")
    command.set_defaults(run=migrate)
    return main


def main(argv: Optional[List[str]] = None) -> int:
    """Runs one command; returns the exit code."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
