"""Loan cost quotes: schedule, totals, APR, EIR and Transparency Index.

APR and EIR follow the MFTransparency method: the IRR ``r`` of the client's cash flows per
installment period gives ``APR = r x installments per year`` and
``EIR = (1 + r) ^ installments per year - 1``. The client's flows are: at t0 the cash
actually received (amount less upfront fee, insurance and deposit); then every payment of
the schedule, savings included; at maturity the deposit and savings come back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.finance.irr import irr
from bot.finance.schedule import ScheduleRow, build_schedule
from bot.finance.terms import HUNDRED, LoanInputError, LoanTerms

__all__ = ["LoanInputError", "LoanQuote", "LoanTerms", "Today", "quote"]

RATE_DECIMALS = Decimal("1e-10")
INDEX_DECIMALS = Decimal("0.01")

Today = Callable[[], dt.date]


@dataclass(frozen=True)
class LoanQuote:
    """What a loan costs. Money is Decimal in currency units; rates are fractions.

    Attributes:
        terms: the terms quoted.
        start_date: disbursement date (``terms.start_date`` or the day of the quote).
        installments: number of installments n.
        installment: principal + interest of the first full installment (after grace).
        regular_payment: ``installment`` plus the fee and savings paid with it.
        schedule: every installment (due date, principal, interest, fees, savings,
            payment, balance).
        upfront_fee: percentage and fixed fee deducted at disbursement.
        insurance: insurance premium deducted at disbursement.
        deposit: compulsory savings held back at disbursement.
        disbursed: cash the client receives at t0.
        total_interest: interest over the schedule.
        total_fees: upfront fee plus fees paid with installments.
        total_savings: deposit plus savings paid with installments, returned at maturity.
        total_cost: total_interest + total_fees + insurance (the cost of the credit).
        total_paid: amount + total_cost (savings excluded: the client gets them back).
        periodic_rate: IRR per installment period.
        apr: annual percentage rate, e.g. ``Decimal("0.4170...")`` for 41.7 %.
        eir: effective interest rate per year.
        nominal_annual_rate: the quoted rate annualised (2 % per month gives 0.24).
        transparency_index: nominal_annual_rate / apr x 100 (100 when both are zero).
    """

    terms: LoanTerms
    start_date: dt.date
    installments: int
    installment: Decimal
    regular_payment: Decimal
    schedule: tuple[ScheduleRow, ...]
    upfront_fee: Decimal
    insurance: Decimal
    deposit: Decimal
    disbursed: Decimal
    total_interest: Decimal
    total_fees: Decimal
    total_savings: Decimal
    total_cost: Decimal
    total_paid: Decimal
    periodic_rate: Decimal
    apr: Decimal
    eir: Decimal
    nominal_annual_rate: Decimal
    transparency_index: Decimal

    @property
    def maturity_date(self) -> dt.date:
        """Return the due date of the last installment."""
        return self.schedule[-1].due_date

    def cash_flows(self) -> list[Decimal]:
        """Return the client's cash flows per installment period, t0 first (received > 0)."""
        return _cash_flows(self.disbursed, self.schedule, self.total_savings)

    def as_dict(self) -> dict[str, Any]:
        """Return every figure, JSON-ready: money and rates as strings, dates in ISO format."""
        terms = self.terms
        return {
            "terms": {
                "amount": str(terms.amount),
                "rate_pct": str(terms.rate),
                "rate_period": terms.rate_period.value,
                "term": str(terms.term),
                "term_unit": terms.term_unit.value,
                "frequency": terms.frequency.value,
                "method": terms.method.value,
                "grace_installments": terms.grace_installments,
                "upfront_fee_pct": str(terms.upfront_fee_pct),
                "upfront_fee_fixed": str(terms.upfront_fee_fixed),
                "fee_per_installment": str(terms.fee_per_installment),
                "insurance": str(terms.insurance),
                "deposit_pct": str(terms.deposit_pct),
                "savings_per_installment": str(terms.savings_per_installment),
                "start_date": self.start_date.isoformat(),
                "currency_digits": terms.currency_digits,
            },
            "installments": self.installments,
            "installment": str(self.installment),
            "regular_payment": str(self.regular_payment),
            "upfront_fee": str(self.upfront_fee),
            "insurance": str(self.insurance),
            "deposit": str(self.deposit),
            "disbursed": str(self.disbursed),
            "total_interest": str(self.total_interest),
            "total_fees": str(self.total_fees),
            "total_savings": str(self.total_savings),
            "total_cost": str(self.total_cost),
            "total_paid": str(self.total_paid),
            "periodic_rate": _rate(self.periodic_rate),
            "apr": _rate(self.apr),
            "eir": _rate(self.eir),
            "nominal_annual_rate": _rate(self.nominal_annual_rate),
            "transparency_index": str(self.transparency_index.quantize(INDEX_DECIMALS)),
            "maturity_date": self.maturity_date.isoformat(),
            "schedule": [
                {
                    "number": row.number,
                    "due_date": row.due_date.isoformat(),
                    "principal": str(row.principal),
                    "interest": str(row.interest),
                    "fees": str(row.fees),
                    "savings": str(row.savings),
                    "payment": str(row.payment),
                    "balance": str(row.balance),
                }
                for row in self.schedule
            ],
        }


def _rate(value: Decimal) -> str:
    return str(value.quantize(RATE_DECIMALS))


def _cash_flows(
    disbursed: Decimal, rows: tuple[ScheduleRow, ...], returned: Decimal
) -> list[Decimal]:
    flows = [disbursed]
    flows.extend(-row.payment for row in rows)
    flows[-1] += returned
    return flows


def quote(terms: LoanTerms, *, today: Today | None = None) -> LoanQuote:
    """Quote a loan: schedule, totals, APR, EIR and Transparency Index.

    Args:
        terms: validated loan terms.
        today: returns the disbursement date when ``terms.start_date`` is None
            (default ``datetime.date.today``); inject it for reproducible dates.
    """
    start = terms.start_date or (today or dt.date.today)()
    schedule = build_schedule(terms, start)
    rows = schedule.rows
    first_full = rows[terms.grace_installments]
    total_interest = sum((row.interest for row in rows), Decimal(0))
    upfront_fee = terms.upfront_fee
    total_fees = upfront_fee + sum((row.fees for row in rows), Decimal(0))
    deposit = terms.deposit
    total_savings = deposit + sum((row.savings for row in rows), Decimal(0))
    total_cost = total_interest + total_fees + terms.insurance
    periodic_rate = irr(_cash_flows(terms.disbursed, rows, total_savings))
    per_year = terms.installments_per_year
    apr = periodic_rate * per_year
    eir = (1 + periodic_rate) ** per_year - 1
    nominal = terms.nominal_annual_rate
    index = nominal / apr * HUNDRED if apr else HUNDRED
    return LoanQuote(
        terms=terms,
        start_date=start,
        installments=len(rows),
        installment=schedule.installment,
        regular_payment=schedule.installment + first_full.fees + first_full.savings,
        schedule=rows,
        upfront_fee=upfront_fee,
        insurance=terms.insurance,
        deposit=deposit,
        disbursed=terms.disbursed,
        total_interest=total_interest,
        total_fees=total_fees,
        total_savings=total_savings,
        total_cost=total_cost,
        total_paid=terms.amount + total_cost,
        periodic_rate=periodic_rate,
        apr=apr,
        eir=eir,
        nominal_annual_rate=nominal,
        transparency_index=index,
    )
