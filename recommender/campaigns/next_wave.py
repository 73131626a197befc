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
  the model (their events are seen interactions of the refreshed model); the pairs other
  plans select for its films (targets or controls) are left out too (``controls.py``), but
  for those of the other next waves of the chain's plans and theirs (``alternatives``:
  re-plans, one of them sent);
- the cap counts every selected row of a user over the chain's sent waves, target or
  control, as in the first plan: users who reached it are out, and a partly selected user
  (a cap above 1) enters the allocation with only what is left of it (per-user caps of
  ``allocation.allocate``), so the new plan is still exactly optimal;
- users opted out of any plan of the chain (``CampaignStore.excluded``), and ``exclude``
  given now, are never planned; the new plan stores the union, so later waves keep it;
- scores and probabilities come from ``model``, which the caller refreshes with the store's
  events (``refreshed_model``: the serving overlay, fold-in included);
- a new control group is drawn with ``seed``, and the new plan is stored with a link to the
  previous one, in one transaction (``NextWave.save``; ``prepare_next_wave`` plans without
  storing, so a caller can write its files first);
- each film is given the uplift the previous plan's sent waves measured so far
  (``measured_uplift``; ``no_effect`` names those whose whole 95% interval is at or below
  0). Films named in ``leave_out``, and with ``leave_out_no_effect`` those of ``no_effect``,
  are left out from this wave on: their budget in the new plan is 0 (a later wave of the
  chain plans none of it), so their users' cap is free for the other films, and the summary's
  ``left_out`` lists each with the budget it leaves unspent and why.

The sent pairs are left out of the plan but not out of the films' rankings: contacting a
user (or holding one out) is not a watch, so every other candidate keeps the rank, and the
``p``, the film's audience gives them (``p`` is calibrated on ranks among the film's
non-viewers; ranking among the pairs still allowed moved the user after the first wave's 100
up to rank 1 and nearly tripled their ``p``). Users who converted are viewers of the
refreshed model, and leave the ranking as viewers do.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from recommender.campaigns.cap_scope import scope_caps
from recommender.campaigns.controls import blocked_pairs, next_waves_under
from recommender.campaigns.events import iter_events, plan_links, trained_through
from recommender.campaigns.plan import (
    HALF,
    PLAN_SCHEMA,
    TARGET,
    OptOutReadings,
    Plan,
    plan_slate,
    unknown_opt_outs,
)
from recommender.campaigns.slate import PLAN_SCOPE, SEED_UNREAD, SlateFilm
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.summary_fields import summary_films
from recommender.campaigns.withdraw import re_plans, refuse_below_sends
from recommender.errors import InvalidParameterError, NothingToPlanError
from recommender.io.ids import IdMap, opt_out_index
from recommender.model.model import Model
from recommender.serving.overlay import Overlay

if TYPE_CHECKING:
    from recommender.campaigns.erasure import Erasures


def base_overlay(model: Model, store: CampaignStore) -> tuple[Overlay, Erasures]:
    """``model``'s overlay on ``store`` before any event is read: after the events its
    training took (``trained_events``; ``Overlay.gone`` says why every event applies where the
    store lost those), the store's erased users left out (``erasure.read_erasures``, returned
    too: the service keeps their version to notice a later ``forget``)."""
    from recommender.campaigns.erasure import read_erasures
    from recommender.campaigns.trained_events import trained_events

    trained = trained_events(model.meta, store)
    erased = read_erasures(store)
    return (Overlay(model, trained.through, trained.gone, forgotten=erased if erased else None),
            erased)


def store_overlay(model: Model, store: CampaignStore) -> Overlay:
    """The overlay of the store's events after ``model``'s training (``meta["events"]``) on
    it, every such event read (``base_overlay``; ``Overlay.describe`` says what it holds)."""
    overlay, _ = base_overlay(model, store)
    for part in iter_events(store, after=overlay.since):
        overlay.apply(part.user_id, part.film_id, part.weight, part.last_seq)
    return overlay


def refreshed_model(model: Model, store: CampaignStore) -> Model:
    """``model`` with the store's events after its training (``meta["events"]``) applied:
    new interactions seen, taste vectors folded in, new users added."""
    return store_overlay(model, store).model()


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


def alternatives(store: CampaignStore, links: list[tuple[str, int]]) -> list[str]:
    """The other next waves of the plans of a chain (``chain``), and their next waves
    (``controls.next_waves_under``): re-plans of the same remaining budget, of which one is
    sent, so their pairs hold nobody out of another."""
    ids = [p for p, _ in links]
    with store.engine.connect() as conn:
        return sorted(next_waves_under(conn, ids))


