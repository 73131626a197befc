"""The report's warning that a block's intervals are approximate, its targets or controls few.

Newcombe's interval of a difference is symmetric in its two groups (swapping them negates it),
so few targets against many controls (a holdout near 0.99) leave it as approximate as few
controls against many targets: 4 targets at 50% against 396 controls at 1% hold the true
uplift in about 88% of draws (exact enumeration, tests/campaigns/test_report_few_targets.py),
where the report warned only of a small control group.
"""

from __future__ import annotations

#: below this many measured targets, or controls (effective, over strata), a block warns that
#: its intervals are approximate: with one to three controls, exact enumeration finds both
#: uplift intervals holding the truth in about 90-93% of draws at worst
#: (tests/campaigns/test_campaign_report.py), and the same of as few targets
FEW_IN_GROUP = 10

#: what every small-groups warning says after its counts
APPROXIMATE = ("the 95% intervals are approximate with so few, and can hold the true uplift "
               "less often than 95% of the time")


class SmallGroupsWarning(str):
    """A block's small-groups warning: its text (what ``--json`` and the HTTP report carry, as
    a plain string) with which groups it finds few as data, ``few``: (targets, controls), so
    that ``campaign report``'s text says blocks warned alike together without reading the
    words back."""

    few: tuple[bool, bool]

    def __new__(cls, text: str, few: tuple[bool, bool]) -> SmallGroupsWarning:
        said = super().__new__(cls, text)
        said.few = few
        return said

    def __getnewargs__(self) -> tuple[str, tuple[bool, bool]]:  # type: ignore[override]
        return str(self), self.few  # copied and pickled with its kind


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
                              (targets < FEW_IN_GROUP, controls < FEW_IN_GROUP))


def small_groups_kind(said: str) -> tuple[bool, bool]:
    """Which groups ``small_groups_warning``'s ``said`` finds few: (targets, controls), as it
    recorded them; read from its counts (the part before its parenthesis) only for a warning
    read back from JSON, a plain string."""
    if isinstance(said, SmallGroupsWarning):
        return said.few
    counts = said.split(" (", 1)[0]
    return "target" in counts, "control" in counts
