"""Picks by rank beside the allocation's solver: a row's best users, the naive plan, ties, fills.

``ties_by_bonus`` and ``fill_by_bonus`` give the solved plan's contacts of equal weight and its
unspent budgets to the users the bonus prefers (``allocation``'s module docstring)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Caps = int | NDArray[np.int64]  # one cap for every user, or each user's own


def top_eligible(row: NDArray[np.float64], k: int) -> NDArray[np.int64]:
    """The ``k`` best eligible (non-NaN) users of one film's row, best first, ties by lower
    user index."""
    ok = np.flatnonzero(~np.isnan(row))
    k = min(k, len(ok))
    if k == 0:
        return np.zeros(0, np.int64)
    vals = row[ok]
    if k < len(ok):
        part = np.argpartition(-vals, k - 1)[:k]
        # keep every user tied with the k-th so that the tie-break by index is exact
        kth = vals[part].min()
        part = np.flatnonzero(vals >= kth)
    else:
        part = np.arange(len(ok))
    order = part[np.lexsort((ok[part], -vals[part]))][:k]
    return ok[order].astype(np.int64)


def naive_plan(weights: NDArray[np.float64], budgets: NDArray[np.int64], cap: Caps
               ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Each film's top-budget users independently, then the cap enforced by dropping each
    user's lowest-weight contacts (ties: the later film in the slate is dropped)."""
    films, users = [], []
    for f in range(weights.shape[0]):
        top = top_eligible(weights[f], int(budgets[f]))
        films.append(np.full(len(top), f, np.int64))
        users.append(top)
    return enforce_cap(weights, np.concatenate(films or [np.zeros(0, np.int64)]),
                       np.concatenate(users or [np.zeros(0, np.int64)]), cap)


def enforce_cap(weights: NDArray[np.float64], film: NDArray[np.int64], user: NDArray[np.int64],
                cap: Caps) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Keep each user's ``cap`` (or own cap) highest-weight contacts (ties: earlier film
    first)."""
    order = np.lexsort((film, -weights[film, user], user))
    f, u = film[order], user[order]
    first = np.r_[0, np.flatnonzero(np.diff(u)) + 1]
    run = np.arange(len(u)) - np.repeat(first, np.diff(np.r_[first, len(u)]))
    keep = run < (np.asarray(cap, np.int64)[u] if np.ndim(cap) else cap)
    return f[keep], u[keep]


def ties_by_bonus(film: NDArray[np.int64], user: NDArray[np.int64],
                   weights: NDArray[np.float64], ranked: NDArray[np.float64], cap: Caps
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The plan with each film's contacts of equal weight given to the users ``ranked``
    prefers (the bonus: better ranks) among those with room under their cap. The solver
    returns any optimal vertex within its tolerance, and a bonus of 1e-7 of the largest worth
    is far below it, so tied users came in arbitrary order (a film's core ring left out for
    users of the same p further down). Exchanging a contact for one of equal weight keeps
    every budget, every cap and the objective: the plan stays optimal. Films in turn, again
    until no exchange is left (one film's exchange can free a user another film prefers;
    each exchange raises the total bonus, so it ends); within a film only the weights shared
    by contacted and uncontacted users are revisited, grouped in one pass."""
    n_films, n_users = weights.shape
    caps = np.broadcast_to(np.asarray(cap, np.int64), (n_users,))
    count = np.bincount(user, minlength=n_users)
    held = by_film(film, user, n_films)
    changed = True
    while changed:
        changed = False
        for f in range(n_films):
            mine = held[f]
            if not len(mine):
                continue
            row = weights[f]
            # only users as worthy as the least contacted one can share a weight with a
            # contact (one pass over the row; NaN compares false)
            near = np.flatnonzero(row >= row[mine].min())
            levels, inverse = np.unique(row[near], return_inverse=True)
            is_mine = np.isin(near, mine)
            shared = np.intersect1d(inverse[is_mine], inverse[~is_mine])
            for j in shared.tolist():
                group, in_mine = near[inverse == j], is_mine[inverse == j]
                room = in_mine | (count[group] < caps[group])
                pick = group[room][np.argsort(-ranked[f, group[room]], kind="stable")
                                   [:int(in_mine.sum())]]
                dropped = np.setdiff1d(group[in_mine], pick)
                if not len(dropped):
                    continue
                taken = np.setdiff1d(pick, group[in_mine])
                count[dropped] -= 1
                count[taken] += 1
                mine = np.concatenate([np.setdiff1d(mine, dropped), taken])
                changed = True
            held[f] = mine
    return (np.concatenate([np.full(len(h), f, np.int64) for f, h in enumerate(held)]),
            np.concatenate([h.astype(np.int64) for h in held]))


def by_film(film: NDArray[np.int64], user: NDArray[np.int64], n_films: int
            ) -> list[NDArray[np.int64]]:
    """Each film's users (``user[film == f]``, in row order) from one stable sort: a pass
    over every pair per film was films x pairs."""
    order = np.argsort(film, kind="stable")
    return np.split(user[order], np.searchsorted(film[order], np.arange(1, n_films)))


def fill_by_bonus(film: NDArray[np.int64], user: NDArray[np.int64],
                   ranked: NDArray[np.float64], budgets: NDArray[np.int64], cap: Caps
                   ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The plan with each film's unspent budget filled by its best allowed users by
    ``ranked`` among those with room under their cap, films in slate order. Pairs of worth 0
    (p 0: a calibration's last ranks saw no viewer) carry only the bonus, below the solver's
    tolerance, so the solve left them out or not at random: a lone film filled its budget in
    rank order, three films of budget 40 under cap 1 stopped at their ~24 users of positive p
    with 55 users free. Every weight is >= 0, so a pair added never lowers the objective,
    and budgets and caps hold."""
    n_films, n_users = ranked.shape
    caps = np.broadcast_to(np.asarray(cap, np.int64), (n_users,))
    count = np.bincount(user, minlength=n_users)
    per_film = np.bincount(film, minlength=n_films)
    films, users, held = [film], [user], by_film(film, user, n_films)
    for f in np.flatnonzero(per_film < np.asarray(budgets)).tolist():
        row = np.where(count < caps, ranked[f], np.nan)
        row[held[f]] = np.nan
        top = top_eligible(row, int(budgets[f]) - int(per_film[f]))
        count[top] += 1
        films.append(np.full(len(top), f, np.int64))
        users.append(top)
    return np.concatenate(films), np.concatenate(users)
