"""Catalog maintenance: ``python -m bot.i18n extract|check|missing LANG``.

- ``extract`` writes ``locales/templates/<topic>.pot`` from domain.yml; then
  ``pybabel update -i locales/templates/<topic>.pot -d locales -D <topic> -l <code>``
  merges new strings into a language's catalog for translators.
- ``check`` exits 1 and lists every missing or broken translation.
- ``missing LANG`` lists what one language still lacks.
"""

from __future__ import annotations

import argparse
import sys

from bot.i18n.extract import check_catalogs, iter_missing, write_templates
from bot.settings import PROJECT_ROOT, get_settings


def main(argv: list[str] | None = None) -> int:
    """Runs the command line; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m bot.i18n")
    parser.add_argument("command", choices=["extract", "check", "missing"])
    parser.add_argument("language", nargs="?")
    parser.add_argument("--domain", default=str(PROJECT_ROOT / "domain.yml"))
    args = parser.parse_args(argv)
    from pathlib import Path

    domain = Path(args.domain)
    locales = get_settings().locales_dir
    if args.command == "extract":
        for path in write_templates(domain, locales / "templates"):
            print(path)
        return 0
    if args.command == "check":
        problems = check_catalogs(domain, locales)
        for problem in problems:
            print(problem)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    if not args.language:
        parser.error("missing needs a language code")
    for item in iter_missing(domain, locales, args.language):
        print(f"{item.topic}\t{item.context}\t{item.msgid}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
