"""``python -m bot.production services|prepare|balance|consume``: production processes."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import List

from bot.settings import get_settings


def _prepare(args: argparse.Namespace) -> int:
    from bot.production.services import prepare

    prepare(args.db_url or get_settings().db_url, start_services=not args.no_start)
    print("[production] services answer, database ready, migrations applied")
    return 0


def _services(_: argparse.Namespace) -> int:
    from bot.production.services import ensure_running, local_services

    for service in local_services():
        ensure_running(service)
        print(f"[production] {service.name} answers on {service.host}:{service.port}")
    return 0


def _balance(args: argparse.Namespace) -> int:
    from bot.production.balancer import serve

    serve(args.backend, args.host, args.port)
    return 0


def _consume(args: argparse.Namespace) -> int:
    from bot.production.consumer import Consumer
    from bot.store.db import get_engine

    consumer = Consumer(get_engine(args.db_url or get_settings().db_url))
    try:
        asyncio.run(consumer.run())
    except KeyboardInterrupt:
        pass
    return 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    main = argparse.ArgumentParser(prog="python -m bot.production", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="start services, make the database, migrate")
    prepare.add_argument("--db-url", help="database URL (default: MFI_DB_URL)")
    prepare.add_argument("--no-start", action="store_true", help="do not start services")
    prepare.set_defaults(run=_prepare)
    services = commands.add_parser("services", help="start local services that are down")
    services.set_defaults(run=_services)
    balance = commands.add_parser("balance", help="round-robin HTTP balancer")
    balance.add_argument("--backend", action="append", required=True, help="a Rasa base URL")
    balance.add_argument("--host", default="127.0.0.1")
    balance.add_argument("--port", type=int, default=5005)
    balance.set_defaults(run=_balance)
    consume = commands.add_parser("consume", help="index Rasa's events from RabbitMQ")
    consume.add_argument("--db-url", help="database URL (default: MFI_DB_URL)")
    consume.set_defaults(run=_consume)
    return main


def main(argv: List[str] | None = None) -> int:
    """Runs one command."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
