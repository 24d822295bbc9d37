"""Tests for bot.finance.irr."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.finance.irr import IrrError, irr


def npv(flows: list[Decimal], rate: Decimal) -> Decimal:
    return sum((flow / (1 + rate) ** k for k, flow in enumerate(flows)), Decimal(0))


def test_single_period() -> None:
    assert irr([Decimal(100), Decimal(-110)]) == Decimal("0.1")


def test_zero_rate() -> None:
    assert irr([Decimal(100), Decimal(-50), Decimal(-50)]) == 0


def test_annuity_rate_is_recovered() -> None:
    flows = [Decimal(10000)] + [Decimal("-945.5960")] * 12
    assert abs(irr(flows) - Decimal("0.02")) < Decimal("1e-7")


def test_root_with_a_positive_last_flow() -> None:
    # A deposit returned at maturity makes the last flow positive (two sign changes).
    flows = [Decimal(9000)] + [Decimal("-442.31")] * 25 + [Decimal("557.69")]
    rate = irr(flows)
    assert rate > 0
    assert abs(npv(flows, rate)) < Decimal("1e-12")


def test_very_high_rate() -> None:
    flows = [Decimal(100)] + [Decimal(-250)] * 3
    rate = irr(flows)
    assert rate > 2
    assert abs(npv(flows, rate)) < Decimal("1e-12")


@pytest.mark.parametrize(
    "flows",
    [
        [Decimal(100)],
        [Decimal(0), Decimal(-10)],
        [Decimal(-100), Decimal(110)],
        [Decimal(100), Decimal(-50)],
    ],
)
def test_flows_without_a_borrower_rate_are_rejected(flows: list[Decimal]) -> None:
    with pytest.raises(IrrError):
        irr(flows)