def _sent_rows(store: CampaignStore, links: list[tuple[str, int]]) -> pa.Table:
    parts = []
    for pid, sent in links:
        for t in store.iter_rows(pid):
            parts.append(t.filter(pc.less_equal(t.column("wave"), sent)))
    return pa.concat_tables(parts) if parts else PLAN_SCHEMA.empty_table()


@dataclass
class NextWave:
    """A planned next wave, not yet stored: the ``plan`` and its users opted out."""

    plan: Plan
    opted_out: list[str]

    def save(self, store: CampaignStore, key: tuple[str, str] | None = None) -> None:
        """Store the plan, its opt-outs, its link to the previous plan and the request's
        idempotency ``key`` (``CampaignStore.save_plan``), all or nothing. The next waves
        the previous plan has when it is stored (one planned meanwhile, on another replica,
        too) are named in the summary's warning (``with_warning``). The plan's summary is then
        given what ``GET /campaigns/{plan_id}`` adds to it as it is read (its ``chain``,
        ``chain_cut``, ``next_waves``, ``wave_sends``: ``withdraw.read_fields``), not stored,
        so that the answer is the body that reads it."""
        from recommender.campaigns.withdraw import read_fields

        s = self.plan.summary
        stored = store.save_plan(
            self.plan.plan_id, s, self.plan.rows, excluded=self.opted_out,
            link={"previous_plan_id": s["previous_plan_id"], "sent_waves": s["sent_waves"],
                  "events_seq": s["events_seq"]},
            key=key, amend=lambda summary, earlier, conn: with_warning(
                summary, str(s["previous_plan_id"]), earlier, conn, int(s["sent_waves"])))
        self.plan.summary.update(stored)
        if "warning" not in stored:  # the next wave it named was withdrawn unsent meanwhile
            self.plan.summary.pop("warning", None)
        self.plan.summary.update(read_fields(store, self.plan.plan_id))


def with_warning(summary: dict[str, Any], plan_id: str, earlier: Sequence[str],
                 conn: sa.Connection | None = None, sent_waves: int | None = None
                 ) -> dict[str, Any]:
    """``summary`` with a warning naming ``earlier``, the next waves ``plan_id`` already has
    (``summary`` itself when there is none): each plans the same remaining budget, so sending
    two would spend it twice (re-planning is allowed: one of them is sent). Given ``conn``
    (the store's transaction, holding the previous plan's row), a send of a wave after
    ``sent_waves`` recorded since the wave was planned refuses it (``refuse_below_sends``:
    checked before planning too, outside the lock)."""
    if conn is not None and sent_waves is not None:
        refuse_below_sends(conn, plan_id, sent_waves, "sent_waves")
    if not earlier:  # one named when it was planned may have been withdrawn unsent since
        return {k: v for k, v in summary.items() if k != "warning"}
    return {**summary, "warning": (
        f"plan {plan_id} already has {len(earlier)} next wave"
        f"{'s' if len(earlier) > 1 else ''} ({', '.join(earlier[:5])}"
        f"{', ...' if len(earlier) > 5 else ''}): each plans the same remaining budget, "
        "so send only one of them")}


def plan_next_wave(model: Model, store: CampaignStore, plan_id: str, sent_waves: int = 1,
                   waves: int | None = None, holdout: float | None = None, seed: int = 1,
                   exclude: Sequence[str] = (), progress: bool | None = None,
                   key: tuple[str, str] | None = None, leave_out: Sequence[str] = (),
                   leave_out_no_effect: bool = False) -> Plan:
    """Plan and store the next wave of ``plan_id`` (see the module docstring) under the
    request's idempotency ``key``, when given."""
    nxt = prepare_next_wave(model, store, plan_id, sent_waves, waves, holdout, seed, exclude,
                            progress, leave_out, leave_out_no_effect)
    nxt.save(store, key)
    return nxt.plan


