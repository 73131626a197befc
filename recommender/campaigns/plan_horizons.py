"""Stored plans' calibration horizons, read for a page of plans in one query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from recommender.campaigns.store import plans
from recommender.campaigns.summary_fields import summary_object

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore

#: plans per query: an IN list well under SQLite's and PostgreSQL's parameter limits
CHUNK = 500


def plan_horizons(store: CampaignStore, plan_ids: Sequence[str]
                  ) -> dict[str, dict[str, Any] | None]:
    """Each of ``plan_ids``'s summary's ``horizon`` (None: a summary stored before it recorded
    one), by plan id; a plan no longer stored is left out. ``campaign list``'s text says from
    it why a p has no span in days: ``CampaignStore.summary`` per plan was 2 statements a
    plan (2,000 for ``--limit 1000``)."""
    out: dict[str, dict[str, Any] | None] = {}
    ids = list(dict.fromkeys(plan_ids))
    with store.engine.connect() as conn:
        for start in range(0, len(ids), CHUNK):
            for plan_id, text in conn.execute(sa.select(plans.c.plan_id, plans.c.summary).where(
                    plans.c.plan_id.in_(ids[start:start + CHUNK]))):
                horizon = (summary_object(text) or {}).get("horizon")  # damaged: none
                out[str(plan_id)] = horizon if isinstance(horizon, dict) else None
    return out
