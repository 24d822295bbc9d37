"""Command line for loan officers: ``python -m bot.finance quote ...`` and ``... bench``.

Bad input prints one line on stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import NoReturn, TextIO

from bot.finance.bench import DEFAULT_REPEAT, run_all
from bot.finance.loan import LoanQuote, quote
from bot.finance.terms import (
    DEFAULT_CURRENCY_DIGITS,
    ErrorCode,
    Frequency,
    LoanInputError,
    LoanTerms,
    Method,
    Period,
)

EXIT_OK = 0
EXIT_BAD_INPUT = 2
PROG = "python -m bot.finance"

# LoanTerms field -> command-line option, to name the option at fault in errors.
OPTION_OF_FIELD = {
    "amount": "--amount",
    "rate": "--rate",
    "rate_period": "--rate-period",
    "term": "--term",
    "term_unit": "--term-unit",
    "frequency": "--frequency",
    "method": "--method",
    "grace_installments": "--grace",
    "upfront_fee_pct": "--upfront-fee-pct",
    "upfront_fee_fixed": "--upfront-fee",
    "fee_per_installment": "--fee-per-installment",
    "insurance": "--insurance",
    "deposit_pct": "--deposit-pct",
    "savings_per_installment": "--savings-per-installment",
    "start_date": "--start-date",
    "currency_digits": "--currency",
}


class _UsageError(Exception):
    """An argparse error, reported as one line instead of usage + message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of the ``quote`` and ``bench`` sub-commands."""
    parser = _Parser(prog=PROG, description="Loan cost engine (APR/EIR, MFTransparency method).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    quote_parser = commands.add_parser("quote", help="quote a loan: summary and schedule")
    add = quote_parser.add_argument
    add("--amount", required=True, help="principal lent, e.g. 10000")
    add(
        "--rate",
        required=True,
        help="quoted interest rate in percent per --rate-period",
    )
    add("--rate-period", required=True, choices=[p.value for p in Period])
    add("--term", required=True, help="loan term in --term-unit")
    add("--term-unit", default=Period.MONTH.value, choices=[p.value for p in Period])
    add("--frequency", required=True, choices=[f.value for f in Frequency])
    add("--method", required=True, choices=[m.value for m in Method])
    add("--grace", default="0", help="interest-only installments at the start")
    add("--upfront-fee-pct", default="0", help="upfront fee, percent of the amount")
    add("--upfront-fee", default="0", help="fixed upfront fee")
    add("--fee-per-installment", default="0", help="fee paid with each installment")
    add("--insurance", default="0", help="insurance premium deducted at disbursement")
    add("--deposit-pct", default="0", help="compulsory deposit, percent of the amount")
    add(
        "--savings-per-installment",
        default="0",
        help="compulsory savings per installment",
    )
    add("--start-date", help="disbursement date YYYY-MM-DD (default: today)")
    add("--currency", help="ISO 4217 code; sets the decimals (default: 2 decimals)")
    add("--json", action="store_true", help="print every figure as JSON")

    bench_parser = commands.add_parser("bench", help="time a 5-year weekly schedule with APR")
    bench_parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="runs to time")
    return parser


def currency_digits(code: str | None) -> int:
    """Return the decimals of the currency's minor unit (Babel), 2 if no currency."""
    if code is None:
        return DEFAULT_CURRENCY_DIGITS
    from babel.numbers import get_currency_precision, is_currency

    normalised = code.strip().upper()
    if not is_currency(normalised):
        raise LoanInputError(
            ErrorCode.CURRENCY_UNKNOWN,
            "currency_digits",
            f"unknown currency code {code!r}",
        )
    return get_currency_precision(normalised)


