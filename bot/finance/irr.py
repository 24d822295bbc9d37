"""Internal rate of return of evenly spaced cash flows, in Decimal.

The flows are those of the client: what they receive at t0 (positive), then what they
pay each period (negative) and what comes back (positive). With ``v = 1 / (1 + r)`` the
net present value is the polynomial ``f(v) = sum(c_k v^k)``; its root in ``(0, 1]`` is
found by Newton's method kept inside a sign-changing bracket (bisection as fallback):
first in floats, which is fast, then polished in Decimal to ~1e-24.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import TypeVar

PRECISION = 34
DECIMAL_TOLERANCE = Decimal("1e-24")
ACCEPT_NEWTON_STEP = Decimal("1e-13")
FLOAT_TOLERANCE = 1e-15
FLOAT_ACCEPT_NEWTON_STEP = 1e-11
MAX_ITERATIONS = 200

Number = TypeVar("Number", float, Decimal)


class IrrError(ArithmeticError):
    """The cash flows have no rate of return at or above zero."""


def _npv_and_slope(flows: Sequence[Number], v: Number) -> tuple[Number, Number]:
    """Evaluate by Horner's rule ``f(v)`` and ``f'(v)``."""
    value = flows[-1]
    slope = v * 0
    for flow in reversed(flows[:-1]):
        slope = slope * v + value
        value = value * v + flow
    return value, slope


def _root(
    flows: Sequence[Number],
    start: Number,
    zero: Number,
    one: Number,
    tolerance: Number,
    accept_step: Number,
) -> Number:
    """Safeguarded Newton on ``f(v)`` within the bracket ``(0, 1]`` where f(0) > 0 >= f(1).

    Stops when a Newton step is below ``accept_step`` (Newton converges quadratically,
    so the point it lands on is then far more accurate than the step) or any step is
    below ``tolerance``.
    """
    low, high = zero, one
    v = start
    for _ in range(MAX_ITERATIONS):
        value, slope = _npv_and_slope(flows, v)
        if value == 0:
            return v
        if value > 0:
            low = v
        else:
            high = v
        if slope != 0:
            candidate = v - value / slope
            if abs(candidate - v) < accept_step:
                return candidate
        if slope == 0 or not low < candidate < high:
            candidate = (low + high) / 2
        step = abs(candidate - v)
        v = candidate
        if step < tolerance:
            break
    return v


def irr(flows: Sequence[Decimal]) -> Decimal:
    """Periodic IRR (a fraction) of flows ``c_0, c_1, ..., c_n`` one period apart.

    Requires ``c_0 > 0`` and ``sum(c) <= 0`` (what a borrower receives and repays), which
    guarantees a root with ``r >= 0``; the one nearest zero is sought.

    Raises:
        IrrError: if the flows do not meet those requirements.
    """
    if len(flows) < 2 or flows[0] <= 0:
        raise IrrError("the first flow must be positive and followed by repayments")
    with localcontext() as context:
        context.prec = PRECISION
        total = sum(flows, Decimal(0))
        if total > 0:
            raise IrrError("the flows repay less than was received: no rate at or above zero")
        if total == 0:
            return Decimal(0)
        scale = float(flows[0])
        guess = _root(
            [float(flow) / scale for flow in flows],
            1.0,
            0.0,
            1.0,
            FLOAT_TOLERANCE,
            FLOAT_ACCEPT_NEWTON_STEP,
        )
        start = Decimal(guess) if math.isfinite(guess) and 0 < guess <= 1 else Decimal(1)
        v = _root(flows, start, Decimal(0), Decimal(1), DECIMAL_TOLERANCE, ACCEPT_NEWTON_STEP)
        rate = 1 / v - 1
    return +rate
