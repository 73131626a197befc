"""A campaign simulator with planted truth: plan, send, responses, report, next wave.

On the synthetic demo data (``recommender.io.demo``: every user has a planted taste group
favouring 2-3 genres), the truth is each user's probability of buying each slate film within
the window, without a contact (``p0``) and with one (``p1``):

    fan = the film has a genre of the user's group (demo.json)
    p0 = BASE + FAN_BASE x fan,    p1 = p0 + LIFT + FAN_LIFT x fan

and 0 for a film the user already has (training interactions or an earlier event). Sending a
wave draws each target's purchase from ``p1``, each control's from ``p0``, and everyone else's
organic purchases of the slate's films from ``p0``; purchases become events in the store.
Newcomers (users the model has never seen) arrive with a few purchases of their group's
films. The report's estimand for a group of rows is, in each (film, wave) that holds both
targets and controls, ``mean p1 over its targets - mean p0 over its controls``, averaged with
the strata's targets as weights (``planted_uplift``: what the report's stratified difference
of conversion rates estimates without bias, given the random control draw; the pooled
difference over all the rows is not, when the films' control shares differ);
``expected_conversions`` scores any plan under the truth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.campaigns.events import EventBatch, record_events
from recommender.campaigns.next_wave import plan_next_wave, refreshed_model
from recommender.campaigns.plan import plan_slate
from recommender.campaigns.report import DAY, campaign_report, compute_report, plan_start
from recommender.campaigns.slate import SlateFilm
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.wave_sends import wave_send_times
from recommender.io import demo
from recommender.model.model import Model

BASE, FAN_BASE, LIFT, FAN_LIFT = 0.02, 0.06, 0.03, 0.20
WINDOW_DAYS = 14.0
#: the seconds after a plan's start that ``stored_wave_responses`` dates its responses in: 6
#: hours, inside what ``events import`` takes at once (``FUTURE_SLACK``, a day past its clock)
#: and what ``POST /events``' published schema does (its maximum is rounded down to the hour
#: and may be 12 hours old: at least 11 hours ahead; a day ahead was refused with a 422)
RESPONSE_SPAN = 6 * 3600


@dataclass
class Truth:
    """Planted probabilities for ``user_ids`` x ``film_ids`` (the slate's films)."""

    user_ids: NDArray[np.str_]
    film_ids: list[str]
    p0: NDArray[np.float64]
    p1: NDArray[np.float64]
    bought: NDArray[np.bool_]
    newcomer_events: EventBatch

    def index(self, users: NDArray[np.str_], films: NDArray[np.str_]
              ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        order = np.argsort(self.user_ids)
        u = order[np.searchsorted(self.user_ids, users, sorter=order)]
        f = np.searchsorted(np.asarray(self.film_ids), films,
                            sorter=np.argsort(self.film_ids))
        return u, np.argsort(self.film_ids)[f]


def demo_truth(folder: str | Path, model: Model, films: list[str], newcomers: int = 0,
               seed: int = 0) -> Truth:
    """The planted truth of a demo folder for the slate ``films`` (see the module
    docstring), with ``newcomers`` new users who each bought 5 films of their group."""
    rng = np.random.default_rng(seed)
    groups = demo.read_groups(folder)
    fav = [set(g["genres"]) for g in demo.read_manifest(folder)["groups"]]
    genres = [set(g.split("|")) for g in model.catalog.genres.tolist()]
    fans = np.array([[bool(genres[j] & f) for j in range(model.n_films)] for f in fav])
    new_ids = np.array([f"newcomer-{i:04d}" for i in range(newcomers)], dtype=object)
    new_groups = rng.integers(len(fav), size=newcomers)
    users = np.r_[model.users.ids.astype(object), new_ids].astype(str)
    group = np.r_[np.array([groups[u] for u in model.users.ids.tolist()]), new_groups]
    f_idx = model.films.to_index(films)
    fan = fans[group][:, f_idx]
    p0 = BASE + FAN_BASE * fan
    p1 = p0 + LIFT + FAN_LIFT * fan
    bought = np.zeros(fan.shape, bool)
    bought[:model.n_users] = model.seen[:, f_idx].toarray() > 0
    # newcomers' purchases: 5 films of their group, never a slate film
    pool = [np.setdiff1d(np.flatnonzero(fans[g]), f_idx) for g in range(len(fav))]
    ev_u, ev_f = [], []
    for i, g in enumerate(new_groups.tolist()):  # one draw per newcomer (a small cohort)
        picks = rng.choice(pool[g], size=min(5, len(pool[g])), replace=False)
        ev_u += [str(new_ids[i])] * len(picks)
        ev_f += model.films.ids[picks].tolist()
    batch = EventBatch([f"newcomer-event-{seed}-{k}" for k in range(len(ev_u))], ev_u, ev_f,
                       [0] * len(ev_u), [1.0] * len(ev_u))
    return Truth(users, list(films), p0, p1, bought, batch)


def row_probabilities(truth: Truth, rows: pa.Table, waves: int = 1
                      ) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """(each row's planted probability of buying, its user's index in ``truth``): targets
    from p1, controls from p0, 0 for a film already bought and for a wave past ``waves``."""
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
    user = np.asarray(rows.column("user_id").to_numpy(zero_copy_only=False), str)
    target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == "target"
    sent = np.asarray(rows.column("wave").to_numpy(), np.int64) <= waves
    u, f = truth.index(user, film)
    return np.where(target, truth.p1[u, f], truth.p0[u, f]) * ~truth.bought[u, f] * sent, u


def respond(truth: Truth, rows: pa.Table, rng: np.random.Generator, waves: int = 1
            ) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
    """Draw the purchases of ``rows`` in waves ``<= waves`` (targets from p1, controls from p0;
    already bought: never). Returns (converted per row, the row's planted probability)."""
    p, _ = row_probabilities(truth, rows, waves)
    return rng.random(len(p)) < p, p


def expected_conversions(truth: Truth, rows: pa.Table) -> float:
    """Conversions the plan's targets make under the truth, in expectation (users)."""
    target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == "target"
    user = np.asarray(rows.column("user_id").to_numpy(zero_copy_only=False), str)[target]
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)[target]
    u, f = truth.index(user, film)
    return float((truth.p1[u, f] * ~truth.bought[u, f]).sum())


def planted_uplift(p: NDArray[np.float64], target: NDArray[np.bool_],
                   strata: NDArray[Any] | None = None) -> float:
    """The report's estimand for rows whose planted probability is ``p`` (p1 for a target, p0
    for a control) in ``strata`` (one label per row, such as its film and wave; None: one
    stratum): in each stratum with both targets and controls, mean p1 over its targets less
    mean p0 over its controls, averaged with the strata's targets as weights, as the report
    compares each film's wave with its own controls (0 when no stratum has both). The pooled
    ``mean p1 of the targets - mean p0 of the controls`` it replaces is not what the report
    estimates when the films' control shares differ (1 control of 5 users at a budget of 4,
    10 of 100 at 90)."""
    labels = np.zeros(len(p), np.int64) if strata is None else \
        np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
    gaps, weights = [], []
    for s in np.unique(labels).tolist():
        t, c = target & (labels == s), ~target & (labels == s)
        if t.any() and c.any():
            gaps.append(float(p[t].mean() - p[c].mean()))
            weights.append(int(t.sum()))
    return float(np.average(gaps, weights=weights)) if weights else 0.0


def _strata(rows: pa.Table) -> NDArray[np.str_]:
    """A (film, wave) label per plan row: the report's strata."""
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)
    wave = np.asarray(rows.column("wave").to_numpy(), np.int64).astype(str)
    return np.char.add(np.char.add(film, "\x00"), wave)