def prepare_next_wave(model: Model, store: CampaignStore, plan_id: str, sent_waves: int = 1,
                      waves: int | None = None, holdout: float | None = None, seed: int = 1,
                      exclude: Sequence[str] = (), progress: bool | None = None,
                      leave_out: Sequence[str] = (), leave_out_no_effect: bool = False,
                      opt_outs_read: OptOutReadings = ()) -> NextWave:
    """Plan the next wave of ``plan_id`` without storing it (see the module docstring);
    ``opt_outs_read``: ``plan_slate``'s (the CLI's ``--exclude`` read in another Unicode
    form: the stored wave's plan note says it, as HTTP's)."""
    summary = store.summary(plan_id)
    params = summary.get("parameters", {})
    if "withdrawn" in summary:  # checked again as it is stored (``controls.refuse_held_out``)
        from recommender.campaigns.withdraw import refuse_withdrawn

        with store.engine.connect() as conn:
            refuse_withdrawn(conn, plan_id)
    if sent_waves < 1:
        raise InvalidParameterError(f"sent_waves must be >= 1, got {sent_waves}")
    planned_waves = int(params.get("waves", 1))
    if sent_waves > planned_waves:
        raise InvalidParameterError(
            f"sent_waves must be at most the {planned_waves} wave"
            f"{'s' if planned_waves != 1 else ''} of plan {plan_id}, got {sent_waves}")
    with store.engine.connect() as conn:  # a recorded send says that wave went out
        refuse_below_sends(conn, plan_id, sent_waves, "sent_waves")
    cap = int(params.get("cap", 1))
    if holdout is None:
        holdout = float(params.get("holdout", 0.1))
        if holdout == 0 and seed != 1:  # as a holdout of 0 given (the request's validator)
            raise InvalidParameterError(
                f"seed {SEED_UNREAD} (the holdout of plan {plan_id}, which this wave keeps); "
                "leave seed out, or give a holdout above 0")
    waves = max(1, planned_waves - sent_waves) if waves is None else waves
    links = chain(store, plan_id, sent_waves)
    sent = _sent_rows(store, links)
    chain_out = {u for pid, _ in links for u in store.excluded(pid)}
    opted_out = sorted(chain_out | set(exclude))
    film = np.asarray(sent.column("film_id").to_numpy(zero_copy_only=False), str)
    user = np.asarray(sent.column("user_id").to_numpy(zero_copy_only=False), str)
    is_target = np.asarray(sent.column("group").to_numpy(zero_copy_only=False), str) == TARGET
    mine = _rows_of(store, plan_id, sent_waves)
    slate, spent = [], Counter(mine[0][mine[1] & mine[2]].tolist())  # one pass, not one a film
    # targets of the sent waves spend the budget (a film without one: refused, naming it)
    for f in summary_films(summary, plan_id, ("film_id", "budget")):
        used = spent[f["film_id"]]
        slate.append(SlateFilm(f["film_id"], max(0, int(f["budget"]) - used),
                               float(f.get("value", 1.0))))
    if all(f.budget == 0 for f in slate):
        out = " (or had none: a budget of 0, or left out by an earlier wave)" if any(
            int(f["budget"]) == 0 for f in summary.get("films", [])) else ""
        raise NothingToPlanError(
            f"the sent waves of plan {plan_id} spent every film's budget{out}: nothing is "
            "left to plan (the campaign's report measures what they returned)")
    # the events the model reflects: its overlay's, else those its training folded in (the
    # store's latest would claim events a lagging model has not applied); the uplift measured
    # so far reads the same events (one stored meanwhile changed which films were left out)
    overlay = model.meta.get("overlay") or {}
    seq = int(overlay["seq"]) if "seq" in overlay else trained_through(model.meta, store)
    blocks = _measured(store, plan_id, sent_waves, seq)
    slate, left = _leave_out(slate, plan_id, leave_out,
                             no_effect_films(blocks) if leave_out_no_effect else [])
    # the cap counts every selected row of a user, target or control, as the first plan's
    selected_u, selected_n = np.unique(user, return_counts=True)
    at_cap = selected_u[selected_n >= cap].tolist()
    caps = np.full(len(model.users), cap, np.int64)
    idx = model.users.to_index(pa.array(selected_u.tolist(), pa.string()), strict=False)
    caps[idx[idx >= 0]] = np.maximum(cap - selected_n[idx >= 0], 0)
    # the sent pairs: never planned again, but still in the films' rankings (not watches)
    b_film = np.asarray(pc.index_in(pa.array(film.tolist(), pa.string()), value_set=pa.array(
        [f.film_id for f in slate], pa.string())).fill_null(-1).to_numpy(), np.int64)
    b_user = np.asarray(model.users.to_index(pa.array(user.tolist(), pa.string()),
                                             strict=False), np.int64) if len(user) \
        else np.zeros(0, np.int64)
    ok = (b_film >= 0) & (b_user >= 0)
    # and the pairs plans outside the chain select, targets or controls (controls.py), but the
    # other next waves of its plans: alternatives to this one, only one of them is sent
    skip = [p for p, _ in links] + alternatives(store, links)
    (o_film, o_user), held = blocked_pairs(model, slate, store, skip=skip)
    # the plan's cap scope: with "store", the films the store's other live plans select
    # each user for count too (cap_scope.py), but for the chain and its alternatives
    scope = str(params.get("cap_scope", PLAN_SCOPE))
    scoped, scope_info = scope_caps(model, store, cap, scope, caps, skip)
    # each film's users the sent waves selected (targets and controls, over the chain): the
    # new plan's controls continue their rounding, so the campaign holds out its share
    chosen = Counter(film.tolist())  # one pass over the sent rows, not one per film
    offsets = np.array([chosen[f.film_id] for f in slate], np.int64)
    # the chain's rounding: a plan stored before per-film phases rounded at 1/2
    plan = plan_slate(model, slate, cap=cap, holdout=holdout, waves=waves, seed=seed,
                      exclude=at_cap + opted_out, progress=progress, user_caps=scoped,
                      control_offsets=offsets,
                      blocked=(np.concatenate([b_film[ok], o_film]),
                               np.concatenate([b_user[ok], o_user])),
                      rounding=str(params.get("rounding", HALF)), cap_scope=scope,
                      opt_outs_read=_said_as_sent(opt_outs_read, {*at_cap, *chain_out}))
    if plan.rows.num_rows == 0:  # it was stored, exit 0, as a next wave of nobody
        raise NothingToPlanError(
            f"the films of plan {plan_id} have {sum(f.budget for f in slate):,} contacts of "
            "budget left but nobody to plan: every candidate was contacted or held out in the "
            "sent waves, has converted, is at the cap or opted out")
    # the parameters name the opt-outs, as the first plan's do: users at the cap are counted
    # apart (excluded.users_at_cap), though the solve leaves them out alike
    known, _ = opt_out_index(model.users, opted_out)  # another Unicode form: a user's too
    plan.summary["parameters"].update(excluded_users=len(opted_out),
                                      excluded_unknown_users=int((known < 0).sum()),
                                      excluded_unknown_user_ids=unknown_opt_outs(opted_out,
                                                                                 known))
    # next waves already planned from this plan (read again when it is stored: NextWave.save)
    with store.engine.connect() as conn:  # one withdrawn unsent is never sent: none of them
        earlier = re_plans(conn, plan_id)
    plan.summary.update(with_warning(plan.summary, plan_id, earlier))
    measured_so_far(plan.summary, blocks, plan_id)
    plan.summary.update(previous_plan_id=plan_id, sent_waves=sent_waves, events_seq=seq,
                        held_out_elsewhere=held, left_out=left, cap_scope=scope_info,
                        excluded={"pairs_contacted": int(is_target.sum()),
                                  "pairs_held_out": int((~is_target).sum()),
                                  "users_at_cap": len(at_cap),
                                  "users_opted_out": len(opted_out),
                                  "users_partly_capped": int(((caps > 0) & (caps < cap)).sum())})
    return NextWave(plan, opted_out)


