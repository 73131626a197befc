"""Sharing out whole screens in proportion to demand: largest remainder, with per-place caps.

``largest_remainder(weights, total, caps)`` gives each place ``total * w / sum(w)`` screens
rounded down, then hands the screens left over, one each, to the places with the largest
fractional parts (ties: larger weight, then lower index), so the allocation sums to ``total``
exactly (Hamilton's method). With caps (a cinema's screens), a place whose quota reaches its cap
gets the cap and the rest is shared again among the others, until no quota exceeds its cap.

``whole_number`` is the one rule for a count of screens given as a number (a JSON body's) or
as text (a command-line argument, a query string), so that the CLI and HTTP take the same
values: a whole number, where a number with a zero fraction counts as that whole number
(``1.0``, ``1e3``: JSON does not tell ``1.0`` from ``1``, and JSON Schema's ``integer``
takes it); text is ASCII digits with an optional fraction and exponent, no sign, space or
underscore (Python's ``int`` took ``"1_0"`` and ``"\u0661"``, pydantic took ``"1_0"``).
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.places import whole_count
from recommender.io.text import plural

#: a breakdown column screens can follow, in a reader's words (notes name no field)
WEIGHT_WORDS = {"expected_total": "expected total", "expected_new": "expected new viewers"}


def weight_words(weight: str) -> str:
    """The column ``weight`` in plain words (``WEIGHT_WORDS``; another name as it is)."""
    return WEIGHT_WORDS.get(weight, weight)


def tie_rule(weight: str = "expected_total") -> str:
    """``largest_remainder``'s tie rule in a breakdown's words, its weights being the rows'
    column ``weight`` (``expected_total``, or ``expected_new`` with ``screens_by=new``, named
    in plain words: ``weight_words``), in the order of their names, the pool last."""
    return (f"equal remainders go to the larger {weight_words(weight)} first, then to the "
            "place first by name, 'other' last")


TIE_RULE = tie_rule()
"""``tie_rule`` of the default weight, ``expected_total``."""


def whole_rule(low: int, high: int) -> str:
    """The words of ``whole_number``'s rule: "must be a whole number from 1 to 10"."""
    return f"must be a whole number from {low} to {high}"


def whole_value(value: object, low: int, high: int) -> int | None:
    """``value`` as an int when it is a whole number in ``[low, high]`` (see the module
    docstring: an int, a float or text equal to one), else None (a bool is no number)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return whole_count(value, low, high)
    if isinstance(value, int | np.integer):
        number = Decimal(int(value))
    elif isinstance(value, float | np.floating) and np.isfinite(value):
        number = Decimal(float(value))
    else:
        return None
    if not low <= number <= high or number != number.to_integral_value():
        return None
    return int(number)


def whole_number(value: object, name: str, low: int, high: int) -> int:
    """``whole_value``, or ``InvalidParameterError``: "NAME must be a whole number from LOW
    to HIGH, got VALUE"."""
    whole = whole_value(value, low, high)
    if whole is None:
        raise InvalidParameterError(f"{name} {whole_rule(low, high)}, got {value!r}")
    return whole


def largest_remainder(weights: NDArray[np.floating], total: int,
                      caps: NDArray[np.integer] | None = None) -> NDArray[np.int64]:
    """``total`` whole units shared out over ``len(weights)`` places (see the module docstring).

    ``weights`` are >= 0 with a positive sum; ``caps`` (>= 0 integers) bound each place. When
    the places that are still below their cap all have zero weight, the units left are shared
    by remaining capacity. Raises ``InvalidParameterError`` when ``total`` < 0, the weights sum
    to 0, or the caps hold fewer than ``total`` units.
    """
    w = np.asarray(weights, np.float64)
    n = len(w)
    if total < 0:
        raise InvalidParameterError(f"the number of screens must be >= 0, got {total}")
    if n == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise InvalidParameterError("there is no expected demand to share screens by")
    cap = (np.full(n, np.inf) if caps is None
           else np.asarray(caps, np.int64).astype(np.float64))
    if cap.sum() < total:
        raise InvalidParameterError(
            f"screens={total} is more than the {plural(int(cap.sum()), 'screen', sep=',')} the "
            "cinemas hold")
    alloc = np.zeros(n, np.int64)
    free = cap > 0
    remaining = total
    quota = np.zeros(n)
    while remaining > 0 and free.any():
        base = np.where(free, w, 0.0)
        if base.sum() <= 0:  # only zero-demand places have room left: fill by capacity
            base = np.where(free, cap, 0.0)
        quota = np.where(free, remaining * base / base.sum(), 0.0)
        over = free & (quota >= cap)
        if not over.any():
            break
        alloc[over] = cap[over].astype(np.int64)
        remaining -= int(cap[over].sum())
        free &= ~over
        quota = np.zeros(n)
    if remaining > 0:
        floor = np.floor(quota)
        alloc[free] += floor[free].astype(np.int64)
        left = remaining - int(floor[free].sum())
        # rounded, so that remainders equal in exact arithmetic tie (1/3 computed two ways
        # differs in its last bit) and the documented tie rule decides, not float noise
        frac = np.round(np.where(free, quota - floor, -1.0), 9)
        order = np.lexsort((np.arange(n), -w, -frac))
        alloc[order[:left]] += 1
    return alloc
