"""The report's warning that a block's intervals are approximate, its targets or controls few.

Newcombe's interval of a difference is symmetric in its two groups (swapping them negates it),
so few targets against many controls (a holdout near 0.99) leave it as approximate as few
controls against many targets: 4 targets at 50% against 396 controls at 1% hold the true
uplift in about 88% of draws (exact enumeration, tests/campaigns/test_report_few_targets.py),
where the report warned only of a small control group.

A lopsided split warns too, however many are in each group (``lopsided_warning``): the
interval's half-width goes as ``sqrt(1 / targets + 1 / controls)`` (equal rates in both groups,
no effect), so a split of ``N`` users is ``width_vs_even = sqrt((1 / t + 1 / c) x N / 4)`` times
as wide as an even one of the same ``N``, ``1 / (2 sqrt(h (1 - h)))`` at a control share ``h``.
It warns from ``LOPSIDED_WIDTH`` = 2: twice as wide, as precise as an even split of a quarter
of the users, at a share of controls below 6.7% or above 93.3% (the default holdout, 0.1, is
1.67x and does not warn; 11 targets against 990 controls are 4.8x, as are 990 against 11).
A report block warns of one or the other (``block_warnings``): few in a group first.
"""

from __future__ import annotations

import math
from typing import Any

#: below this many measured targets, or controls (effective, over strata), a block warns that
#: its intervals are approximate: with one to three controls, exact enumeration finds both
#: uplift intervals holding the truth in about 90-93% of draws at worst
#: (tests/campaigns/test_campaign_report.py), and the same of as few targets
FEW_IN_GROUP = 10

#: a split of targets and controls whose uplift interval is expected at least this many times as
#: wide as an even split of the same rows warns (the module docstring): 2, as precise as an
#: even split of a quarter of them, at a control share outside 6.7%-93.3%
LOPSIDED_WIDTH = 2.0

#: what every small-groups warning says after its counts
APPROXIMATE = ("the 95% intervals are approximate with so few, and can hold the true uplift "
               "less often than 95% of the time")


class SmallGroupsWarning(str):
    """A block's small-groups warning: its text (what ``--json`` and the HTTP report carry, as
    a plain string) with which groups it finds few as data, ``few``: (targets, controls), so
    that ``campaign report``'s text says blocks warned alike together without reading the
    words back; and ``sizes``: (measured targets, effective controls, strata) it was made of,
    which that text says of each block (the counts it does not find few are not in the
    words), None where not given."""

    few: tuple[bool, bool]
    sizes: tuple[int, float, int] | None

    def __new__(cls, text: str, few: tuple[bool, bool],
                sizes: tuple[int, float, int] | None = None) -> SmallGroupsWarning:
        said = super().__new__(cls, text)
        said.few = few
        said.sizes = sizes
        return said

    def __getnewargs__(self  # type: ignore[override]
                       ) -> tuple[str, tuple[bool, bool], tuple[int, float, int] | None]:
        return str(self), self.few, self.sizes  # copied and pickled with its kind and sizes


def small_groups_warning(targets: int, controls: float, strata: int, of: int = 0
                         ) -> SmallGroupsWarning | None:
    """The block's warning when its ``targets`` (measured) or its ``controls`` (effective over
    ``strata`` (film, wave) pairs when more than one) are fewer than ``FEW_IN_GROUP``; None
    when neither is. ``of``: the block's targets, measured or not; when more, the count is
    said to be the measured ones ("7 targets" beside a block of 207 targets read as wrong)."""
    said = []
    if targets < FEW_IN_GROUP:
        kind = "measured target" if of > targets else "target"
        said.append(f"{targets:,} {kind}{'' if targets == 1 else 's'}")
    if controls < FEW_IN_GROUP:
        size = f"an effective {controls:.3g}" if strata > 1 else f"{controls:g}"
        said.append(f"{size} control{'' if size == '1' else 's'}")
    if not said:
        return None
    return SmallGroupsWarning(f"{' and '.join(said)} ({'each ' if len(said) > 1 else ''}fewer "
                              f"than {FEW_IN_GROUP}): {APPROXIMATE}",
                              (targets < FEW_IN_GROUP, controls < FEW_IN_GROUP),
                              (targets, controls, strata))


