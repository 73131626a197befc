"""The next wave: re-plan each film's remaining budget on the refreshed model.

``plan_next_wave(model, store, plan_id, sent_waves)`` takes a stored plan whose first
``sent_waves`` waves went out (1 to the plan's waves; more is an ``InvalidParameterError``)
and plans what is left:

- each film's budget becomes its budget minus the target rows of the sent waves (a budget
  counts contacts; the sent waves' controls did not spend it, and the new plan draws its own
  control group on top of the remaining budget);
- a (film, user) pair already contacted, or held out as a control in a sent wave, anywhere in
  the chain of plans (``campaign_plan_links``), is not planned again for that film (controls
  stay uncontacted so the earlier waves stay measurable); users who converted are out through
  the model (their events are seen interactions of the refreshed model);
- users whose target contacts over the chain reached the cap are out; with a cap above 1 a
  partly contacted user keeps only the contacts left under the cap (their best ``p`` first);
- scores and probabilities come from ``model``, which the caller refreshes with the store's
  events (``refreshed_model``: the serving overlay, fold-in included);
- a new control group is drawn with ``seed``, and the new plan is stored with a link to the
  previous one.

Excluded pairs are planned as if seen, so the ranks (and so ``p``) of the other candidates
are taken among the pairs still allowed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
import sqlalchemy as sa

from recommender.campaigns.events import iter_events, max_sequence, plan_links
from recommender.campaigns.plan import PLAN_SCHEMA, TARGET, Plan, plan_slate
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore
from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.serving.overlay import Overlay


def refreshed_model(model: Model, store: CampaignStore) -> Model:
    """``model`` with the store's events after its training (``meta["events"]``) applied:
    new interactions seen, taste vectors folded in, new users added."""
    since = int((model.meta.get("events") or {}).get("through_seq", 0))
    overlay = Overlay(model, since)
    for part in iter_events(store, after=since):
        overlay.apply(part.user_id, part.film_id, part.weight, part.last_seq)
    return overlay.model()


def chain(store: CampaignStore, plan_id: str, sent_waves: int) -> list[tuple[str, int]]:
    """(plan, waves sent) from ``plan_id`` back to the first plan of its campaign."""
    out = [(plan_id, sent_waves)]
    with store.engine.connect() as conn:
        while True:
            link = conn.execute(sa.select(plan_links.c.previous_plan_id, plan_links.c.sent_waves)
                                .where(plan_links.c.plan_id == out[-1][0])).first()
            if link is None or len(out) > 10_000:
                return out
            out.append((str(link[0]), int(link[1])))


def _sent_rows(store: CampaignStore, links: list[tuple[str, int]]) -> pa.Table:
    parts = []
    for pid, sent in links:
        for t in store.iter_rows(pid):
            parts.append(t.filter(pc.less_equal(t.column("wave"), sent)))
    return pa.concat_tables(parts) if parts else PLAN_SCHEMA.empty_table()


def plan_next_wave(model: Model, store: CampaignStore, plan_id: str, sent_waves: int = 1,
                   waves: int | None = None, holdout: float | None = None, seed: int = 1,
                   progress: bool | None = None) -> Plan:
    """Plan and store the next wave of ``plan_id`` (see the module docstring)."""
    summary = store.summary(plan_id)
    params = summary.get("parameters", {})
    if sent_waves < 1:
        raise InvalidParameterError(f"sent_waves must be >= 1, got {sent_waves}")
    planned_waves = int(params.get("waves", 1))
    if sent_waves > planned_waves:
        raise InvalidParameterError(
            f"sent_waves must be at most the {planned_waves} wave"
            f"{'s' if planned_waves != 1 else ''} of plan {plan_id}, got {sent_waves}")
    cap = int(params.get("cap", 1))
    holdout = float(params.get("holdout", 0.1)) if holdout is None else holdout
    waves = max(1, planned_waves - sent_waves) if waves is None else waves
    sent = _sent_rows(store, chain(store, plan_id, sent_waves))
    film = np.asarray(sent.column("film_id").to_numpy(zero_copy_only=False), str)
    user = np.asarray(sent.column("user_id").to_numpy(zero_copy_only=False), str)
    is_target = np.asarray(sent.column("group").to_numpy(zero_copy_only=False), str) == TARGET
    mine = _rows_of(store, plan_id, sent_waves)
    slate = []
    for f in summary.get("films", []):  # targets of the sent waves spend the budget
        used = int(((mine[0] == f["film_id"]) & mine[1] & mine[2]).sum())
        slate.append(SlateFilm(f["film_id"], max(0, int(f["budget"]) - used),
                               float(f.get("value", 1.0))))
    contacts_u, contacts_n = np.unique(user[is_target], return_counts=True)
    at_cap = contacts_u[contacts_n >= cap].tolist()
    planning = _with_pairs_seen(model, film, user)
    plan = plan_slate(planning, slate, cap=cap, holdout=holdout, waves=waves, seed=seed,
                      exclude=at_cap, progress=progress)
    rows, trimmed = _trim_to_cap(plan.rows, contacts_u, contacts_n, cap)
    seq = int((model.meta.get("overlay") or {}).get("seq", 0)) or max_sequence(store)
    plan.summary.update(previous_plan_id=plan_id, sent_waves=sent_waves, events_seq=seq,
                        excluded={"pairs_contacted": int(is_target.sum()),
                                  "pairs_held_out": int((~is_target).sum()),
                                  "users_at_cap": len(at_cap),
                                  "rows_trimmed_for_cap": trimmed})
    plan = Plan(plan.plan_id, rows, plan.summary)
    store.save_plan(plan.plan_id, plan.summary, plan.rows)
    with store.engine.begin() as conn:
        conn.execute(plan_links.insert().values(plan_id=plan.plan_id, previous_plan_id=plan_id,
                                                sent_waves=sent_waves, events_seq=seq))
    return plan


def _rows_of(store: CampaignStore, plan_id: str, sent_waves: int
             ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(film id, is in a sent wave, is a target) of every row of ``plan_id``."""
    parts = list(store.iter_rows(plan_id))
    t = pa.concat_tables(parts) if parts else PLAN_SCHEMA.empty_table()
    film = np.asarray(t.column("film_id").to_numpy(zero_copy_only=False), str)
    sent = np.asarray(t.column("wave").to_numpy(), np.int64) <= sent_waves
    target = np.asarray(t.column("group").to_numpy(zero_copy_only=False), str) == TARGET
    return film, sent, target


