"""``python -m bot.console``: serve the console, manage its users and database.

Commands:
    serve         migrate the database, then serve on MFI_CONSOLE_HOST:MFI_CONSOLE_PORT
                  (127.0.0.1:8000 by default)
    migrate       bring the database up to date
    create-user   add a staff account (--username, --role); the password comes from
                  MFI_CONSOLE_PASSWORD or is asked for
    seed          write generated conversations (--conversations N) for demos/benchmarks
    index         index every event not indexed yet
    bench         time the conversation list with a few filters (docs/console.md)
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from typing import TYPE_CHECKING, List

from bot.console.config import settings_from_env

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PASSWORD_ENV = "MFI_CONSOLE_PASSWORD"
FORWARDED_ALLOW_IPS_ENV = "MFI_CONSOLE_FORWARDED_ALLOW_IPS"


def _engine(db_url: str | None) -> Engine:
    from bot.store.db import get_engine

    return get_engine(db_url or settings_from_env().db_url)


def serve(args: argparse.Namespace) -> int:
    """Migrates, then serves until interrupted."""
    import uvicorn

    from bot.console.app import create_app
    from bot.console.migrate import upgrade

    settings = settings_from_env()
    engine = _engine(settings.db_url)
    upgrade(engine)
    app = create_app(settings, engine=engine)
    print(f"[console] http://{settings.host}:{settings.port}", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        ws="none",
        forwarded_allow_ips=os.environ.get(FORWARDED_ALLOW_IPS_ENV, "127.0.0.1"),
        log_level=os.environ.get("MFI_CONSOLE_LOG_LEVEL", "info"),
    )
    return 0


def migrate(args: argparse.Namespace) -> int:
    """Brings the database up to date."""
    from bot.console.migrate import upgrade

    upgrade(_engine(args.db_url))
    print("[console] database is up to date")
    return 0


def _password() -> str:
    password = os.environ.get(PASSWORD_ENV)
    if password:
        return password
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        raise SystemExit("The two passwords differ.")
    return password


def create_user_command(args: argparse.Namespace) -> int:
    """Adds a staff account."""
    from bot.console.auth import Role, UserError, create_user
    from bot.console.migrate import upgrade
    from bot.store import audit
    from bot.store.db import session_scope

    engine = _engine(args.db_url)
    upgrade(engine)
    try:
        role = Role.parse(args.role)
        password = _password()
        with session_scope(engine) as session:
            user = create_user(session, args.username, password, role)
            audit.record(
                session, "command-line", audit.USER_CREATE, user.username, {"role": role.label}
            )
    except (UserError, ValueError) as error:
        print(f"[console] {error}", file=sys.stderr)
        return 1
    print(f"[console] created {args.username} ({role.label})")
    return 0


def seed_command(args: argparse.Namespace) -> int:
    """Writes generated conversations, then indexes them."""
    import time

    from bot.console.indexer import Indexer
    from bot.console.migrate import upgrade
    from bot.console.routers.analytics import activity_indexer
    from bot.console.seed import seed

    engine = _engine(args.db_url)
    upgrade(engine)
    result = seed(engine, args.conversations, args.events, args.days, args.random_seed)
    print(
        f"[console] seeded {result.conversations:,} conversations, {result.events:,} events, "
        f"{result.handoffs:,} handoffs, {result.complaints:,} complaints "
        f"in {result.seconds:.1f} s"
    )
    began = time.monotonic()
    indexed = Indexer(engine, batch_size=args.batch).catch_up()
    activity_indexer(engine).catch_up()
    print(f"[console] indexed {indexed:,} events in {time.monotonic() - began:.1f} s")
    return 0


def index_command(args: argparse.Namespace) -> int:
    """Indexes every event not indexed yet."""
    from bot.console.indexer import Indexer
    from bot.console.migrate import upgrade
    from bot.console.routers.analytics import activity_indexer

    engine = _engine(args.db_url)
    upgrade(engine)
    print(f"[console] indexed {Indexer(engine, batch_size=args.batch).catch_up():,} events")
    activity_indexer(engine).catch_up()
    return 0


def bench_command(args: argparse.Namespace) -> int:
    """Times the list page over the database."""
    from bot.console.bench import print_report, run_benchmark

    print_report(run_benchmark(_engine(args.db_url), repeat=args.repeat))
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main = argparse.ArgumentParser(prog="python -m bot.console", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the console").set_defaults(run=serve)
    for name, function, text in (
        ("migrate", migrate, "bring the database up to date"),
        ("create-user", create_user_command, "add a staff account"),
        ("seed", seed_command, "write generated conversations"),
        ("index", index_command, "index new events"),
        ("bench", bench_command, "time the conversation list"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--db-url", help="database URL (default: MFI_DB_URL)")
        command.set_defaults(run=function)
        if name == "create-user":
            command.add_argument("--username", required=True)
            command.add_argument("--role", required=True, help="viewer, agent, supervisor or admin")
        if name == "seed":
            command.add_argument("--conversations", type=int, required=True)
            command.add_argument(
                "--events", type=int, default=20, help="mean events per conversation"
            )
            command.add_argument("--days", type=int, default=90)
            command.add_argument("--random-seed", type=int, default=1)
        if name in ("seed", "index"):
            command.add_argument("--batch", type=int, default=20_000)
        if name == "bench":
            command.add_argument("--repeat", type=int, default=7)
    return main


def main(argv: List[str] | None = None) -> int:
    """Runs one command; returns the exit code."""
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
