"""``python -m bot.lessons check [LANG]``: lists every problem of the lesson content."""

from __future__ import annotations

import argparse
import sys
from typing import List

from bot.lessons.content import check_all, clear_cache


def main(argv: List[str] | None = None) -> int:
    """Runs the command line; returns the exit code (1 when there are problems)."""
    parser = argparse.ArgumentParser(prog="python -m bot.lessons")
    parser.add_argument("command", choices=["check"])
    parser.add_argument("language", nargs="?", help="one language code (default: all)")
    args = parser.parse_args(argv)
    clear_cache()
    problems = check_all(languages=[args.language] if args.language else None)
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
