"""Repayment schedules: due dates and rows for the three interest methods.

Money is Decimal, rounded half up to the currency's minor unit. The principal column
sums exactly to the amount lent; the last installment absorbs every rounding difference.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from bot.finance.terms import Frequency, LoanTerms, Method, round_money

DAYS_BETWEEN: dict[Frequency, int] = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14}
ZERO = Decimal(0)


@dataclass(frozen=True)
class ScheduleRow:
    """One installment of a schedule.

    Attributes:
        number: 1 for the first installment.
        due_date: when it is due.
        principal: principal repaid.
        interest: interest paid.
        fees: fee paid with the installment.
        savings: compulsory savings paid with the installment.
        payment: everything the client pays: principal + interest + fees + savings.
        balance: principal still owed after this installment.
    """

    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    fees: Decimal
    savings: Decimal
    payment: Decimal
    balance: Decimal

    @property
    def installment(self) -> Decimal:
        """Return principal plus interest (the loan installment, without fees and savings)."""
        return self.principal + self.interest


@dataclass(frozen=True)
class Schedule:
    """A schedule and its regular installment.

    Attributes:
        rows: the installments, in order.
        installment: principal + interest of the first installment after the grace
            period (for equal principal, the largest full installment).
    """

    rows: tuple[ScheduleRow, ...]
    installment: Decimal


def add_months(start: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` later, clamped to the month's end (31 Jan + 1: 28 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return dt.date(year, month, day)


def due_date(start: dt.date, frequency: Frequency, number: int) -> dt.date:
    """Return the due date of installment ``number`` (1-based) of a loan disbursed on ``start``."""
    if frequency is Frequency.MONTHLY:
        return add_months(start, number)
    return start + dt.timedelta(days=DAYS_BETWEEN[frequency] * number)


def even_share(total: Decimal, count: int, quantum: Decimal) -> Decimal:
    """Round ``total / count`` so that ``count - 1`` shares leave a positive remainder.

    Half up as a rule; rounded down when ``count - 1`` rounded-up shares would reach the
    total, so that the last share (``total - (count - 1) x share``) is never zero or less.
    """
    share = round_money(total / count, quantum)
    if total > 0 and share * (count - 1) >= total:
        share = (total / count).quantize(quantum, rounding=ROUND_FLOOR)
    return share


def annuity_installment(
    principal: Decimal, rate: Decimal, count: int, quantum: Decimal, rounding: str = ROUND_HALF_UP
) -> Decimal:
    """Return the equal installment repaying ``principal`` in ``count`` periods at ``rate``."""
    if rate == 0:
        return even_share(principal, count, quantum)
    exact = principal * rate / (1 - (1 + rate) ** -count)
    return exact.quantize(quantum, rounding=rounding)


def flat_interest(terms: LoanTerms) -> Decimal:
    """Return the flat interest: amount x rate x term in rate periods, rounded."""
    return round_money(terms.amount * terms.rate / 100 * terms.term_in_rate_periods, terms.quantum)


def build_schedule(terms: LoanTerms, start: dt.date) -> Schedule:
    """Build the repayment schedule of a loan disbursed on ``start``."""
    if terms.method is Method.FLAT:
        return _flat(terms, start)
    return _declining(terms, start)


def _row(
    terms: LoanTerms,
    start: dt.date,
    number: int,
    principal: Decimal,
    interest: Decimal,
    balance: Decimal,
) -> ScheduleRow:
    fees = terms.fee_per_installment
    savings = terms.savings_per_installment
    return ScheduleRow(
        number=number,
        due_date=due_date(start, terms.frequency, number),
        principal=principal,
        interest=interest,
        fees=fees,
        savings=savings,
        payment=principal + interest + fees + savings,
        balance=balance,
    )


def _flat(terms: LoanTerms, start: dt.date) -> Schedule:
    """Flat: interest spread evenly over all n installments, principal over n - grace.

    Every installment but the last pays the same rounded shares, so the regular
    installment is ``round(amount / (n - grace)) + round(interest / n)``.
    """
    quantum = terms.quantum
    count = terms.installments
    grace = terms.grace_installments
    zero = ZERO.quantize(quantum)
    total_interest = flat_interest(terms)
    principal_share = even_share(terms.amount, count - grace, quantum)
    interest_share = even_share(total_interest, count, quantum)
    rows: list[ScheduleRow] = []
    balance = terms.amount
    interest_left = total_interest
    for number in range(1, count + 1):
        if number == count:
            principal, interest = balance, interest_left
        else:
            principal = zero if number <= grace else principal_share
            interest = interest_share
        balance -= principal
        interest_left -= interest
        rows.append(_row(terms, start, number, principal, interest, balance))
    return Schedule(rows=tuple(rows), installment=principal_share + interest_share)


def _declining(terms: LoanTerms, start: dt.date) -> Schedule:
    """Declining balance: interest on the balance at the periodic rate each installment.

    Equal installments are rounded half up; if rounding up would repay the loan before
    the last installment (long loans of small installments), they are rounded down
    instead, and the last installment takes the small remainder.
    """
    repaying = terms.installments - terms.grace_installments
    if terms.method is Method.DECLINING_EQUAL_PRINCIPAL:
        share = even_share(terms.amount, repaying, terms.quantum)
        first_interest = round_money(terms.amount * terms.periodic_rate, terms.quantum)
        rows, _ = _declining_rows(terms, start, share, equal_principal=True)
        return Schedule(rows=rows, installment=share + first_interest)
    installment = annuity_installment(terms.amount, terms.periodic_rate, repaying, terms.quantum)
    rows, paid_off_early = _declining_rows(terms, start, installment, equal_principal=False)
    if paid_off_early:
        installment = annuity_installment(
            terms.amount, terms.periodic_rate, repaying, terms.quantum, ROUND_FLOOR
        )
        rows, paid_off_early = _declining_rows(terms, start, installment, equal_principal=False)
        # rounding down can still land exactly on the balance: one minor unit less then
        while paid_off_early and installment > terms.quantum:
            installment -= terms.quantum
            rows, paid_off_early = _declining_rows(terms, start, installment, equal_principal=False)
    return Schedule(rows=rows, installment=installment)


def _declining_rows(
    terms: LoanTerms, start: dt.date, regular: Decimal, *, equal_principal: bool
) -> tuple[tuple[ScheduleRow, ...], bool]:
    """Build declining-balance rows; ``regular`` is the principal share or the installment.

    Returns:
        The rows, and whether the balance ran out before the last installment.
    """
    quantum = terms.quantum
    count = terms.installments
    grace = terms.grace_installments
    rate = terms.periodic_rate
    zero = ZERO.quantize(quantum)
    rows: list[ScheduleRow] = []
    balance = terms.amount
    paid_off_early = False
    for number in range(1, count + 1):
        interest = round_money(balance * rate, quantum)
        if number == count:
            due = balance
        elif number <= grace:
            due = zero
        elif equal_principal:
            due = regular
        else:
            due = max(regular - interest, zero)
        principal = min(due, balance)
        if number < count and principal >= balance:
            paid_off_early = True
        balance -= principal
        rows.append(_row(terms, start, number, principal, interest, balance))
    return tuple(rows), paid_off_early
