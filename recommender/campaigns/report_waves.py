"""Which waves of a plan a report counts: ``included_waves``, and where that number comes from.

The rule is ``report.py``'s (its module docstring, "Only the waves that were sent count"):
``sent_waves`` given, else a withdrawal's, else the most a next wave was planned after
(``next_wave_link``), else waves 1 to the last recorded sent, else all; a ``sent_waves`` past
the plan's waves, a withdrawal's or such a next wave's is refused. Split from ``report.py``
(at its line bound); ``report`` still exports both names.
"""

from __future__ import annotations

from typing import Any

from recommender.campaigns.store import CampaignStore
from recommender.campaigns.wave_sends import wave_send_times
from recommender.campaigns.withdraw import withdrawn_waves
from recommender.errors import InvalidParameterError


def next_wave_link(store: CampaignStore, plan_id: str) -> tuple[str, int] | None:
    """(next plan, its ``sent_waves``) of the next wave planned after ``plan_id`` with the
    largest ``sent_waves`` (not the latest planned: waves said sent stay sent), or None."""
    from recommender.campaigns.withdraw import next_wave_of

    with store.engine.connect() as conn:  # one withdrawn before any send re-plans nothing
        return next_wave_of(conn, plan_id)


def included_waves(store: CampaignStore, plan_id: str, summary: dict[str, Any],
                   max_wave: int, sent_waves: int | None, replan: bool = False
                   ) -> tuple[int, int, str]:
    """(sent waves N, the plan's waves, where N comes from) for a report; N beyond the plan's
    waves or below 1 is an ``InvalidParameterError``, and so is N past the sent waves of the
    next wave planned after most of them (``next_wave_link``; but for ``replan``: a next wave
    being planned after more sent waves measures them)."""
    planned = int((summary.get("parameters") or {}).get("waves") or 0) or max(max_wave, 1)
    gone = withdrawn_waves(plan_id, summary, sent_waves)  # ``campaign withdraw``
    if gone is not None and sent_waves is None:
        return gone, planned, f"withdrawn after {gone} sent wave{'s' if gone != 1 else ''}"
    if sent_waves is None:
        link = next_wave_link(store, plan_id)
        if link is not None and 1 <= link[1] <= planned:
            return link[1], planned, (f"the next wave {link[0]} was planned after {link[1]} "
                                      "sent wave" + ("s" if link[1] != 1 else ""))
        recorded = sorted(w for w in wave_send_times(store, plan_id) if 1 <= w <= planned)
        if recorded:  # ``campaign sent``: waves 1 to the last recorded (they go in order)
            last = recorded[-1]
            return last, planned, (
                f"recorded sends: wave{'s' if len(recorded) != 1 else ''} "
                f"{', '.join(map(str, recorded))} recorded sent of {planned} (campaign sent), "
                f"so waves 1-{last} count" if last > 1 else
                f"recorded sends: wave 1 recorded sent of {planned} (campaign sent), so wave 1 "
                "counts") + ("" if last == planned else
                             "; pass sent_waves to count later waves sent unrecorded")
        return planned, planned, (f"default: all {planned} wave{'s' if planned != 1 else ''} "
                                  "of the plan (pass sent_waves when later waves were not sent)")
    # the next wave's bound first: the narrower one (a 3-wave plan whose next wave was planned
    # after 1 sent wave refused 5 as "in [1, 3]", then 2 and 3 as "in [1, 1]")
    link = None if replan else next_wave_link(store, plan_id)
    if link is not None and link[1] <= planned and not 1 <= sent_waves <= link[1]:
        raise InvalidParameterError(
            f"sent_waves must be in [1, {link[1]}] for plan {plan_id}: its next wave {link[0]} "
            f"was planned after {link[1]} sent wave{'s' if link[1] != 1 else ''} and re-plans "
            f"the rest, so wave {link[1] + 1} was never sent from this plan (report {link[0]} "
            f"for the waves after), got {sent_waves}")
    if not 1 <= sent_waves <= planned:
        raise InvalidParameterError(
            f"sent_waves must be in [1, {planned}] (the waves of plan {plan_id}), got "
            f"{sent_waves}")
    return sent_waves, planned, "given"