def small_groups_kind(said: str) -> tuple[bool, bool]:
    """Which groups ``small_groups_warning``'s ``said`` finds few: (targets, controls), as it
    recorded them; read from its counts (the part before its parenthesis) only for a warning
    read back from JSON, a plain string."""
    if isinstance(said, SmallGroupsWarning):
        return said.few
    counts = said.split(" (", 1)[0]
    return "target" in counts, "control" in counts


def width_vs_even(targets: float, controls: float) -> float:
    """How many times as wide the uplift's interval is expected to be with ``targets`` against
    ``controls`` as with an even split of the same rows: ``sqrt((1 / t + 1 / c) x (t + c) /
    4)`` (equal rates in both groups; both counts above 0)."""
    return math.sqrt((1.0 / targets + 1.0 / controls) * (targets + controls) / 4.0)


def lopsided_warning(targets: float, controls: float, effective: float | None = None,
                     what: str = "uplift's 95% interval is") -> str | None:
    """The warning of a split of ``targets`` against ``controls`` rows whose interval is
    ``LOPSIDED_WIDTH`` or more times as wide as an even split's (``width_vs_even``), reckoned
    on ``effective`` (the controls' effective size over strata) where given; None otherwise,
    or when a group is empty (other warnings say so). Its share held out is of the rows
    themselves: an effective size is no count of rows (1,010 targets and 1,010 controls in
    two strata, 1,000 against 10 and 10 against 1,000, weigh as an effective 10.2 controls)."""
    size = controls if effective is None else effective
    if targets <= 0 or size <= 0:
        return None
    ratio = width_vs_even(targets, size)
    if ratio < LOPSIDED_WIDTH:
        return None
    rows, even = targets + controls, targets + size
    said = (f"{targets:,.0f} target{'s' if targets != 1 else ''} against {controls:,.0f} "
            f"control{'s' if controls != 1 else ''} ({100 * controls / rows:.3g}% of the "
            f"{rows:,.0f} rows held out)")
    if effective is not None:  # strata: the controls weigh as fewer, the targets spread unlike
        said += (f", weighing as an effective {effective:,.3g} controls over their films and "
                 "waves")
    said += (f": the {what} about {ratio:.2g}x as wide as an even split of "
             f"{'an effective ' if effective is not None else 'the same '}{even:,.0f} rows "
             f"would give (as precise as an even split of {even / ratio ** 2:,.0f} rows); ")
    if width_vs_even(targets, controls) >= LOPSIDED_WIDTH:
        return said + "a holdout nearer 0.5 measures the uplift more tightly"
    return said + ("each target is compared with its own film's and wave's controls, and these "
                   "are not spread as the targets are: a holdout nearer 0.5 alone would not mend "
                   "it")


def block_warnings(targets: int, controls: float, strata: int, of: int = 0,
                   rows: int | None = None) -> dict[str, Any]:
    """A report block's warnings, as its keys: ``warning`` (``small_groups_warning``: few
    targets as few controls, Newcombe's being symmetric in its groups) and ``split_warning``
    (``lopsided_warning``: 10 or more in both, but far from an even split), each only when
    said: a group of fewer than 10 is warned of already, and is most often one wave's rounding
    (19 targets and 1 control at a holdout of 0.1), which a holdout nearer 0.5 would not mend.
    ``controls`` is the effective size over ``strata``, ``rows`` the control rows it weighs
    (default: ``controls``)."""
    if said := small_groups_warning(targets, controls, strata, of):
        return {"warning": said}
    lopsided = lopsided_warning(targets, controls if rows is None else rows,
                                controls if strata > 1 else None)
    return {"split_warning": lopsided} if lopsided else {}