def send_wave(truth: Truth, store: CampaignStore, rows: pa.Table, start: int, wave: int,
              rng: np.random.Generator, tag: str) -> dict[str, Any]:
    """Send wave ``wave`` of ``rows``: draw purchases (plan rows and organic), store them as
    events in ``[start, start + window)`` and mark them bought. Returns the planted estimand
    of the sent rows and the number of events."""
    wave_rows = rows.filter(pc.equal(rows.column("wave"), wave))
    conv, p = respond(truth, wave_rows, rng, waves=wave)
    user = np.asarray(wave_rows.column("user_id").to_numpy(zero_copy_only=False), str)
    film = np.asarray(wave_rows.column("film_id").to_numpy(zero_copy_only=False), str)
    target = np.asarray(wave_rows.column("group").to_numpy(zero_copy_only=False), str) == \
        "target"
    u, f = truth.index(user, film)
    planned = np.zeros(truth.bought.shape, bool)
    planned[u, f] = True
    organic = (rng.random(truth.p0.shape) < truth.p0) & ~truth.bought & ~planned
    ou, of = np.nonzero(organic)
    all_u = np.r_[user[conv], truth.user_ids[ou]]
    all_f = np.r_[film[conv], np.asarray(truth.film_ids)[of]]
    truth.bought[u[conv], f[conv]] = True
    truth.bought[ou, of] = True
    ts = start + rng.integers(0, int(WINDOW_DAYS * DAY), size=len(all_u))
    record_events(store, EventBatch([f"{tag}-{k}" for k in range(len(all_u))],
                                    all_u.tolist(), all_f.tolist(), ts.tolist(),
                                    [1.0] * len(all_u)))
    return {"events": len(all_u),
            "planted_uplift": planted_uplift(p, target, _strata(wave_rows)),
            "target_conversions": int((conv & target).sum()),
            "control_conversions": int((conv & ~target).sum())}


