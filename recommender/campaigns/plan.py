"""``plan_slate``: the public entry of the planner, from a slate to plan rows and a summary.

Steps: every candidate's rank and calibrated ``p`` (``probabilities``); the worth of each
allowed (film, user) pair, ``value x p`` (seen pairs and opted-out users not allowed); the
exact allocation under the films' selection sizes and the cap (``allocation``); waves and
control groups (``waves``). A film's budget counts its target rows (contacts): the allocation
selects at most ``waves.selection_size(budget)`` users of the film, the most whose waves
leave at most ``budget`` targets once each wave's control share is drawn, so the control group
comes on top of the budget. The cap row of the allocation counts every selected row of a user,
target or control (a user is selected for at most ``cap`` films); it is stricter than the cap
on target contacts alone, so the plan stays feasible. The summary reports, per film and in
total, the budget, the selection size, contacts, control size, expected conversions and value,
the film's dual price, the naive plan's objective, the LP upper bound and the optimality gap,
each with its unit (``plan_summary``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.campaigns.allocation import allocate
from recommender.campaigns.allocation_picks import naive_plan
from recommender.campaigns.plan_summary import small_plan_notes, summarise
from recommender.campaigns.probabilities import slate_candidates
from recommender.campaigns.pseudonymous import refuse_pseudonym_opt_outs
from recommender.campaigns.slate import (
    MAX_CAP,
    MAX_SEED,
    MAX_WAVES,
    PLAN_SCOPE,
    SlateFilm,
    check_cap_scope,
    check_slate,
)
from recommender.campaigns.waves import assign, rounding_phases, selection_sizes
from recommender.errors import InvalidParameterError, UnknownFilmError
from recommender.io.convert import MAX_ID_BYTES
from recommender.io.ids import IdMap, opt_out_index, opt_out_read_note, opt_out_readings
from recommender.io.progress import show_progress
from recommender.model.model import Model
from recommender.serving.engine import Engine

PLAN_COLUMNS = ("plan_id", "film_id", "user_id", "wave", "group", "rank", "p",
                "expected_value")
PLAN_SCHEMA = pa.schema([("plan_id", pa.string()), ("film_id", pa.string()),
                         ("user_id", pa.string()), ("wave", pa.int16()), ("group", pa.string()),
                         ("rank", pa.int32()), ("p", pa.float64()),
                         ("expected_value", pa.float64())])
TARGET, CONTROL = "target", "control"
FILM_PHASE, HALF = "film_phase", "half"  # how control groups are rounded (waves.py)
TIEBREAK = 1e-7  # the rank bonus that breaks ties in p, relative to the largest worth


@dataclass
class Plan:
    """A planned slate: ``rows`` (``PLAN_COLUMNS``) and the ``summary`` (JSON-ready)."""

    plan_id: str
    rows: pa.Table
    summary: dict[str, Any]


def new_plan_id() -> str:
    return "plan-" + uuid.uuid4().hex[:16]


def check_options(cap: int, holdout: float, waves: int, seed: int = 0) -> None:
    if not 1 <= cap <= MAX_CAP:
        raise InvalidParameterError(f"cap must be in [1, {MAX_CAP}] contacts per user, "
                                    f"got {cap}")
    if not 0.0 <= holdout < 1.0:
        raise InvalidParameterError(f"holdout must be a share in [0, 1), got {holdout}")
    if not 1 <= waves <= MAX_WAVES:
        raise InvalidParameterError(f"waves must be in [1, {MAX_WAVES}], got {waves}")
    if not 0 <= seed <= MAX_SEED:
        raise InvalidParameterError(f"seed must be in [0, {MAX_SEED}], got {seed}")


def check_opt_outs(exclude: list[str] | None) -> list[str]:
    """Each opt-out once, in the order given; one holding a NUL byte is refused (no store
    keeps it: PostgreSQL text refuses NUL, nor does training), and so is one longer than the
    ``convert.MAX_ID_BYTES`` a user id may be (no user has it; PostgreSQL's index of the
    plan's opt-outs refused one of about 2.7 kB as the plan was stored: a 503 "retry in 5 s"
    that failed every time, while a SQLite store kept it and could not be copied to
    PostgreSQL)."""
    out = list(dict.fromkeys(exclude or []))
    bad = next((u for u in out if "\x00" in u), None)
    if bad is not None:
        raise InvalidParameterError(f"opt-out user_id {bad!r} holds a NUL byte; expected "
                                    "text ids")
    long = next((u for u in out if len(u) * 4 > MAX_ID_BYTES
                 and len(u.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES), None)
    if long is not None:
        raise InvalidParameterError(
            f"opt-out user_id {long[:40]!r}... is {len(long.encode('utf-8', 'surrogatepass')):,} "
            f"bytes in UTF-8, longer than the {MAX_ID_BYTES:,} a user id may be (training and "
            "events refuse longer ids): it names no user; is a line of the list damaged?")
    return out


#: opt-outs the model does not know named in a plan's summary (past them: counted only)
SHOWN_UNKNOWN_OPT_OUTS = 100


def unknown_opt_outs(exclude: Sequence[str], idx: NDArray[np.int64]) -> list[str]:
    """The first ``SHOWN_UNKNOWN_OPT_OUTS`` opt-outs (``idx``: their user indices, -1 for
    none) that name no user of the model, in the order given: a typo there (a case, a space,
    a JSON number for an id with leading zeros) leaves the person it meant in the plan. The
    CLI warns of them on stderr; an HTTP caller had only their count."""
    unknown = [u for u, i in zip(exclude, np.asarray(idx).tolist(), strict=True) if i < 0]
    return unknown[:SHOWN_UNKNOWN_OPT_OUTS]


#: (opt-out as given, the users it was read as): ``ids.opt_out_readings``' pairs
OptOutReadings = Sequence[tuple[str, Sequence[str]]]


def opt_out_notes(users: IdMap, exclude: Sequence[str], read: OptOutReadings = ()
                  ) -> list[dict[str, Any]]:
    """The plan note (``film_id`` null, ``kind`` ``opt_out_form``) naming the opt-outs read
    in another Unicode form or behind a leading U+FEFF and the users they were read as, in
    the words ``plan --exclude`` prints (``ids.opt_out_read_note``): over HTTP the users were
    left out and counted known, and the answer did not say which reading was used. ``read``:
    readings made before ``exclude`` was given (``id_lists.read_opt_outs``' ``read``: the CLI
    passes each id as the model holds it), said first: the CLI's stored plan held no note
    where HTTP's of the same opt-outs did."""
    more = opt_out_readings(users, exclude)
    seen = {u for u, _ in read}
    note = opt_out_read_note([*read, *((u, ts) for u, ts in more if u not in seen)])
    return [{"film_id": None, "kind": "opt_out_form", "note": note}] if note else []