def _with_pairs_seen(model: Model, film_ids: np.ndarray[Any, Any],
                     user_ids: np.ndarray[Any, Any]) -> Model:
    """``model`` with the given (film, user) pairs added to its seen interactions."""
    f = model.films.to_index(pa.array(film_ids.tolist(), pa.string()), strict=False)
    u = model.users.to_index(pa.array(user_ids.tolist(), pa.string()), strict=False)
    ok = (f >= 0) & (u >= 0)
    if not ok.any():
        return model
    extra = sp.csr_matrix((np.ones(int(ok.sum()), np.float32), (u[ok], f[ok])),
                          shape=model.seen.shape)
    seen = (sp.csr_matrix(model.seen, dtype=np.float32) + extra).tocsr()
    seen.data[:] = 1.0
    seen.sort_indices()
    return replace(model, seen=seen, seen_by_film=seen.T.tocsr())


def _trim_to_cap(rows: pa.Table, contacted: np.ndarray[Any, Any],
                 counts: np.ndarray[Any, Any], cap: int) -> tuple[pa.Table, int]:
    """Drop target rows past each user's remaining contacts (``cap`` minus ``counts`` for the
    users in ``contacted``, sorted), lowest ``p`` first; returns (rows, rows dropped)."""
    if len(contacted) == 0 or rows.num_rows == 0:
        return rows, 0
    user = np.asarray(rows.column("user_id").to_numpy(zero_copy_only=False), str)
    target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == TARGET
    p = np.asarray(rows.column("p").to_numpy(), np.float64)
    pos = np.minimum(np.searchsorted(contacted, user), len(contacted) - 1)
    left = cap - np.where(contacted[pos] == user, counts[pos], 0).astype(np.int64)
    order = np.lexsort((-p, user))
    first = np.r_[0, np.flatnonzero(user[order][1:] != user[order][:-1]) + 1]
    cum = np.cumsum(target[order].astype(np.int64))
    starts = np.repeat(first, np.diff(np.r_[first, len(order)]))
    run = cum - np.r_[0, cum][starts]  # targets so far within the user's rows (inclusive)
    keep = np.ones(len(order), bool)
    keep[order] = ~(target[order] & (run > left[order]))
    return rows.filter(pa.array(keep)), int((~keep).sum())