def _said_as_sent(read: OptOutReadings, named: set[str]) -> list[tuple[str, list[str]]]:
    """``read`` (the CLI's opt-outs read in another form, ``plan_slate``'s ``opt_outs_read``)
    as HTTP's next wave says them, whose ids sent are planned after the users at the cap and
    the chain's opt-outs (``named``), sorted (``ids.opt_out_readings``: in position order,
    naming no user given as written): in order of the id given, ``named``'s users left out."""
    out = [(u, [t for t in ts if t not in named]) for u, ts in read]
    return sorted(((u, ts) for u, ts in out if ts), key=lambda r: r[0])


def _measured(store: CampaignStore, plan_id: str, sent_waves: int, seq: int
              ) -> dict[str, Any]:
    """Each film's block of ``plan_id``'s report on its sent waves so far
    (``report.campaign_report``, its default window), of the events stored up to ``seq``:
    those the refreshed model reflects (the summary's ``events_seq``); a re-plan after more
    sent waves than an earlier next wave's reads them (``replan``)."""
    from recommender.campaigns.report import campaign_report

    return {b["film_id"]: b for b in campaign_report(store, plan_id, sent_waves=sent_waves,
                                                     until_seq=seq, replan=True)["films"]}


def no_effect_films(blocks: dict[str, Any]) -> list[str]:
    """The films (report order) whose measured absolute uplift has its whole 95% interval at
    or below 0."""
    return [f for f, b in blocks.items() if (u := b.get("absolute_uplift"))
            and u.get("high") is not None and u["high"] <= 0]


