"""The search's validation split holds out each user's latest interactions; of those tied at
the cut, which ones must not follow the order films are listed in. Merged interactions are in
(user, film) order, so by position a log of dates held out, of each user's films at their
latest date, the films first listed last in the log. Oracle: the rule itself (every film of a
tied set is held out with the same chance, the later time before the earlier, the count
``round(share x the user's interactions)``), counted over many users."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from recommender.io.dataset import Interactions
from recommender.model.tuning import VALIDATION_SHARE
from recommender.model.validation import per_user_latest


def _dated_log(n_users: int = 3000) -> Interactions:
    """Each user: 5 films on an earlier date, then 5 on their last date (10 films: 2 held)."""
    rng = np.random.default_rng(0)
    users, films, stamps = [], [], []
    for u in range(n_users):
        day = 1_600_000_000 + 86_400 * int(rng.integers(30))  # the user's first date
        for k, f in enumerate(rng.choice(200, 10, replace=False)):
            users.append(f"u{u}")
            films.append(f"f{f:03d}")
            stamps.append(day + 86_400 * (k >= 5))
    return Interactions.from_columns(pa.array(users), pa.array(films),
                                     timestamp=np.asarray(stamps, np.int64))


def test_a_user_s_tied_latest_films_are_held_out_alike() -> None:
    data = _dated_log()
    assert data.timestamp is not None
    held = per_user_latest(data.user_idx, data.timestamp, VALIDATION_SHARE)
    last = np.zeros(data.n_users, np.int64)
    np.maximum.at(last, data.user_idx, data.timestamp)
    at_last = data.timestamp == last[data.user_idx]
    # round(0.2 x 10) = 2 a user, all from their last date
    assert np.array_equal(np.bincount(data.user_idx[held], minlength=data.n_users),
                          np.full(data.n_users, 2))
    assert not (held & ~at_last).any()
    # of the 5 tied films, by their place in the film index (the log's listing order), each
    # place is held out 2 times in 5: by position the last two places always were
    tied = np.flatnonzero(at_last)
    order = np.lexsort((data.film_idx[tied], data.user_idx[tied]))
    place = np.tile(np.arange(5), data.n_users)
    share = np.bincount(place, weights=held[tied[order]], minlength=5) / data.n_users
    assert np.all(np.abs(share - 0.4) < 0.05), share
    # and another seed draws other films, the same seed the same ones
    again = per_user_latest(data.user_idx, data.timestamp, VALIDATION_SHARE, seed=0)
    other = per_user_latest(data.user_idx, data.timestamp, VALIDATION_SHARE, seed=4)
    assert np.array_equal(held, again) and not np.array_equal(held, other)