def plan_slate(engine: Engine | Model, slate: list[SlateFilm], cap: int = 1,
               holdout: float = 0.1, waves: int = 3, seed: int = 0,
               exclude: list[str] | None = None, plan_id: str | None = None,
               progress: bool | None = None,
               user_caps: NDArray[np.int64] | None = None,
               control_offsets: NDArray[np.int64] | None = None,
               blocked: tuple[NDArray[np.int64], NDArray[np.int64]] | None = None,
               rounding: str = FILM_PHASE, cap_scope: str = PLAN_SCOPE,
               opt_outs_read: OptOutReadings = ()) -> Plan:
    """Plan ``slate`` on ``engine``'s model (see the module docstring).

    Unknown films raise ``UnknownFilmError`` naming all of them; ids in ``exclude`` that the
    model does not know are counted in the summary (they cannot be planned anyway).
    ``user_caps`` (one per model user, at most ``cap``) replaces ``cap`` in the allocation:
    a next wave gives each user what the sent waves left of the campaign's cap, and
    ``control_offsets`` (one per slate film) the film's users the sent waves selected, so its
    control group continues their rounding (``waves.target_rows``). ``blocked``: (slate
    positions, user indices) of pairs never planned that stay in the film's ranking (a next
    wave's sent pairs: contacted or held out, not watched, so the other candidates keep the
    rank, and the p, the film's audience gives them). ``rounding``: ``FILM_PHASE`` (each
    film's control group rounded at its own phase, ``waves.rounding_phases``) or ``HALF``
    (1/2 for every film: plans stored before the phases, whose next waves continue it).
    ``cap_scope``: recorded in the summary's parameters (``PLAN_SCOPE`` or ``STORE_SCOPE``);
    the caller counts the store's other plans into ``user_caps`` (``cap_scope.scope_caps``).
    A user whose ``user_caps`` is 0 is eligible for no film. ``opt_outs_read``: opt-outs the
    caller read in another Unicode form before ``exclude`` (``opt_out_notes``' ``read``)."""
    model = engine.model if isinstance(engine, Engine) else engine
    check_options(cap, holdout, waves, seed)
    check_slate(slate)
    if rounding not in (FILM_PHASE, HALF):  # before the work, with the other options
        raise InvalidParameterError(f"rounding must be {FILM_PHASE!r} or {HALF!r}, got "
                                    f"{rounding!r}")
    check_cap_scope(cap_scope)
    t0 = time.perf_counter()
    film_ids = [f.film_id for f in slate]
    films = model.films.to_index(film_ids, strict=True, error=UnknownFilmError)
    budgets = np.array([f.budget for f in slate], np.int64)
    values = np.array([f.value for f in slate], np.float64)
    exclude = check_opt_outs(exclude)
    refuse_pseudonym_opt_outs(exclude, model)  # they would exclude nobody
    # an opt-out also names its user in another Unicode form, or behind a U+FEFF (fails safe)
    ex_idx, ex_known = opt_out_index(model.users, exclude)
    cands = slate_candidates(model, films, progress=progress)
    weights = cands.p * values[:, None]
    weights[:, ex_known] = np.nan
    if blocked is not None:
        weights[np.asarray(blocked[0], np.int64), np.asarray(blocked[1], np.int64)] = np.nan
    caps: int | NDArray[np.int64] = cap
    if user_caps is not None:
        caps = np.minimum(np.asarray(user_caps, np.int64), cap)
        weights[:, caps == 0] = np.nan  # no room left under the cap: eligible for no film
    eligible = (~np.isnan(weights)).sum(axis=1)
    # targets <= budget, controls on top
    phases = rounding_phases(film_ids) if rounding == FILM_PHASE else np.full(len(slate), 0.5)
    limits = selection_sizes(budgets, waves, holdout, control_offsets, phases)
    # the tie-break is relative to the largest worth of the films that select anyone: a film
    # of budget 0 (a next wave's spent film too) takes no contact, and its worth (value 1e7
    # beside films of value 1) made the bonus outweigh the other films' worths
    open_rows = weights[limits > 0]
    top = float(np.nanmax(open_rows)) if np.isfinite(open_rows).any() else 0.0
    ranked = weights + TIEBREAK * max(top, 1e-12) * (
        1.0 - np.nan_to_num(cands.rank_fraction(), nan=1.0))  # ties: the better rank first
    # no film can select more users than the model has: the solver's sums stay 64-bit
    # integers whatever the budgets (a selection size reaches 2^52 at a holdout near 1)
    solvable = np.minimum(limits, len(model.users))
    solved = allocate(weights, solvable, caps, ranked=ranked,
                      progress=show_progress(progress))
    nf, nu = naive_plan(ranked, solvable, caps)
    del ranked
    t_solve = time.perf_counter() - t0
    plan_id = plan_id or new_plan_id()
    rank = cands.rank[solved.film, solved.user].astype(np.int64)
    order, wave, control = assign(solved.film, rank, films, waves, holdout, seed,
                                  control_offsets, phases)
    f_pos, users = solved.film[order], solved.user[order]
    p = cands.p[f_pos, users]
    ev = p * values[f_pos]
    rows = plan_rows(model, plan_id, film_ids, f_pos, users, wave, control, rank[order], p, ev)
    summary = summarise(model, slate, films, budgets, limits, values, eligible, f_pos, wave,
                        control, p, ev, weights[nf, nu], nf, solved, cap, holdout, waves, seed,
                        len(exclude), int(len(ex_idx) - (ex_idx >= 0).sum()))
    notes: list[dict[str, Any]] = [
        *small_plan_notes(slate, budgets, summary["films"], holdout, waves, control_offsets,
                          phases), *opt_out_notes(model.users, exclude, opt_outs_read)]
    if notes:  # a film without a control group, fewer waves than asked; opt-outs read so
        summary["plan_notes"] = notes
    summary["parameters"].update(rounding=rounding, cap_scope=cap_scope,
                                 excluded_unknown_user_ids=unknown_opt_outs(exclude, ex_idx))
    summary.update(plan_id=plan_id, seconds=round(time.perf_counter() - t0, 3),
                   solve_seconds=round(t_solve, 3))
    return Plan(plan_id, rows, summary)


def plan_rows(model: Model, plan_id: str, film_ids: Sequence[str], f_pos: NDArray[np.int64],
              users: NDArray[np.int64], wave: NDArray[Any], control: NDArray[np.bool_],
              rank: NDArray[np.int64], p: NDArray[np.float64], ev: NDArray[np.float64]
              ) -> pa.Table:
    """The plan's rows (``PLAN_SCHEMA``), one per selected (film position, user index), in
    the order given; the local and the Spark planner both write them here."""
    return pa.Table.from_arrays([
        pa.array(np.full(len(f_pos), plan_id, object), pa.string()),
        pa.array(np.asarray(film_ids, object)[f_pos], pa.string()),
        pa.array(model.users.to_ids(users), pa.string()),
        pa.array(wave, pa.int16()),
        pa.array(np.where(control, CONTROL, TARGET).astype(object), pa.string()),
        pa.array(rank.astype(np.int32), pa.int32()),
        pa.array(p, pa.float64()),
        pa.array(ev, pa.float64()),
    ], schema=PLAN_SCHEMA)