def _leave_out(slate: list[SlateFilm], plan_id: str, named: Sequence[str],
               flat: Sequence[str]) -> tuple[list[SlateFilm], list[dict[str, Any]]]:
    """``slate`` with the films ``named`` (asked) and ``flat`` (no effect measured) at budget
    0, and what each left unspent; ``InvalidParameterError`` for a named film the plan does
    not hold, ``NothingToPlanError`` when no film with budget is left."""
    films = {f.film_id: f for f in slate}
    unknown = [f for f in dict.fromkeys(named) if f not in films]
    if unknown:
        near = IdMap(list(films)).did_you_mean(unknown[:1])  # a dropped leading zero
        raise InvalidParameterError(
            f"leave out: plan {plan_id} has no film {unknown[0]!r}{near}; its films are "
            f"{', '.join(list(films)[:10])}{', ...' if len(films) > 10 else ''}")
    why = {**dict.fromkeys(flat, "no_effect"), **dict.fromkeys(named, "asked")}
    left = [{"film_id": f.film_id, "budget_left": f.budget, "why": why[f.film_id]}
            for f in slate if f.film_id in why]
    kept = [f if f.film_id not in why else SlateFilm(f.film_id, 0, f.value) for f in slate]
    if left and all(f.budget == 0 for f in kept):
        spent = [str(x["film_id"]) for x in left if x["budget_left"]]
        raise NothingToPlanError(
            f"every film of plan {plan_id} with budget left is left out "
            f"({', '.join(spent[:10])}{', ...' if len(spent) > 10 else ''}): nothing is left "
            "to plan")
    return kept, left


def measured_so_far(summary: dict[str, Any], blocks: dict[str, Any], plan_id: str) -> None:
    """Give each film of a next wave's ``summary`` the absolute uplift its previous plan's
    sent waves measured so far (``blocks``: ``_measured``), and name in ``no_effect`` the
    films whose whole 95% interval is at or below 0: unless left out (``left_out``), the
    next wave plans their remaining budget all the same (by each user's ``p``, which says
    who will watch, not who a contact moves), so the person planning hears it before
    sending."""
    for film in summary.get("films", []):
        b = blocks.get(film["film_id"]) or {}
        film["measured_uplift"] = {"absolute_uplift": b.get("absolute_uplift"),
                                   "targets": b.get("measured_targets", 0),
                                   "controls": b.get("controls", 0)}
    budget = {f["film_id"]: int(f.get("budget", 0)) for f in summary.get("films", [])}
    flat = [f for f in no_effect_films(blocks) if f in budget]
    # the advice only where taking it changes the plan: a film of no effect this wave still
    # plans (left out, or its budget spent, it has budget 0 here: the option changes nothing)
    planned = [f for f in flat if budget[f] > 0]
    then = ("their remaining budget is planned all the same; leave them out with "
            "--leave-out-no-effect (leave_out_no_effect) if that holds" if planned else
            "none of them is planned in this wave (left out, left_out, or no budget left)")
    measured = ("an absolute uplift (conversion share of targets less that of controls, 0.05 = "
                f"5 points) with its whole 95% interval at or below 0, in plan {plan_id}'s "
                "report so far")
    # no such film: said so (it read "none of them is planned in this wave", of no film)
    summary["no_effect"] = {
        "films": flat,
        "note": f"films whose sent waves measured {measured}: {then}" if flat else
                f"no film's sent waves measured {measured}"}


def _rows_of(store: CampaignStore, plan_id: str, sent_waves: int
             ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(film id, is in a sent wave, is a target) of every row of ``plan_id``."""
    parts = list(store.iter_rows(plan_id))
    t = pa.concat_tables(parts) if parts else PLAN_SCHEMA.empty_table()
    film = np.asarray(t.column("film_id").to_numpy(zero_copy_only=False), str)
    sent = np.asarray(t.column("wave").to_numpy(), np.int64) <= sent_waves
    target = np.asarray(t.column("group").to_numpy(zero_copy_only=False), str) == TARGET
    return film, sent, target
