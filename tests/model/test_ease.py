"""The factorised EASE: at full rank its dot products are EASE's scores (a dense numpy EASE
is the oracle), the randomised decomposition agrees with the exact one, fits are deterministic
and a fit too large for memory is refused before it starts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.model import ease


def random_log(seed: int = 0, n_users: int = 150, n_films: int = 40, density: float = 0.15
               ) -> NDArray[np.float64]:
    rng = np.random.default_rng(seed)
    x = (rng.random((n_users, n_films)) < density).astype(np.float64)
    x[rng.integers(n_users, size=n_films), np.arange(n_films)] = 1.0  # every film seen
    return x


def dense_ease(x: NDArray[np.float64], lam: float) -> NDArray[np.float64]:
    """Steck's closed form: B = I - P / diag(P), diag(B) = 0; scores X B."""
    p = np.linalg.inv(x.T @ x + lam * np.eye(x.shape[1]))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return x @ b


def order(scores: NDArray[np.float64], candidates: NDArray[np.bool_]) -> list[int]:
    idx = np.flatnonzero(candidates)
    return idx[np.lexsort((idx, -scores[idx]))].tolist()


@pytest.mark.parametrize("lam", [2.0, 50.0])
def test_full_rank_ranks_films_and_users_exactly_like_dense_ease(lam: float) -> None:
    x = random_log()
    want = dense_ease(x, lam)
    fit = ease.fit(sp.csr_matrix(x), rank=x.shape[1], lam=lam)
    got = fit.user_factors.astype(np.float64) @ fit.film_factors.T.astype(np.float64)
    unseen = x == 0
    # the scores of unwatched films are EASE's (float32 factors: rounding only)
    np.testing.assert_allclose(got[unseen], want[unseen], atol=2e-5 * np.abs(want).max())
    # films for each user, and users for each film (among those who have not watched it)
    for u in range(x.shape[0]):
        assert order(got[u], unseen[u]) == order(want[u], unseen[u])
    for f in range(x.shape[1]):
        assert order(got[:, f], unseen[:, f]) == order(want[:, f], unseen[:, f])


def test_a_user_vector_is_the_users_row_times_the_projection() -> None:
    x = random_log(seed=1)
    fit = ease.fit(sp.csr_matrix(x), rank=12, lam=10.0)
    np.testing.assert_allclose(x @ fit.projection.astype(np.float64), fit.user_factors,
                               rtol=1e-5, atol=1e-6)
    assert fit.user_factors.dtype == fit.film_factors.dtype == np.float32
    assert fit.film_factors.shape == fit.projection.shape == (x.shape[1], 12)


def test_randomised_decomposition_agrees_with_the_exact_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # ten taste groups of eight films and a little noise: a spectrum with a gap after ten
    rng = np.random.default_rng(2)
    taste = rng.integers(10, size=300)
    dense = (rng.random((300, 80)) < 0.6) & (np.arange(80)[None, :] // 8 == taste[:, None])
    x = sp.csr_matrix((dense | (rng.random((300, 80)) < 0.03)).astype(np.float64))
    exact = ease.fit(x, rank=10, lam=30.0)
    monkeypatch.setattr(ease, "MAX_DENSE_FILMS", 10)
    approx = ease.fit(x, rank=10, lam=30.0)
    assert (exact.method, approx.method) == ("dense", "randomised")
    np.testing.assert_allclose(approx.singular_values, exact.singular_values, rtol=1e-3)
    s_exact = exact.user_factors @ exact.film_factors.T
    s_approx = approx.user_factors @ approx.film_factors.T
    np.testing.assert_allclose(s_approx, s_exact, atol=1e-2 * np.abs(s_exact).max())


def test_fits_are_deterministic_and_drop_empty_directions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    x = sp.csr_matrix(random_log(seed=3, n_users=200, n_films=60))
    monkeypatch.setattr(ease, "MAX_DENSE_FILMS", 10)
    a, b = ease.fit(x, 16, 20.0, seed=4), ease.fit(x, 16, 20.0, seed=4)
    np.testing.assert_array_equal(a.user_factors, b.user_factors)
    np.testing.assert_array_equal(a.film_factors, b.film_factors)
    # rank 3 data asked for rank 10: three directions come back, exactly EASE's scores
    rng = np.random.default_rng(5)
    low = np.repeat(np.eye(3), 10, axis=1)[rng.integers(3, size=50)]  # 3 distinct rows
    fit = ease.fit(sp.csr_matrix(low), rank=10, lam=5.0)
    assert fit.user_factors.shape[1] == 3
    want = dense_ease(low, 5.0)
    unseen = low == 0
    np.testing.assert_allclose((fit.user_factors @ fit.film_factors.T)[unseen], want[unseen],
                               atol=1e-5)


def test_a_fit_too_large_is_refused_before_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidParameterError, match="GiB"):
        ease.check_size(50_000, 40_000, 40_000)  # every direction of 40k films: 38 GB
    ease.check_size(1_000, 40_000, 40_000)  # ... but 1,000 users span at most 1,000
    with pytest.raises(InvalidParameterError, match="lower rank"):
        ease.check_size(10_000_000, 30_000, 4096)
    ease.check_size(138_000, 27_000, 256)  # the ML-20M shape at rank 256 fits
    monkeypatch.setattr(ease, "MAX_WORK_BYTES", 1000)
    with pytest.raises(InvalidParameterError, match="ALS"):
        ease.fit(sp.csr_matrix(random_log()), 8, 1.0)
    with pytest.raises(InvalidParameterError):
        ease.fit(sp.csr_matrix(random_log()), 8, 0.0)


