"""The engine's number rules: every input becomes a ``Decimal``, arithmetic runs at a
fixed working precision, and reported figures are rounded to 0.01 half-up.

* floats coming from JSON/YAML are converted through their shortest ``repr``, so that
  ``0.1`` means exactly one tenth (:func:`to_decimal`); ``True`` is never a number;
* figures are kept at full precision inside a result; only reported figures are rounded
  (:func:`round_figure`), and the grade is looked up with the *rounded* composite.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal(0)

# Enough digits that sums and products of any realistic input are exact; only the
# ballot division can be inexact, and 50 digits leave rounding to 0.01 unaffected.
WORKING_PRECISION = 50


def round_figure(value: Decimal) -> Decimal:
    """Round a reported figure to 0.01, halves away from zero (ROUND_HALF_UP)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@contextmanager
def working_precision() -> Iterator[None]:
    """The decimal context every computation of figures runs in."""
    with localcontext() as context:
        context.prec = WORKING_PRECISION
        context.rounding = ROUND_HALF_EVEN
        yield


def is_number(value: object) -> bool:
    """A finite int, float or Decimal (not a bool)."""
    # bool is an int subclass; True must not count as 1 point.
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Decimal):
        return value.is_finite()
    return True


def to_decimal(value: int | float | Decimal) -> Decimal:
    """A number as ``Decimal``; a float through its shortest ``repr``."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr gives the shortest string that round-trips, so 0.1 becomes Decimal("0.1")
        # and not the binary approximation 0.1000000000000000055511151231257827...
        return Decimal(repr(value))
    return Decimal(value)


def number_or_none(value: object) -> Decimal | None:
    """``value`` as ``Decimal`` when it is a number, else None."""
    return to_decimal(value) if is_number(value) else None  # type: ignore[arg-type]


def whole_count(value: object) -> int | None:
    """A vote or occurrence count: a non-negative whole number, else None."""
    if not is_number(value):
        return None
    number = to_decimal(value)  # type: ignore[arg-type]
    if number < 0 or number != number.to_integral_value():
        return None
    return int(number)
