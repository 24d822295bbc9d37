"""Tests for bot.finance.cli (``python -m bot.finance``)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bot.finance.cli import EXIT_BAD_INPUT, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[3]
FLAT = [
    "quote",
    "--amount",
    "10000",
    "--rate",
    "2",
    "--rate-period",
    "month",
    "--term",
    "12",
    "--term-unit",
    "month",
    "--frequency",
    "monthly",
    "--method",
    "flat",
    "--start-date",
    "2025-01-31",
]


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


def test_table_output() -> None:
    status, out, err = run([*FLAT, "--upfront-fee-pct", "2"])
    assert status == EXIT_OK
    assert err == ""
    assert "APR                 45.8%" in out
    assert "EIR                 56.8%" in out
    assert "Installment         1,033.33" in out
    assert "Client receives     9,800.00" in out
    assert " 1  2025-02-28     833.33    200.00" in out
    assert out.rstrip().endswith("1,033.37      0.00")


def test_json_output_has_every_figure() -> None:
    status, out, _ = run([*FLAT, "--deposit-pct", "10", "--currency", "kes", "--json"])
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["currency"] == "KES"
    assert data["deposit"] == "1000.00"
    assert data["installment"] == "1033.33"
    for key in (
        "total_interest",
        "total_fees",
        "total_paid",
        "apr",
        "eir",
        "transparency_index",
    ):
        assert key in data
    assert len(data["schedule"]) == 12
    assert set(data["schedule"][0]) == {
        "number",
        "due_date",
        "principal",
        "interest",
        "fees",
        "savings",
        "payment",
        "balance",
    }


def test_every_cost_option_is_passed_on() -> None:
    status, out, _ = run(
        [
            *FLAT,
            "--upfront-fee",
            "50",
            "--fee-per-installment",
            "10",
            "--insurance",
            "75",
            "--savings-per-installment",
            "20",
            "--grace",
            "2",
            "--json",
        ]
    )
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["terms"]["grace_installments"] == 2
    assert data["upfront_fee"] == "50.00"
    assert data["insurance"] == "75.00"
    assert data["total_savings"] == "240.00"
    assert data["schedule"][0]["principal"] == "0.00"
    assert data["regular_payment"] == "1230.00"


def test_currency_without_minor_unit() -> None:
    status, out, _ = run([*FLAT, "--currency", "JPY", "--json"])
    assert status == EXIT_OK
    data = json.loads(out)
    assert data["installment"] == "1033"
    assert Decimal(data["total_paid"]) == 12400


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        (["--amount", "-5"], "--amount: amount must be positive"),
        (["--amount", "abc"], "[not_a_number]"),
        (["--rate", "150"], "[rate_too_high]"),
        (["--term", "0"], "[term_not_positive]"),
        (["--term", "400"], "[term_too_long]"),
        (["--grace", "12"], "--grace: "),
        (["--currency", "ZZZ"], "[currency_unknown]"),
        (["--start-date", "2025-13-01"], "[start_date_invalid]"),
        (["--method", "simple"], "invalid choice"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(changes: list[str], fragment: str) -> None:
    status, out, err = run([*FLAT, *changes])
    assert status == EXIT_BAD_INPUT
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert fragment in err
    assert "Traceback" not in err


def test_missing_option_is_reported() -> None:
    status, _, err = run(["quote", "--amount", "10000"])
    assert status == EXIT_BAD_INPUT
    assert "required" in err


def test_bench_prints_the_median() -> None:
    status, out, _ = run(["bench", "--repeat", "3"])
    assert status == EXIT_OK
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "flat",
        "declining",
        "declining_equal_principal",
    ]
    assert all("260 weekly installments" in line and "median" in line for line in lines)
    assert run(["bench", "--repeat", "0"])[0] == EXIT_BAD_INPUT


def test_module_entry_point_exits_2_without_traceback() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bot.finance", *FLAT[:-2], "--amount", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert completed.returncode == EXIT_BAD_INPUT
    assert completed.stdout == ""
    assert completed.stderr.strip().splitlines() == [
        "error: --amount: amount must be positive, got 0.00 [amount_not_positive]"
    ]
