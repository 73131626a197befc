"""The waves of a stored plan that may still go out from it, and its rows for download.

A next wave planned after ``k`` sent waves of a plan re-plans its waves ``k+1``.. (their users
may be the next wave's controls), and a withdrawal after ``k`` sent waves says the rest never
go out (their users are free for other campaigns): sent from the old plan's file, those waves
contacted users another plan holds out or gives back. ``sendable_waves`` says which waves are
left and why (the rule ``wave_sends`` refuses a send by: the next wave of most sent waves, and
the withdrawal); ``sendable_rows`` streams only their rows, as ``GET
/campaigns/{plan_id}/plan.csv`` and ``campaign show --csv`` write them. The rows of the left
out waves stay in the store (reports and withdrawals read them there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from recommender.campaigns.store import CampaignStore


def sendable_waves(store: CampaignStore, plan_id: str,
                   summary: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"plan_waves", "last_wave", "replaced_by", "replaced_after", "withdrawn_after"}``:
    waves 1..``last_wave`` of ``plan_id`` may go out from it; ``replaced_by`` is the next wave
    of most sent waves (``replaced_after`` of them; ties by plan id), None when none was
    planned; ``withdrawn_after`` the waves a withdrawal says were sent, None when it was not
    withdrawn. ``UnknownPlanError`` when there is no such plan; ``summary``: the stored one,
    when the caller has read it."""
    from recommender.campaigns.withdraw import next_wave_of

    if summary is None:
        summary = store.summary(plan_id)
    planned = int((summary.get("parameters") or {}).get("waves") or 1)
    with store.engine.connect() as conn:  # one withdrawn before any send re-plans nothing
        row = next_wave_of(conn, plan_id)
    gone = summary.get("withdrawn")
    withdrawn_after = None if gone is None else int(gone["sent_waves"])
    last = planned
    if row is not None:
        last = min(last, int(row[1]))
    if withdrawn_after is not None:
        last = min(last, withdrawn_after)
    return {"plan_waves": planned, "last_wave": last,
            "replaced_by": None if row is None else str(row[0]),
            "replaced_after": None if row is None else int(row[1]),
            "withdrawn_after": withdrawn_after}


def sendable_rows(store: CampaignStore, plan_id: str
                  ) -> tuple[Iterator[pa.Table], dict[str, Any]]:
    """The rows of ``plan_id``'s waves that may still go out (``sendable_waves``), streamed as
    ``CampaignStore.iter_rows`` reads them, and what ``sendable_waves`` said;
    ``UnknownPlanError`` (at once) when there is no such plan."""
    summary = store.summary(plan_id)
    info = sendable_waves(store, plan_id, summary)
    tables = store.iter_rows(plan_id)
    if info["last_wave"] >= info["plan_waves"]:
        return tables, info
    last = info["last_wave"]
    return (t.filter(pc.less_equal(t.column("wave"), pa.scalar(last, pa.int16())))
            for t in tables), info


def sendable_count(store: CampaignStore, plan_id: str, info: dict[str, Any],
                   whole: int | None) -> int | None:
    """The rows ``sendable_rows`` streams of ``plan_id`` (``info``: ``sendable_waves``'s
    answer): ``whole`` (the plan's row count, from its summary) when no wave is left out, else
    the store's count of the waves' rows (the export log counted every row of the plan)."""
    if info["last_wave"] >= info["plan_waves"]:
        return whole
    from recommender.campaigns.store import plan_rows

    c = plan_rows.c
    with store.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(plan_rows).where(
            c.plan_id == plan_id, c.wave <= info["last_wave"])).scalar_one())


def left_out_text(plan_id: str, info: dict[str, Any]) -> str:
    """A sentence naming the waves ``sendable_rows`` left out of ``plan_id``'s rows and why;
    empty when none was."""
    last, planned = info["last_wave"], info["plan_waves"]
    if last >= planned:
        return ""
    waves = f"wave {planned}" if last + 1 == planned else f"waves {last + 1}-{planned}"
    why = []
    if info["replaced_by"] is not None and info["replaced_after"] == last:
        why.append(f"its next wave {info['replaced_by']} was planned after "
                   f"{info['replaced_after']} sent wave(s) and re-plans them (send that "
                   "plan's rows instead)")
    if info["withdrawn_after"] is not None and info["withdrawn_after"] == last:
        why.append(f"it was withdrawn after {info['withdrawn_after']} sent wave(s)")
    return (f"{waves} of plan {plan_id} left out (never sent from it): "
            + "; ".join(why))


def waves_header(last: int, planned: int) -> str:
    """The waves a plan download holds, as its ``X-Plan-Waves`` header says them: ``1-2 of
    3``, ``none of 3`` (a plan withdrawn before any wave went out)."""
    return f"none of {planned}" if last < 1 else f"1-{last} of {planned}"