def test_fewer_users_than_films_decompose_exactly_through_the_users_gram() -> None:
    """60 users x 200 films: the users x users Gram matrix gives every direction, and the
    scores are Steck's closed form on the films x films one."""
    x = random_log(seed=6, n_users=60, n_films=200, density=0.1)
    assert ease.work_bytes(60, 200, 60)[0] == "dense-users"
    assert ease.exact(60, 200, 60) and not ease.exact(60_000, 200_000, 64)
    fit = ease.fit(sp.csr_matrix(x), rank=60, lam=10.0)
    assert fit.method == "dense-users" and fit.user_factors.shape[1] <= 60
    want = dense_ease(x, 10.0)
    got = fit.user_factors.astype(np.float64) @ fit.film_factors.T.astype(np.float64)
    unseen = x == 0
    np.testing.assert_allclose(got[unseen], want[unseen], atol=2e-5 * np.abs(want).max())
    # the right singular vectors are orthonormal, as the films Gram's eigenvectors are
    s2, v = ease.spectrum(sp.csr_matrix(x), 60)
    np.testing.assert_allclose(v.T @ v, np.eye(v.shape[1]), atol=1e-8)
    np.testing.assert_allclose(np.sort(s2)[::-1], s2)


@pytest.mark.parametrize("shape", [(150, 40), (30, 80)])  # films' Gram, users' Gram
def test_the_factors_do_not_depend_on_lapacks_choice_of_eigenvector_signs(
        shape: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    """LAPACK's eigenvectors came out with other signs under another BLAS thread count
    (OMP_NUM_THREADS=1 against every core): the same scores, but a model's arrays differed."""
    import scipy.linalg

    x = sp.csr_matrix(random_log(3, *shape))
    before = ease.fit(x, 16, 30.0)
    eigh = scipy.linalg.eigh

    def flipped(*args: object, **kwargs: object) -> tuple[NDArray[np.float64], ...]:
        vals, vecs = eigh(*args, **kwargs)
        return vals, vecs * np.where(np.arange(vecs.shape[1]) % 2 == 0, -1.0, 1.0)

    monkeypatch.setattr(scipy.linalg, "eigh", flipped)
    after = ease.fit(x, 16, 30.0)
    for name in ("user_factors", "film_factors", "projection"):
        assert np.array_equal(getattr(before, name), getattr(after, name)), name


def test_a_tie_in_magnitude_does_not_leave_the_sign_to_rounding() -> None:
    """Users {a, b}, {a}, {b}: the eigenvector of s^2 = 1 is (1, -1) / sqrt 2 in exact
    arithmetic, and eigh gave one entry or the other an ulp larger (by the films' order; by
    the BLAS's rounding): the largest entry alone left its sign to that ulp."""
    h = 0.7071067811865476
    lo = np.nextafter(h, 0.0)
    one = np.array([[h], [-lo], [0.0]])
    other = np.array([[-lo], [h], [0.0]])  # the same direction, negated, the ulp elsewhere
    np.testing.assert_allclose(ease._signed(one), ease._signed(other), atol=1e-15)
    assert ease._signed(one)[0, 0] > 0
    zero = np.zeros((3, 1))
    assert np.array_equal(ease._signed(zero), zero)
    assert ease._signed(np.zeros((0, 2))).shape == (0, 2)
