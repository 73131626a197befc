"""The (value, ring) counts that a portrait's published numbers force to 0, found by one LP.

Counts are not negative, so published sums can force a count to 0 without any one equation
saying so: with rings of 4, 58 and 4 users, a value's core and extended rings at 23 and its
extended and broad rings at 19 make its core 4 more than its broad ring, so its core is the
whole core (4 users) and its broad ring 0, and the other value's core 0 too: a 0 forced
across two values and two rings at once, which reasoning line by line missed. Once every
count that is 0 in every solution is known, a quantity is the same in every solution with
counts not negative exactly when it is the same in every solution of the equations with
those counts set to 0 (the solutions fill the set those equations leave, less its edges),
so the null spaces ``portrait.scope_suppression`` works with then answer what a linear
programme would.

Which counts can be positive is one linear programme (``scipy.optimize.linprog``, HiGHS):
a solution scaled by ``s >= 1`` (``A x = s b``) maximising the sum of ``t <= min(x, 1)``;
the mean of solutions that each make one count positive is a solution making all of them
positive, so at the optimum ``t`` is 1 for every count that can be positive and 0 for the
rest.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from numpy.typing import NDArray
from scipy.optimize import linprog


def forced_zeros(table: NDArray[np.int64], member: NDArray[np.bool_], hide: NDArray[np.bool_],
                 sizes: NDArray[np.bool_], skip: NDArray[np.bool_] | None = None
                 ) -> NDArray[np.bool_]:
    """Which counts of ``table`` (values x rings) every solution of the published equations
    with counts not negative makes 0 (values x rings). Published: each value's users in all,
    the users of each ring set of ``sizes`` (rows of ring masks) over all values, and each
    value's users in each scope of ``member`` (scopes x rings) whose cell ``hide`` (scopes x
    values) leaves shown. A count that is 0 but could be positive is not forced. ``skip``
    (values x rings): counts not to ask about (known either way already), returned as not
    forced unless one published line says they are 0."""
    n_values, n_rings = table.shape
    sizes = np.asarray(sizes, bool).reshape(-1, n_rings)
    shown = ~hide.T  # values x scopes
    # what one line says needs no programme, and only a count that is 0 can be forced
    easy = one_line_zeros(table, member, hide, sizes)
    ask = (table == 0) & ~easy
    if skip is not None:
        ask &= ~skip
    ask = np.flatnonzero(ask.ravel())
    if not len(ask):
        return easy
    rows: list[NDArray[np.float64]] = []
    rhs: list[int] = []
    for v in range(n_values):
        for m in np.vstack([np.ones((1, n_rings), bool), member[shown[v]]]):
            row = np.zeros(n_values * n_rings)
            row[v * n_rings:(v + 1) * n_rings] = m
            rows.append(row)
            rhs.append(int(table[v, m].sum()))
    for m in sizes:
        rows.append(np.tile(m.astype(float), n_values))
        rhs.append(int(table[:, m].sum()))
    n, k = n_values * n_rings, len(ask)
    # variables: x (n), t (k, for the counts asked about), s; A x - b s = 0; t <= x;
    # 0 <= t <= 1; s >= 1; the counts a line already says are 0 are held at 0
    pick = scipy.sparse.csr_matrix((np.ones(k), (np.arange(k), ask)), shape=(k, n))
    a_eq = scipy.sparse.hstack([scipy.sparse.csr_matrix(np.array(rows)),
                                scipy.sparse.csr_matrix((len(rows), k)),
                                scipy.sparse.csr_matrix(-np.asarray(rhs, float)[:, None])])
    a_ub = scipy.sparse.hstack([-pick, scipy.sparse.eye(k), scipy.sparse.csr_matrix((k, 1))])
    cost = np.concatenate([np.zeros(n), -np.ones(k), [0.0]])
    bounds = [(0, 0) if e else (0, None) for e in easy.ravel()] + [(0, 1)] * k + [(1, None)]
    out = linprog(cost, A_ub=a_ub, b_ub=np.zeros(k), A_eq=a_eq, b_eq=np.zeros(len(rows)),
                  bounds=bounds, method="highs")
    forced = easy.ravel().copy()
    # the true counts are a solution, so a failure is numerical: every count asked is then
    # taken as forced, which only makes the rule think a reader knows more (it hides more)
    forced[ask] = out.x[n:n + k] < 0.5 if out.status == 0 else True
    return forced.reshape(n_values, n_rings)


def one_line_zeros(table: NDArray[np.int64], member: NDArray[np.bool_], hide: NDArray[np.bool_],
                   sizes: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The counts one published line says are 0 (values x rings): each ring of a value's
    shown 0, of a value with no users, of a published ring set with no users."""
    zero_cells = ~hide.T & (table @ member.T.astype(np.int64) == 0)  # values x scopes
    easy = (zero_cells.astype(np.int64) @ member.astype(np.int64)) > 0
    easy[table.sum(axis=1) == 0] = True
    easy[:, sizes[table.sum(axis=0) @ sizes.T.astype(np.int64) == 0].any(axis=0)] = True
    return easy


class ForcedZeros:
    """``forced_zeros`` of one table as cells get hidden: hiding only takes equations away,
    so a count some solution made positive with fewer cells hidden stays unforced, and the
    programme is asked only about the others (a demo film's first summary: 110 programmes
    became 7 to 10 over 6 films)."""

    def __init__(self, table: NDArray[np.int64], member: NDArray[np.bool_],
                 sizes: NDArray[np.bool_]) -> None:
        self.table, self.member, self.sizes = table, member, sizes
        self.seen: list[tuple[NDArray[np.bool_], NDArray[np.bool_]]] = []  # (hide, unforced)

    def __call__(self, hide: NDArray[np.bool_], known: NDArray[np.bool_] | None = None
                 ) -> NDArray[np.bool_]:
        """The counts forced to 0 with ``hide`` that no one line says are 0 (the portrait's
        rule reads those itself), and ``known``: counts already known to be forced."""
        skip = np.zeros(self.table.shape, bool) if known is None else known.copy()
        for was, free in self.seen:
            if not (was & ~hide).any():  # fewer cells hidden then (or the same)
                skip |= free
        out = forced_zeros(self.table, self.member, hide, self.sizes, skip)
        if known is not None:
            out |= known
        self.seen.append((hide.copy(), (self.table == 0) & ~out))
        out &= ~one_line_zeros(self.table, self.member, hide, self.sizes)
        return out if known is None else out | known
