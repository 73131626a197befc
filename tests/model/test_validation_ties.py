"""The search's validation recall counts a tie at the cut by its expected hits, as the
evaluation does: a fit whose scores tie must not score where its positives sit in the index."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.model.validation import query_recalls


def _log(n_users: int = 60, n_films: int = 40, seed: int = 0
         ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    rng = np.random.default_rng(seed)
    seen = sp.csr_matrix((rng.random((n_users, n_films)) < 0.3).astype(np.float32))
    held = (rng.random((n_users, n_films)) < 0.15) & (seen.toarray() == 0)
    return seen, sp.csr_matrix(held.astype(np.float32))


def test_tied_scores_do_not_depend_on_the_index_order() -> None:
    seen, held = _log()
    n_users, n_films = seen.shape
    uf = np.zeros((n_users, 4), np.float32)  # nothing learned: every score ties at 0
    ff = np.zeros((n_films, 4), np.float32)
    aud, usr = query_recalls(uf, ff, seen, held, k=10, user_k=5, min_films=1)
    # the same log with users and films listed in reverse order
    ru, rf = np.arange(n_users)[::-1], np.arange(n_films)[::-1]
    aud_r, usr_r = query_recalls(uf, ff, seen[ru][:, rf], held[ru][:, rf], k=10, user_k=5,
                                 min_films=1)
    # queries come in index order: compare each film's and each user's own recall
    assert len(aud) == len(aud_r) > 0
    np.testing.assert_allclose(np.sort(aud), np.sort(aud_r))
    np.testing.assert_allclose(np.sort(usr), np.sort(usr_r))
    # and each is chance: min(k, candidates) / candidates of the positives, in expectation
    cands = n_films - np.asarray(seen.sum(axis=1), np.float64).ravel()
    users = np.flatnonzero(np.asarray(held.sum(axis=1)).ravel() > 0)
    pos = np.asarray(held.sum(axis=1), np.float64).ravel()[users]
    want = pos * np.minimum(5, cands[users]) / cands[users] / np.minimum(pos, 5)
    np.testing.assert_allclose(usr, want, rtol=1e-9)


def test_untied_scores_are_unchanged() -> None:
    seen, held = _log(seed=1)
    rng = np.random.default_rng(2)
    uf = rng.normal(size=(seen.shape[0], 4)).astype(np.float32)
    ff = rng.normal(size=(seen.shape[1], 4)).astype(np.float32)
    aud, usr = query_recalls(uf, ff, seen, held, k=10, user_k=5, min_films=1)
    # the top-k reading of the same scores
    s = uf @ ff.T
    s[seen.toarray() > 0] = -np.inf
    top = np.argsort(-s, axis=1, kind="stable")[:, :5]
    h = held.toarray() > 0
    users = np.flatnonzero(h.sum(axis=1) > 0)
    found = np.take_along_axis(h, top, axis=1).sum(axis=1)[users]
    want = found / np.minimum(h.sum(axis=1)[users], 5)
    np.testing.assert_allclose(usr, want)
    assert np.isfinite(aud).all()
