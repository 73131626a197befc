"""How a summary's probabilities are rounded: to enough significant digits that a lift rebuilds.

A summary gives each tier's expected conversion, its 95% interval and the base conversion (a
random candidate's), and the lift of each tier: the ratio of the unrounded means. Rounded to 5
decimals, a rare film's conversions kept 1 or 2 significant digits (0.00063 and 0.00020), and
the lift shown (3.206) could not be rebuilt from them (3.15). ``round_probability`` keeps
``SIGNIFICANT`` significant digits below ``10 ** -(DECIMALS - SIGNIFICANT + 1)`` (0.01), and
``DECIMALS`` decimals above it (which keep at least as many), so a ratio of two shown
probabilities is within about 0.1% of the ratio of the unrounded ones. The JSON (the service's
and ``summary --json``'s) and the CLI's tables use it; the Studio's percentages follow the
same rule (``ui.js``'s ``pctP``).
"""

from __future__ import annotations

import math

SIGNIFICANT = 4  # significant digits kept below 0.01
DECIMALS = 5  # decimals kept at 0.01 and above (4 to 5 significant digits)


def probability_decimals(p: float) -> int:
    """The decimals ``p`` is rounded to: ``DECIMALS``, or more for a small ``p`` so that it
    keeps ``SIGNIFICANT`` significant digits (0.000631 -> 7: 0.0006310)."""
    if not math.isfinite(p) or p == 0:
        return DECIMALS
    return max(DECIMALS, SIGNIFICANT - 1 - math.floor(math.log10(abs(p))))


def round_probability(p: float) -> float:
    """``p`` rounded to ``probability_decimals(p)`` decimals."""
    return round(float(p), probability_decimals(float(p)))


def probability_text(p: float) -> str:
    """``p`` as the CLI's tables print it: its rounded value with every decimal kept
    (0.0006310, 0.04071, 0.10000), never in exponent notation."""
    shown = round_probability(p)  # 0.0099996 -> 0.01: its decimals, 0.01000
    return f"{shown:.{probability_decimals(shown)}f}"

#: how the schemas and legends say it
ROUNDING_TEXT = (f"rounded to {DECIMALS} decimals, to {SIGNIFICANT} significant digits below "
                 f"{10.0 ** -(DECIMALS - SIGNIFICANT + 1):g}")
LIFT_TEXT = ("the ratio of the unrounded means (the probabilities shown are " + ROUNDING_TEXT
             + ", so their ratio rebuilds it to about 0.1%)")