def parse_date(text: str | None) -> dt.date | None:
    """Parse YYYY-MM-DD; None stays None."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as error:
        raise LoanInputError(
            ErrorCode.START_DATE_INVALID,
            "start_date",
            f"start date must be YYYY-MM-DD, got {text!r}",
        ) from error


def terms_from_args(args: argparse.Namespace) -> LoanTerms:
    """Build validated terms from parsed ``quote`` arguments."""
    return LoanTerms(
        amount=args.amount,
        rate=args.rate,
        rate_period=args.rate_period,
        term=args.term,
        term_unit=args.term_unit,
        frequency=args.frequency,
        method=args.method,
        grace_installments=args.grace,
        upfront_fee_pct=args.upfront_fee_pct,
        upfront_fee_fixed=args.upfront_fee,
        fee_per_installment=args.fee_per_installment,
        insurance=args.insurance,
        deposit_pct=args.deposit_pct,
        savings_per_installment=args.savings_per_installment,
        start_date=parse_date(args.start_date),
        currency_digits=currency_digits(args.currency),
    )


def _percent(fraction: Decimal) -> str:
    return f"{fraction * 100:.1f}%"


def render_table(result: LoanQuote, currency: str | None = None) -> str:
    """Render the summary and schedule as plain text."""
    terms = result.terms
    digits = terms.currency_digits

    def money(value: Decimal) -> str:
        return f"{value:,.{digits}f}"

    unit = f" {currency.upper()}" if currency else ""
    summary = [
        ("Method", terms.method.value),
        ("Quoted rate", f"{terms.rate}% per {terms.rate_period.value}"),
        ("Term", f"{terms.term} {terms.term_unit.value}(s), {terms.frequency.value}"),
        ("Amount" + unit, money(terms.amount)),
        ("Upfront fee", money(result.upfront_fee)),
        ("Insurance", money(result.insurance)),
        ("Deposit held", money(result.deposit)),
        ("Client receives", money(result.disbursed)),
        ("Installments", str(result.installments)),
        ("Installment", money(result.installment)),
        ("Regular payment", money(result.regular_payment)),
        ("Total interest", money(result.total_interest)),
        ("Total fees", money(result.total_fees)),
        ("Total cost", money(result.total_cost)),
        ("Total paid", money(result.total_paid)),
        ("Savings returned", money(result.total_savings)),
        ("Disbursed on", result.start_date.isoformat()),
        ("Matures on", result.maturity_date.isoformat()),
        ("APR", _percent(result.apr)),
        ("EIR", _percent(result.eir)),
        ("Transparency Index", f"{result.transparency_index:.1f}"),
    ]
    width = max(len(label) for label, _ in summary)
    lines = [f"{label:<{width}}  {value}" for label, value in summary]
    header = (
        "#",
        "Due date",
        "Principal",
        "Interest",
        "Fees",
        "Savings",
        "Payment",
        "Balance",
    )
    table = [header] + [
        (
            str(row.number),
            row.due_date.isoformat(),
            money(row.principal),
            money(row.interest),
            money(row.fees),
            money(row.savings),
            money(row.payment),
            money(row.balance),
        )
        for row in result.schedule
    ]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(header))]
    lines.append("")
    for cells in table:
        lines.append("  ".join(cell.rjust(widths[i]) for i, cell in enumerate(cells)))
    return "\n".join(lines)


def _error(stderr: TextIO, message: str) -> int:
    print(f"error: {message}", file=stderr)
    return EXIT_BAD_INPUT


def main(
    argv: Sequence[str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line and return the exit status."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as error:
        return _error(err, str(error))
    if args.command == "bench":
        if args.repeat < 1:
            return _error(err, "--repeat must be at least 1")
        for result in run_all(args.repeat):
            print(result.describe(), file=out)
        return EXIT_OK
    try:
        result = quote(terms_from_args(args))
    except LoanInputError as error:
        option = OPTION_OF_FIELD.get(error.field, error.field)
        return _error(err, f"{option}: {error} [{error.code}]")
    if args.json:
        payload = result.as_dict()
        if args.currency:
            payload["currency"] = args.currency.strip().upper()
        print(json.dumps(payload, indent=2, ensure_ascii=False), file=out)
    else:
        print(render_table(result, args.currency), file=out)
    return EXIT_OK
