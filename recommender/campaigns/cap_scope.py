"""The cap's scope: one plan and its chain (``plan``, the default), or every live plan of the store.

``plan`` (as before this option): a user's cap counts the rows of the plan being made, and for
a next wave the sent waves of its own chain; two plans stored side by side may each select the
same user up to their own cap. ``store``: each user's films already selected in the store's
other live plans count against the cap too, so the new plan gives each user at most ``cap``
minus those (``films_elsewhere``), passed to the exact allocation as per-user caps
(``allocation.allocate``: the plan stays optimal under the reduced caps, no filter after the
solve).

Which rows count (``live_rows``): every row, target or control, of every wave, sent or not
yet sent, of each other plan stored, but for the waves a withdrawn plan did not send
(``withdraw.withdrawn_filter``: a plan withdrawn after N sent waves counts its waves 1..N, a
plan withdrawn with ``--sent-waves 0`` counts nothing) and the waves a next wave re-planned
(``withdraw.replanned_filter``: a plan with a next wave planned after N sent waves counts its
waves 1..N, the next wave's rows count instead; never sent from the plan, its sends of them
refused). Down a chain each plan keeps the waves up to its next wave's cut; a next wave
withdrawn with ``--sent-waves 0`` re-plans nothing (the plan is its own campaign again, its
later waves count), one withdrawn after some waves counts those, and the plan it re-planned
stays cut (``withdraw.next_wave_of``'s rule, the sends' and the download's). A user counts
once per film however many of those plans select them for it. A next wave skips its own chain
(its sent waves count as they always did) and the other next waves of its chain's plans
(``next_wave.alternatives``: only one of them is sent). Two next waves of one plan outside
the planning chain both count, though one of them is sent: there the count errs on the side
of fewer contacts, never more.

The counts are read before the plan is made, so the store checks again as it takes the plan,
under the writers' lock (``refuse_over_cap``, from ``controls.refuse_held_out``): a plan stored
meanwhile that left a user of this one over the cap refuses it (``PlansClashError``), and the
CLI and the service plan again, counting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from numpy.typing import NDArray

from recommender.campaigns.slate import PLAN_SCOPE, STORE_SCOPE, check_cap_scope
from recommender.campaigns.store import CampaignStore, plan_rows
from recommender.campaigns.store_tables import plans as stored_plans
from recommender.campaigns.withdraw import replanned_filter, withdrawn_filter
from recommender.errors import InvalidParameterError, PlansClashError
from recommender.model.model import Model

USERS_PER_QUERY = 500  # user ids in one IN list (the store-time check)
SCOPE_NOTES = {
    PLAN_SCOPE: "the cap counts this plan's rows (a next wave: and its chain's sent waves); "
                "other plans in the store may select the same users up to their own caps",
    STORE_SCOPE: "the cap counts, for each user, the films the store's other live plans "
                 "select them for (targets or controls, every wave, sent or not; a withdrawn "
                 "plan's sent waves only; a plan a next wave re-planned: the waves sent "
                 "before it): users_limited had part of their cap left, users_excluded none"}


def live_rows(skip: Sequence[str] = ()) -> sa.ColumnElement[bool]:
    """The condition on ``plan_rows`` of the rows that count against a store-scope cap (module
    docstring), but for the plans in ``skip``."""
    return live_rows_of(plan_rows, skip)


def live_rows_of(rows: sa.Table | Any, skip: Sequence[str] = ()) -> sa.ColumnElement[bool]:
    """``live_rows`` on plan rows ``rows`` (the table or an alias): conditions on the row's
    plan and wave, both columns of the count index, each one ``NOT EXISTS`` by plan."""
    kept = sa.and_(withdrawn_filter(rows), replanned_filter(rows))
    return sa.and_(kept, rows.c.plan_id.not_in(list(skip))) if skip else kept


def films_elsewhere(model: Model, store: CampaignStore, skip: Sequence[str] = ()
                    ) -> tuple[NDArray[np.int64], int]:
    """(each model user's count of distinct films the store's live plans but ``skip`` select
    them for, the number of those plans): one grouped query; users the model does not know
    are left out (they cannot be planned)."""
    c = plan_rows.c
    where = live_rows(skip)
    # grouped by user off migration 11's index (user, film, plan, wave), every column read
    # there in order; the plans: those with a live row, each found through the rows by plan
    # (timed beside ~1M stored rows, with and without that index and in either form:
    # benchmarks/results/store_counts.md, benchmarks/bench_store_counts.py)
    r = plan_rows.alias("r")
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(c.user_id, sa.func.count(sa.distinct(c.film_id)))
                             .where(where).group_by(c.user_id)).all()
        plans = int(conn.execute(sa.select(sa.func.count()).select_from(stored_plans).where(
            sa.exists().where(r.c.plan_id == stored_plans.c.plan_id,
                              live_rows_of(r, skip)))).scalar_one())
    used = np.zeros(len(model.users), np.int64)
    if found:
        users, counts = zip(*found, strict=True)
        idx = np.asarray(model.users.to_index(pa.array(users, pa.string()), strict=False),
                         np.int64)
        n = np.asarray(counts, np.int64)
        ok = idx >= 0
        used[idx[ok]] = n[ok]  # one row per stored id, and ids map to distinct users
    return used, plans


def scope_caps(model: Model, store: CampaignStore | None, cap: int, scope: str,
               caps: NDArray[np.int64] | None = None, skip: Sequence[str] = ()
               ) -> tuple[NDArray[np.int64] | None, dict[str, Any]]:
    """The per-user caps a plan of ``scope`` solves under (``caps``: those before the store's
    other plans count, one per model user, default ``cap`` each; returned as they are for
    ``PLAN_SCOPE``) and the summary's ``cap_scope`` (``scope``, ``plans`` counted,
    ``users_limited``: users left part of their cap by them, ``users_excluded``: none of it,
    and a note)."""
    check_cap_scope(scope)
    info: dict[str, Any] = {"scope": scope, "plans": 0, "users_limited": 0,
                            "users_excluded": 0, "note": SCOPE_NOTES[scope]}
    if scope == PLAN_SCOPE:
        return caps, info
    if store is None:
        raise InvalidParameterError(f"cap scope {STORE_SCOPE!r} counts the campaign store's "
                                    "other plans: it needs a store (--store or "
                                    "RECOMMENDER_STORE)")
    before = np.full(len(model.users), cap, np.int64) if caps is None \
        else np.minimum(np.asarray(caps, np.int64), cap)
    used, plans = films_elsewhere(model, store, skip)
    after = np.maximum(before - used, 0)
    info.update(plans=plans, users_limited=int(((after > 0) & (after < before)).sum()),
                users_excluded=int(((after == 0) & (before > 0)).sum()))
    return after, info


def refuse_over_cap(conn: sa.Connection, rows: pa.Table, summary: dict[str, Any],
                    skip: Sequence[str] = ()) -> None:
    """In a plan's transaction, after the plans' lock: refuse a plan of store scope
    (``summary``'s ``parameters.cap_scope``) when one of its users is selected for more films
    than its cap by its ``rows`` and the store's live plans but ``skip`` (its chain and their
    alternatives) together, naming the user count (``PlansClashError``: a plan stored while it
    was being made; planning again counts that plan). Plans of plan scope are not checked."""
    params = summary.get("parameters") or {}
    if params.get("cap_scope") != STORE_SCOPE or rows.num_rows == 0:
        return
    cap = int(params.get("cap", 1))
    mine = pc.value_counts(rows.column("user_id").combine_chunks())  # a user's films here
    mine_u, mine_n = mine.field("values"), np.asarray(mine.field("counts"), np.int64)
    c = plan_rows.c
    where = live_rows(skip)
    over = 0
    for start in range(0, len(mine_u), USERS_PER_QUERY):
        part = mine_u[start:start + USERS_PER_QUERY]
        found = conn.execute(sa.select(c.user_id, sa.func.count(sa.distinct(c.film_id)))
                             .where(where, c.user_id.in_(part.to_pylist()))
                             .group_by(c.user_id)).all()
        if found:
            users, counts = zip(*found, strict=True)
            at = np.asarray(pc.index_in(pa.array(users, pa.string()), value_set=part)
                            .fill_null(-1), np.int64)
            ok = at >= 0
            here = mine_n[start:start + USERS_PER_QUERY][at[ok]]
            over += int((np.asarray(counts, np.int64)[ok] + here > cap).sum())
    if over:
        raise PlansClashError(
            f"the campaign store did not store this plan: plans stored while it was being "
            f"made select {over:,} of its users, so that they would be selected for more than "
            f"the cap of {cap} film{'s' if cap != 1 else ''} across the store (cap scope "
            f"{STORE_SCOPE!r}); nothing was stored, and planning again counts them")