def stored_wave_responses(folder: str | Path, model: Model, store: CampaignStore,
                          plan_id: str, wave: int, seed: int = 0) -> dict[str, Any]:
    """The responses of wave ``wave`` of the stored plan ``plan_id``, drawn from the demo
    folder's planted truth (targets from p1, controls from p0; a film the user has, in the
    model or in an event of the store but the responses drawn for this wave or a later one, is
    never bought again), dated in the 6 hours after the wave's recorded send, else the
    plan's start (``RESPONSE_SPAN``; the same file whenever it is drawn): ``{"events":
    {event_id, user_id, film_id, timestamp}, the conversions and the planted uplift}``.
    Only the plan's rows respond (no organic purchases of others)."""
    from recommender.campaigns.events import read_events
    from recommender.campaigns.plan import PLAN_SCHEMA
    from recommender.campaigns.summary_fields import summary_films
    from recommender.errors import InvalidParameterError

    summary = store.summary(plan_id)
    films = [f["film_id"] for f in summary_films(summary, plan_id)]
    rows = pa.concat_tables([PLAN_SCHEMA.empty_table(), *store.iter_rows(plan_id)])
    waves = int(summary.get("parameters", {}).get("waves") or 0)  # planned, rows or not
    if not 1 <= wave <= waves:
        raise InvalidParameterError(f"plan {plan_id} has waves 1 to {waves}, not wave {wave}")
    gone = summary.get("withdrawn")  # ``campaign withdraw``: its later waves never go out
    if gone is not None and wave > int(gone["sent_waves"]):
        sent = int(gone["sent_waves"])
        raise InvalidParameterError(
            f"plan {plan_id} was withdrawn ({gone['at']}) after "
            + ("no wave was sent" if sent == 0 else f"wave{'s 1 to' if sent > 1 else ''} "
               f"{sent} {'were' if sent > 1 else 'was'} sent")
            + f": wave {wave} never goes out, so it has no responses")
    users = rows.column("user_id").unique()
    new = np.asarray(users.to_pylist(), object)[
        np.asarray(model.users.to_index(users, strict=False)) < 0]
    if len(new) and summary.get("model_version") == model.version:
        # a plan made with the store folds in its events' users new to the model: the demo
        # folder plants no taste group for them ("simulate with the model it was planned
        # on" was said to the one who had)
        raise InvalidParameterError(
            f"plan {plan_id} selects {len(new):,} user{'s' if len(new) != 1 else ''} the "
            f"model was not trained on (first: {str(new[0])!r}), folded in from the store's "
            "events when it was planned: the demo folder plants no taste group for them, so "
            "their responses cannot be drawn")
    if len(new) or (model.films.to_index(films, strict=False) < 0).any():
        raise InvalidParameterError(f"plan {plan_id} names users or films the model does not "
                                    "know: simulate with the model it was planned on")
    groups = demo.read_groups(folder)
    demo_films = {line.split(",", 1)[0] for line in (Path(folder) / demo.FILMS_FILE).read_text(
        encoding="utf-8").splitlines()[1:]}
    if any(u not in groups for u in model.users.ids.tolist()) or set(films) - demo_films:
        raise InvalidParameterError(f"{folder} is not the demo folder model {model.version} "
                                    "was trained on: its taste groups or films do not cover "
                                    "the model's users and the plan's films")
    truth = demo_truth(folder, model, films, seed=seed)
    seen = read_events(store, films=films)  # bought since the model was trained
    # but not this wave's own responses, nor a later wave's, once imported: the wave's file
    # drawn again read them as bought, and held none of them (an empty file)
    known = (model.users.to_index(seen.user_id.tolist(), strict=False) >= 0) & \
        ~np.isin(seen.seq, _drawn_seqs(store, plan_id, range(wave, waves + 1)))
    if known.any():
        u, f = truth.index(seen.user_id[known], seen.film_id[known])
        truth.bought[u, f] = True
    rows = rows.filter(pc.equal(rows.column("wave"), wave))
    conv, p = respond(truth, rows, np.random.default_rng([seed, wave]), waves=wave)
    target = np.asarray(rows.column("group").to_numpy(zero_copy_only=False), str) == "target"
    user = np.asarray(rows.column("user_id").to_numpy(zero_copy_only=False), str)[conv]
    film = np.asarray(rows.column("film_id").to_numpy(zero_copy_only=False), str)[conv]
    # dated in the 6 hours after the wave's start, from stored times alone: spread up to
    # the clock (``now - start``), two runs within 14 days of the start dated the same
    # event_ids apart, and importing the second file was refused as a conflict. The wave's
    # recorded send (``campaign sent``) where there is one: the report counts the wave from
    # there, and responses dated from the plan's start fell before it (none counted)
    start = wave_send_times(store, plan_id).get(wave, plan_start(summary, plan_id))
    ts = start + np.random.default_rng([seed, wave, 1]).integers(0, RESPONSE_SPAN,
                                                                 size=len(user))
    return {"events": {"event_id": [f"sim-{plan_id}-w{wave}-{k}" for k in range(len(user))],
                       "user_id": user.tolist(), "film_id": film.tolist(),
                       "timestamp": ts.tolist()},
            "target_conversions": int((conv & target).sum()),
            "control_conversions": int((conv & ~target).sum()),
            "targets": int(target.sum()), "controls": int((~target).sum()),
            "planted_uplift": planted_uplift(p, target, _strata(rows))}


