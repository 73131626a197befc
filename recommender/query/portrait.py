"""A film audience's demographic portrait: the ranks it pictures and its cells' privacy rule.

The minimum cell rule is ``recommender.query.privacy``'s.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import AGE_BAND, GENDER, OCCUPATION, REGION
from recommender.model.model import Model
from recommender.model.segments import lift_table
from recommender.query.attribute_codes import attribute_codes
from recommender.query.forced_zeros import ForcedZeros
from recommender.query.null_spaces import first_fixed, free_bases, null_space, scope_null
from recommender.query.privacy import few, merged_cells
from recommender.query.summary_rings import met_rings

PORTRAIT_ATTRIBUTES = (AGE_BAND, GENDER, OCCUPATION, REGION)


def portrait_of(model: Model, rings: NDArray[np.int64], scopes: list[tuple[int, ...]],
                chosen: int, min_cell: int, other: NDArray[np.int64] | None = None,
                other_first: bool = False) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """The portrait of the scope ``scopes[chosen]``: each portrait attribute's lift table of
    the users in its rings against all users, and how many cells it left out. ``rings``: each
    user's ring (the film's tiers, then the rest of its candidates, then everyone else);
    ``scopes``: the ring sets a portrait may picture, whose cells ``scope_suppression`` hides
    all at once: hidden alone, a cell of one scope was another scope's cell less a third's
    (92% of the demo's hidden cells, by two published portraits of the film). ``other``: each
    user's ring in the summary with viewers ranked the other way, whose scopes are hidden
    with these (over each ring of one ranking met with a ring of the other). The values
    ``rare_values`` pools are never shown: with the others' base shares, their users in all
    would be the total less the rest. ``other_first``: the other ranking's rings and scopes
    come first in the joint system; the caller sets one order (viewers ranked out first)
    whichever version asks, so that both versions' answers are one solution: in either
    order, the order broke ties, and 29 of 160 demo attribute tables (40 films) hid
    different cells for the version asked than the other version's answer assumed."""
    pictured = np.flatnonzero(np.isin(rings, scopes[chosen]))
    # every ring the scopes name, empty ones too (the viewers' ring is empty when every user
    # is a candidate and the tiers cover them all)
    n_rings = max(int(rings.max(initial=0)), *(max(s) for s in scopes)) + 1
    keep = (len(scopes) - 1,) + ((scopes.index((0, 1)),) if (0, 1) in scopes
                                 else ())  # the whole ranking, the default
    joint, all_scopes, guard = rings, scopes, []
    if other is not None:  # a scope of either ranking is a set of rings met
        n_other = max(int(other.max(initial=0)) + 1, n_rings)
        first, second = (other, rings) if other_first else (rings, other)
        met, joint = met_rings(first, second, n_other)
        by = (met // n_other, met % n_other)  # each met pair's ring in first, second
        all_scopes = [tuple(np.flatnonzero(np.isin(own, s)).tolist()) for own in by
                      for s in scopes]
        keep += tuple(k + len(scopes) for k in keep)
        guard = [own == r for own in by for r in range(n_other)]  # each ranking's rings
        n_rings = len(met)
        chosen += len(scopes) if other_first else 0
    portrait: dict[str, list[dict[str, Any]]] = {}
    suppressed = 0
    for name, values in sorted(model.user_table.attributes.items()):
        if name in PORTRAIT_ATTRIBUTES:
            # one coding of the values (kept per user table: sorted per request, 2.1-2.6 s
            # of CPU a summary at 2M users) gives the table, each ring's users and those in all
            uniq, inverse = attribute_codes(model, name)
            rows = lift_table(values, pictured, coded=(uniq, inverse))
            pooled = rare_values(np.bincount(inverse, minlength=len(uniq)), min_cell)
            # pooled as one value (taken as shown where not hidden, as a real value is)
            code = np.where(pooled, len(uniq), np.arange(len(uniq)))[inverse]
            n_codes = len(uniq) + int(pooled.any())
            table = np.bincount(code * n_rings + np.asarray(joint, np.int64),
                                minlength=n_codes * n_rings).reshape(n_codes, n_rings)
            hidden = scope_suppression(table, all_scopes, min_cell, keep, guard,
                                       np.array(guard) if guard else None)[chosen]
            hidden = hidden[:len(uniq)] | pooled
            gone = {str(v) for v, h in zip(uniq.tolist(), hidden.tolist(), strict=True) if h}
            portrait[name] = [r for r in rows if r["value"] not in gone]
            suppressed += len(rows) - len(portrait[name])
    return portrait, suppressed


def rare_values(base: NDArray[np.int64], min_cell: int) -> NDArray[np.bool_]:
    """The values of an attribute a portrait never shows, pooled: those of fewer than
    ``min_cell`` users in all, and while they hold fewer than ``min_cell`` together, the
    smallest other (``privacy.merged_cells``). Their rows are hidden in every scope, so the
    total less the shown values' base shares is at least ``min_cell`` users (one value's 4
    users before, exactly while the rounded shares are exact: to about 5,000 users)."""
    return merged_cells(base, min_cell) if few(base, min_cell).any() \
        else np.zeros(len(base), bool)


def scope_suppression(table: NDArray[np.int64], scopes: list[tuple[int, ...]], min_cell: int,
                      keep: tuple[int, ...] = (), guard: Sequence[NDArray[np.bool_]] = (),
                      published: NDArray[np.bool_] | None = None,
                      preset: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None = None
                      ) -> NDArray[np.bool_]:
    """``_scope_suppression``'s answer, kept by its inputs (the last 1,024): a film's
    summaries of each scope and a summary asked again solve the same tables."""
    as_bytes = [np.ascontiguousarray(a) for a in (table, *guard)] + (
        [] if published is None else [np.ascontiguousarray(published, bool)]) + (
        [] if preset is None else [np.ascontiguousarray(a, bool) for a in preset])
    key = (tuple(scopes), min_cell, tuple(keep), len(guard), published is None,
           preset is None, tuple((a.dtype.str, a.shape, a.tobytes()) for a in as_bytes))
    hide = _suppression_of(key, table, scopes, min_cell, keep, guard, published, preset)
    return hide.copy()


_SUPPRESSIONS: dict[Any, NDArray[np.bool_]] = {}
_SUPPRESSIONS_LOCK = threading.Lock()


def _suppression_of(key: Any, *args: Any) -> NDArray[np.bool_]:
    """The cache of ``scope_suppression`` (least recently used first out; solved outside
    the lock: two threads may solve one table, each the same answer). Read only."""
    with _SUPPRESSIONS_LOCK:
        hide = _SUPPRESSIONS.pop(key, None)
        if hide is not None:
            _SUPPRESSIONS[key] = hide  # most recently used last
            return hide
    hide = _scope_suppression(*args)
    hide.flags.writeable = False
    with _SUPPRESSIONS_LOCK:
        _SUPPRESSIONS[key] = hide
        while len(_SUPPRESSIONS) > 1024:
            del _SUPPRESSIONS[next(iter(_SUPPRESSIONS))]
    return hide


def _scope_suppression(table: NDArray[np.int64], scopes: list[tuple[int, ...]], min_cell: int,
                       keep: tuple[int, ...] = (), guard: Sequence[NDArray[np.bool_]] = (),
                       published: NDArray[np.bool_] | None = None,
                       preset: tuple[NDArray[np.bool_], NDArray[np.bool_]] | None = None
                       ) -> NDArray[np.bool_]:
    """Which cells of every scope's portrait to hide (scopes x values), ``table`` being each
    value's users in each ring (values x rings; the rings partition all users). Published
    with a scope's shown cells: each value's users in all (the base share) and each ring's
    size (its rank range). Hidden first: a cell holding some users but fewer than
    ``min_cell``, or whose users outside the scope are that few, and every cell of a scope
    that few users (or all but that few) fill. Then, while the published numbers determine
    exactly a quantity that must not be worked out (a hidden cell, a value's users in one
    ring or outside a scope, when some but fewer than ``min_cell``), one more cell is hidden:
    the first that stops it alone, in this order (else the first): a scope of ``keep`` (the
    default portrait's, the whole ranking's) last, the value's own cells before the other
    values' (needed only where the rings' sizes tie them in), the smallest, the scope listed
    first. Determined means its coordinates lie in the row space of the published equations
    (``privacy.table_suppression`` reasons alike over one table); the values are solved one
    by one (``null_spaces.exposed``), as hiding only takes equations away: a value found
    safe stays safe.
    What the published numbers pin alone (a value all of whose users are in one ring) is no
    cell's to hide. Counts are not negative: a value's ring set (a scope, its complement, a
    published ring set, a ring) whose users the published numbers determine to be 0 (a
    shown 0; a hidden cell that the ring sizes less the other values' shown cells make 0),
    and a published ring set whose size less the values' users there that are determined
    leaves 0 for the rest (an empty ring), are read as 0 in each of their rings for each
    such value, repeated to a fixed point (``settle``; as
    ``privacy.table_suppression``'s ``_zeros``): an X hidden as 99 less M 56 less F 43 let
    the core's 20 users less M's 11 give F's 9. ``guard``: more ring sets (masks) whose
    users of a value must not be worked out when some but fewer than ``min_cell``.
    ``published``: the ring sets whose sizes are published (rows of masks), when not each
    ring's (rings met from two rankings). ``preset``: the cells (scopes x values) decided
    beforehand, and which of them are hidden: kept so, never chosen (a film's viewers by
    segment as its details show them; the cells a table's own rule hid first)."""
    n_values, n_rings = table.shape
    member = np.zeros((len(scopes), n_rings), bool)
    for s, rs in enumerate(scopes):
        member[s, list(rs)] = True
    cells = table @ member.T.astype(np.int64)          # values x scopes
    base = table.sum(axis=1)
    sizes = table.sum(axis=0) @ member.T.astype(np.int64)
    everyone = int(table.sum())
    hide = (few(cells, min_cell) | few(base[:, None] - cells, min_cell)).T.copy()
    hide[few(sizes, min_cell) | few(everyone - sizes, min_cell)] = True
    decided = np.zeros(hide.shape, bool) if preset is None else preset[0]
    if preset is not None:
        hide[decided] = preset[1][decided]
    # the quantities no one may work out, per value: ring coefficient vectors
    guarded: list[list[NDArray[np.float64]]] = []
    for v in range(n_values):
        mine = [(np.eye(n_rings)[r], table[v, r]) for r in range(n_rings)]
        mine += [(m.astype(float), cells[v, s]) for s, m in enumerate(member)]
        mine += [((~m).astype(float), base[v] - cells[v, s]) for s, m in enumerate(member)]
        mine += [(g.astype(float), int(table[v, g].sum())) for g in guard]
        guarded.append([vec for vec, count in mine if 0 < count < min_cell])
    n_scopes = len(scopes)
    eye = np.eye(n_rings, dtype=bool)
    tied = None if published is None else null_space(
        null_space(published.astype(float)).T)
    forced = ForcedZeros(table, member, eye if published is None else published)

    # the same hide masks and null spaces recur many times over (each trial cell, each
    # settle): each answer is kept by its inputs' bytes, so it is the same array as before
    nulls_by: dict[tuple[int, bytes, bytes], NDArray[np.float64]] = {}
    frees_by: dict[tuple[int, bytes, bytes], NDArray[np.float64]] = {}
    k_by: dict[bytes, NDArray[np.float64]] = {}  # ``free_bases``' first step, by ``others``
    settled_by: dict[bytes, tuple[NDArray[np.bool_], list[NDArray[np.float64]],
                                  NDArray[np.float64]]] = {}

    def null_of(v: int, known: NDArray[np.bool_]) -> NDArray[np.float64]:
        # what value v's own equations leave free; ``known``: its rings read as 0
        key = (v, hide[:, v].tobytes(), known.tobytes())
        if key not in nulls_by:
            shown = ~hide[:, v]
            # a shown 0 says more than its sum: counts are not negative, so each of its rings
            # is 0 for the value (a two-value attribute's 0 pinned the other value's rings)
            nothing = known | member[shown & (cells[v] == 0)].any(axis=0)
            nulls_by[key] = scope_null(np.vstack([member[shown], eye[nothing]]).tobytes(),
                                        n_rings)
        return nulls_by[key]

    def frees_of(pairs: list[tuple[NDArray[np.float64], NDArray[np.float64]]]
                 ) -> list[NDArray[np.float64]]:
        # ``free_basis`` of each (own, others), the new ones solved together
        keys = [(own.shape[1], own.tobytes(), others.tobytes()) for own, others in pairs]
        new = {k: p for k, p in zip(keys, pairs, strict=True) if k not in frees_by}
        frees_by.update(zip(new, free_bases(list(new.values()), tied, k_by), strict=True))
        return [frees_by[k] for k in keys]

    def exposed(quantities: list[NDArray[np.float64]], own: NDArray[np.float64],
                others: NDArray[np.float64], given_up: set[int]) -> int | None:
        return first_fixed(quantities, frees_of([(own, others)])[0], given_up)

    # the ring sets whose sum a reader may find to be 0 for a value: each is then 0 in each
    # of its rings (counts are not negative), only those really 0 are worth asking about
    sets = np.unique(np.vstack([member, ~member, np.eye(n_rings, dtype=bool),
                                *(np.asarray(guard, bool).reshape(-1, n_rings),)]), axis=0)
    probes = [sets[(sets.any(axis=1)) & ~(sets & (table[v] > 0)).any(axis=1)]
              for v in range(n_values)]

    tied_sets = np.array([m for m in sets if m.any() and not table[:, m].sum(axis=1).all()
                          and (tied is None or np.linalg.norm(tied.T @ m) ** 2 > m.sum() - 1e-9)],
                         bool).reshape(-1, n_rings)

    def settle() -> tuple[NDArray[np.bool_], list[NDArray[np.float64]], NDArray[np.float64]]:
        """The rings the published numbers force to 0 for each value beyond its shown 0s
        (a hidden cell that the rings' sizes less the other values' shown cells make 0,
        then its rings), to a fixed point, and each value's null space with them. A
        function of ``hide`` alone: kept by it (read only)."""
        key = hide.tobytes()
        if key not in settled_by:
            out = _settle()
            assert out is not None  # nothing watched: solved to the fixed point
            settled_by[key] = out
        return settled_by[key]

    def trial_stops(v: int, q: list[NDArray[np.float64]]) -> bool:
        """Whether ``q`` (of value v) is safe with ``hide`` settled: the forced 0s only
        grow round by round, so one round that exposes it answers (not kept)."""
        key = hide.tobytes()
        if key not in settled_by:
            out = _settle((v, q))
            if out is None:
                return False
            settled_by[key] = out
        _, trial, total = settled_by[key]
        return exposed(q, trial[v], total - trial[v] @ trial[v].T, set()) is None

    def _settle(watch: tuple[int, list[NDArray[np.float64]]] | None = None
                ) -> tuple[NDArray[np.bool_], list[NDArray[np.float64]],
                           NDArray[np.float64]] | None:
        zero = np.zeros((n_values, n_rings), bool)
        nulls = [null_of(v, zero[v]) for v in range(n_values)]
        gram = sum((n @ n.T for n in nulls), np.zeros((n_rings, n_rings)))
        changed = True
        while changed:
            changed = False
            free = frees_of([(n, gram - n @ n.T) for n in nulls])

            def pinned(v: int, masks: NDArray[np.bool_], free: list[NDArray[np.float64]] = free
                       ) -> NDArray[np.bool_]:  # v's users in each mask (rows) known
                if not free[v].size:
                    return np.ones(len(masks), bool)
                return np.abs(free[v].T @ masks.T.astype(float)).max(axis=0) < 1e-9

            hits = np.zeros_like(zero)
            for v in range(n_values):
                known = zero[v] | member[~hide[:, v] & (cells[v] == 0)].any(axis=0)
                new = probes[v][(probes[v] & ~known).any(axis=1)]
                if len(new):
                    hits[v] |= new[pinned(v, new)].any(axis=0)
            # a published ring set's size less the values' users there that are determined
            # leaves the others' sum: when it is 0, each of them is 0 there
            if len(tied_sets):
                free_of = ~np.array([pinned(v, tied_sets) for v in range(n_values)])
                for j, m in enumerate(tied_sets):
                    rest = np.flatnonzero(free_of[:, j])
                    if len(rest) and not table[rest][:, m].sum():
                        hits[rest] |= m
            if not (hits & ~zero).any():  # the lines read: a programme finds what they miss
                hits = forced(hide, zero)  # (a 0 forced across values and rings at once)
            for v in np.flatnonzero((hits & ~zero).any(axis=1)).tolist():
                zero[v] |= hits[v]
                gram -= nulls[v] @ nulls[v].T
                nulls[v] = null_of(v, zero[v])
                gram += nulls[v] @ nulls[v].T
                changed = True
            if changed and watch is not None and exposed(
                    watch[1], nulls[watch[0]], gram - nulls[watch[0]] @ nulls[watch[0]].T,
                    set()) is not None:
                return None
        return zero, nulls, gram

    zero, nulls, gram = settle()
    # without the forced 0s (a lower bound on what is known, kept as hiding goes on): a
    # quantity exposed without them is exposed, one safe with them (an upper bound) is safe
    none = np.zeros(n_rings, bool)
    bare = [null_of(v, none) for v in range(n_values)]
    gram0 = sum((n @ n.T for n in bare), np.zeros((n_rings, n_rings)))

    def hidden_null(s: int | slice, w: int) -> NDArray[np.float64]:
        # null_of(w) with w's cells of the scopes ``s`` hidden too
        was = hide[s, w].copy()
        hide[s, w] = True
        try:
            return null_of(w, none)
        finally:
            hide[s, w] = was

    def swapped(ns: list[NDArray[np.float64]], g: NDArray[np.float64], v: int, w: int,
                new: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        own, rest = (new if w == v else ns[v]), g - ns[v] @ ns[v].T
        return own, rest if w == v else rest - ns[w] @ ns[w].T + new @ new.T

    def hidden_all(ns: list[NDArray[np.float64]], g: NDArray[np.float64], v: int,
                   cells_: list[tuple[int, int]]
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        # (own, others) of value v with every (scope, value) cell of ``cells_`` hidden too
        was = hide.copy()
        for s, w in cells_:
            hide[s, w] = True
        try:
            new = {w: null_of(w, none) for w in dict.fromkeys(w for _, w in cells_)}
        finally:
            hide[:] = was
        own = new.get(v, ns[v])
        rest = g - ns[v] @ ns[v].T
        for w, n in new.items():
            if w != v:
                rest = rest - ns[w] @ ns[w].T + n @ n.T
        return own, rest

    # hiding a cell only takes equations away, so a value found safe stays safe: one pass
    for v in range(n_values):
        given_up: set[int] = set()  # quantities pinned by the totals alone
        while True:
            k = exposed(guarded[v], nulls[v], gram - nulls[v] @ nulls[v].T, given_up)
            if k is None:
                break
            # the cells that could stop it: v's own, then the other values' (the rings'
            # sizes less theirs); a scope of ``keep`` last, then the smallest
            alone = not nulls[v].size or np.abs(nulls[v].T @ guarded[v][k]).max(
                initial=0.0) < 1e-9  # v's own cells work it out: only they can stop it
            options = sorted((s in keep, w != v, int(cells[w, s]), s, w)
                             for w in ([v] if alone else range(n_values))
                             for s in range(n_scopes) if not hide[s, w] | decided[s, w])
            if not options:
                given_up.add(k)
                continue
            choice, q = options[0][3:], [guarded[v][k]]
            # a value none of whose cells, all hidden at once, stops it has no one cell that
            # does (hiding only takes equations away): its options are not tried
            ws = list(dict.fromkeys(w for *_, w in options))
            hopeless = {w for w, f in zip(ws, frees_of([swapped(
                bare, gram0, v, w, hidden_null(slice(None), w)) for w in ws]), strict=True)
                if first_fixed(q, f, set()) is not None}
            live = [o for o in options if o[4] not in hopeless]
            bare_stops: list[bool] = []  # whether hiding each option stops it, forced 0s aside
            for i, (*_, s, w) in enumerate(live):  # the first whose hiding alone stops it
                if i == len(bare_stops):  # the next few options' trials, solved together
                    batch = [o[3:] for o in live[i:i + max(4, i)]]
                    # nor does one of a batch that, all hidden at once, does not stop it
                    if len(batch) > 1 and first_fixed(q, frees_of([hidden_all(
                            bare, gram0, v, batch)])[0], set()) is not None:
                        bare_stops += [False] * len(batch)
                    else:
                        bare_stops += [first_fixed(q, f, set()) is None for f in frees_of(
                            [swapped(bare, gram0, v, w2, hidden_null(s2, w2))
                             for s2, w2 in batch])]
                hide[s, w] = True
                stops = bare_stops[i]
                if stops and (zero.any() or not cells[w, s]):  # the 0s known before (the
                    # hidden one's too) may still be forced: with them it is exposed, afresh
                    was = zero[w] | (member[s] & (cells[w, s] == 0))
                    if exposed(q, *swapped(nulls, gram, v, w, null_of(w, was)), set()
                               ) is not None:
                        stops = trial_stops(v, q)
                hide[s, w] = False
                if stops:
                    choice = (s, w)
                    break
            s, w = choice
            hide[s, w] = True
            gram0 -= bare[w] @ bare[w].T
            bare[w] = null_of(w, none)
            gram0 += bare[w] @ bare[w].T
            if zero.any() or not cells[w, s]:
                zero, nulls, gram = settle()
            else:  # no 0 forced before, none now
                nulls, gram = list(bare), gram0.copy()
    return hide
