"""The linear algebra of the portrait's privacy rule: null spaces of a value's equations.

``portrait.scope_suppression`` asks, value by value, whether the published numbers determine
a quantity: whether it is orthogonal to every direction they leave free (``exposed``).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray


def exposed(quantities: list[NDArray[np.float64]], own: NDArray[np.float64],
            others: NDArray[np.float64], given_up: set[int],
            tied: NDArray[np.float64] | None = None) -> int | None:
    """The index of the first of a value's guarded ``quantities`` the published numbers
    determine, or None. ``own``: the value's null space (what its base count and shown cells
    leave free); ``others``: the sum of ``N N^T`` over the other values' null spaces. The
    rings' sizes tie the values: a combination ``c`` of them leaves this value's rings alone
    once every other value's own equations can write ``c``, i.e. ``c`` orthogonal to every
    other null space (the null space of ``others``); what stays free of this value is then
    its own free directions orthogonal to every such ``c``. ``tied``: an orthonormal basis
    of the combinations of rings whose sizes are published, when not every ring's (then
    ``c`` lies among them)."""
    return first_fixed(quantities, free_basis(own, others, tied), given_up)


def first_fixed(quantities: list[NDArray[np.float64]], free: NDArray[np.float64],
                given_up: set[int]) -> int | None:
    """The index of the first of ``quantities`` (not given up) that ``free`` (what stays
    free of a value, ``free_basis``) leaves fixed, or None."""
    for k, q in enumerate(quantities):
        if k in given_up:
            continue
        if not free.size or np.abs(free.T @ q).max(initial=0.0) < 1e-9:
            return k
    return None


def free_basis(own: NDArray[np.float64], others: NDArray[np.float64],
               tied: NDArray[np.float64] | None) -> NDArray[np.float64]:
    """What stays free of a value over the rings (a basis, columns): its own free
    directions orthogonal to every ring combination the others' equations write
    (``exposed``)."""
    k_basis = null_space(others) if tied is None else tied @ null_space(tied.T @ others @ tied)
    return own @ null_space(k_basis.T @ own) if k_basis.size and own.size else own


def free_bases(pairs: list[tuple[NDArray[np.float64], NDArray[np.float64]]],
               tied: NDArray[np.float64] | None, k_by: dict[bytes, NDArray[np.float64]]
               ) -> list[NDArray[np.float64]]:
    """``free_basis`` of each (own, others) pair, to the last bit: the same products, and each
    shape's singular value decompositions in one call (``null_space_each``). ``k_by``: the
    ring combinations the others' equations write (the first step), kept by ``others``'
    bytes (a value's own cells hidden one by one leave the others alone)."""
    keys = [others.tobytes() for _, others in pairs]
    new = {k: others for k, (_, others) in zip(keys, pairs, strict=True) if k not in k_by}
    firsts = [others if tied is None else tied.T @ others @ tied for others in new.values()]
    k_by.update(zip(new, (k if tied is None else tied @ k for k in null_space_each(firsts)),
                    strict=True))
    k_bases = [k_by[k] for k in keys]
    todo = [i for i, (own, _) in enumerate(pairs) if k_bases[i].size and own.size]
    seconds = null_space_each([k_bases[i].T @ pairs[i][0] for i in todo])
    out = [own for own, _ in pairs]
    for i, n in zip(todo, seconds, strict=True):
        out[i] = pairs[i][0] @ n
    return out


def null_space_each(mats: list[NDArray[np.float64]]) -> list[NDArray[np.float64]]:
    """``null_space`` of each matrix, to the last bit: those of one shape decomposed in one
    call (a stacked ``numpy.linalg.svd`` runs LAPACK on each matrix alike; for matrices
    this small the call itself was most of the cost)."""
    out: list[NDArray[np.float64]] = [np.empty(0)] * len(mats)
    by_shape: dict[tuple[int, ...], list[int]] = {}
    for i, a in enumerate(mats):
        by_shape.setdefault(a.shape, []).append(i)
    for shape, idx in by_shape.items():
        if not mats[idx[0]].size:
            for i in idx:
                out[i] = np.eye(shape[1])
            continue
        ss, vhs = svd_stack(np.stack([mats[i] for i in idx]))
        # ``null_space``'s tolerance and rank, for the whole stack at once (the same bits)
        tols = 1e-9 * np.maximum(1.0, ss.max(axis=1, initial=0.0))
        ranks = np.count_nonzero(ss > tols[:, None], axis=1).tolist()
        for i, rank, vh in zip(idx, ranks, vhs, strict=True):
            out[i] = vh[rank:].T.copy()
    return out


def svd_stack(a: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The singular values and ``vh`` of each matrix of a stack (``numpy.linalg.svd``,
    ``full_matrices=True``). Its public form only: numpy's private gufunc skipped checks
    that cost about as long as LAPACK on an 8 x 8 matrix, but a private name may change."""
    _, s, vh = np.linalg.svd(a, full_matrices=True)
    return s, vh


def null_space(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """An orthonormal basis of ``a``'s null space (columns). A singular value under 1e-9 (the
    tolerance ``exposed`` tests with) is zero: ``scipy.linalg.null_space``'s tolerance is
    relative to the largest, so a matrix of round-off alone (two orthogonal bases' product,
    a sum of projections less its own terms) had full rank, and the answer depended on the
    round-off. Without scipy's checks: solved tens of thousands of times for many values."""
    if not a.size:
        return np.eye(a.shape[1])
    _, s, vh = np.linalg.svd(a, full_matrices=True)
    tol = 1e-9 * max(1.0, float(s.max(initial=0.0)))
    return vh[int(np.count_nonzero(s > tol)):].T.copy()


@functools.lru_cache(maxsize=4096)
def scope_null(shown: bytes, n_rings: int) -> NDArray[np.float64]:
    """What a value's base count and its shown scopes' cells leave free over the rings
    (``shown``: the shown scopes' ring masks, as bytes): the same few patterns recur for
    every value, so each is solved once. Read only."""
    rows = np.frombuffer(shown, bool).reshape(-1, n_rings).astype(float)
    out = null_space(np.vstack([np.ones(n_rings), rows]))
    out.flags.writeable = False
    return out