def _drawn_seqs(store: CampaignStore, plan_id: str, waves: range) -> NDArray[np.int64]:
    """The sequence numbers of the stored events ``stored_wave_responses`` drew for waves
    ``waves`` of ``plan_id`` (by their event_ids, ``sim-PLAN-wN-K``)."""
    import sqlalchemy as sa

    from recommender.campaigns.events import events

    c = events.c
    said = sa.or_(*(c.event_id.startswith(f"sim-{plan_id}-w{k}-", autoescape=True)
                    for k in waves))
    with store.engine.connect() as conn:
        return np.asarray(conn.execute(sa.select(c.seq).where(said)).scalars().all(),
                          np.int64)


def run_loop(folder: str | Path, model: Model, store: CampaignStore, slate: list[SlateFilm],
             newcomers: int = 30, seed: int = 0, waves: int = 2, holdout: float = 0.3
             ) -> dict[str, Any]:
    """One campaign through the whole loop (see the module docstring): plan on ``model``,
    send wave 1, record the responses, report, plan the next wave on the refreshed model
    and on the stale one, and score both under the truth."""
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    truth = demo_truth(folder, model, [s.film_id for s in slate], newcomers, seed)
    first = plan_slate(model, slate, waves=waves, holdout=holdout, seed=seed, progress=False)
    store.save_plan(first.plan_id, first.summary, first.rows)
    start = plan_start(first.summary)
    nb = truth.newcomer_events
    record_events(store, EventBatch(nb.event_id, nb.user_id, nb.film_id,
                                    [start - DAY] * len(nb), nb.weight))
    sent = send_wave(truth, store, first.rows, start, 1, rng, f"sim-{seed}-w1")
    report = campaign_report(store, first.plan_id, WINDOW_DAYS)
    refreshed = refreshed_model(model, store)
    fresh = plan_next_wave(refreshed, store, first.plan_id, sent_waves=1, seed=seed + 1,
                           progress=False)
    stale = plan_next_wave(model, store, first.plan_id, sent_waves=1, seed=seed + 1,
                           progress=False)
    fresh_users = set(fresh.rows.column("user_id").to_pylist())
    return {
        "plan_id": first.plan_id, "next_plan_id": fresh.plan_id, "stale_plan_id": stale.plan_id,
        "wave1": sent, "report": report, "truth": truth,
        "first_rows": first.rows, "fresh_rows": fresh.rows, "stale_rows": stale.rows,
        "expected_conversions": {
            "wave1_targets": round(expected_conversions(truth, first.rows.filter(
                pc.equal(first.rows.column("wave"), 1))), 3),
            "next_refreshed": round(expected_conversions(truth, fresh.rows), 3),
            "next_stale": round(expected_conversions(truth, stale.rows), 3)},
        "newcomers_planned": sum(u.startswith("newcomer-") for u in fresh_users),
        "seconds": round(time.perf_counter() - t0, 3),
    }


def coverage(truth: Truth, rows: pa.Table, draws: int, seed: int = 0) -> float:
    """Share of ``draws`` independent responses of wave 1 whose report interval (overall)
    covers the planted uplift: each film's mean planted probability of its targets less its
    controls', weighted by its targets (the films' control groups are not the same share of
    their users, so the uplift compares each film's targets with its own controls)."""
    rng = np.random.default_rng(seed)
    wave1 = rows.filter(pc.equal(rows.column("wave"), 1))
    target = np.asarray(wave1.column("group").to_numpy(zero_copy_only=False), str) == "target"
    strata = _strata(wave1)
    hits = 0
    for _ in range(draws):  # one report per draw: the check itself
        conv, p = respond(truth, wave1, rng)
        up = compute_report(wave1, conv)["overall"]["absolute_uplift"]
        hits += up["low"] <= planted_uplift(p, target, strata) <= up["high"]
    return hits / draws
