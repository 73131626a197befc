"""Train/test splits under three protocols, and validation splits carved out of training.

Protocols (:func:`make_split`):

- ``random``: a seeded random 80/20 split of the interactions.
- ``time``: a global time split: train on the interactions up to the 80th-percentile timestamp,
  test on the later ones. Films first seen after the cut-off feed the cold-start evaluation.
- ``user``: strong generalisation: 20% of the users are held out of training entirely; each
  held-out user's history is split 80/20 into a fold-in part (given to the model at scoring
  time) and a test part.

In every protocol only users and films known in training are scored, and test interactions
already present in the history are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError
from recommender.io.dataset import Interactions

PROTOCOLS = ("random", "time", "user")
TEST_SHARE = 0.2
Index = NDArray[np.int64]


@dataclass
class Split:
    """One train/test split over the full data's id maps (indices are shared).

    ``train`` is what models are fitted on. ``history`` holds the evaluated users' known
    interactions: it is ``train`` itself except under the ``user`` protocol, where it is the
    held-out users' fold-in part. ``users`` are the evaluated users (audience candidates),
    ``films`` the films known in training. ``new_films`` (time protocol) are test interactions
    of evaluated users on films first seen after the cut-off.
    """

    protocol: str
    train: Interactions
    history: Interactions
    test: Interactions
    users: Index
    films: Index
    new_films: Interactions | None = None
    cutoff: int | None = None

    @property
    def fold_in(self) -> bool:
        return self.history is not self.train

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "protocol": self.protocol,
            "train_interactions": len(self.train),
            "test_interactions": len(self.test),
            "evaluated_users": len(self.users),
            "known_films": len(self.films),
            # the users an audience ranks: the evaluated users (every user with a training
            # interaction; under the user protocol the held-out users folded in, not the
            # training users, who are never candidates)
            "known_users": len(self.users),
        }
        if self.fold_in:
            out["fold_in_interactions"] = len(self.history)
        if self.cutoff is not None:
            out["cutoff_timestamp"] = self.cutoff
        if self.new_films is not None:
            out["new_film_interactions"] = len(self.new_films)
        return out


def make_split(data: Interactions, protocol: str = "random", seed: int = 0,
               share: float = TEST_SHARE) -> Split:
    """Split ``data`` under ``protocol`` (``random``, ``time`` or ``user``); see the module doc.

    Raises ``InvalidParameterError`` for an unknown protocol, a share outside (0, 1), or the
    time protocol on data without timestamps.
    """
    if not 0 < share < 1:
        raise InvalidParameterError(f"test share must be in (0, 1), got {share}")
    if protocol == "random":
        return random_split(data, seed, share)
    if protocol == "time":
        return time_split(data, share)
    if protocol == "user":
        return user_split(data, seed, share)
    raise InvalidParameterError(f"protocol must be one of {', '.join(PROTOCOLS)}, "
                                f"got {protocol!r}")


def random_split(data: Interactions, seed: int = 0, share: float = TEST_SHARE) -> Split:
    n = len(data)
    test = np.zeros(n, bool)
    test[np.random.default_rng(seed).permutation(n)[: int(round(n * share))]] = True
    return _known_only("random", data, ~test, test)


def time_split(data: Interactions, share: float = TEST_SHARE) -> Split:
    if data.timestamp is None:
        raise InvalidParameterError(
            f"the time protocol needs timestamps and {data.source or 'this data'} has none; "
            "use --protocol random or user")
    cutoff = int(np.quantile(data.timestamp, 1.0 - share, method="lower"))
    train = data.timestamp <= cutoff
    split = _known_only("time", data, train, ~train)
    known_users = _present(split.train.user_idx, data.n_users)
    known_films = _present(split.train.film_idx, data.n_films)
    new = ~train & known_users[data.user_idx] & ~known_films[data.film_idx]
    return replace(split, new_films=data.subset(new), cutoff=cutoff)


def user_split(data: Interactions, seed: int = 0, share: float = TEST_SHARE) -> Split:
    rng = np.random.default_rng(seed)
    per_user = np.bincount(data.user_idx, minlength=data.n_users)
    eligible = np.flatnonzero(per_user >= 2)
    held_users = np.zeros(data.n_users, bool)
    held_users[rng.choice(eligible, int(round(len(eligible) * share)), replace=False)] = True
    held = held_users[data.user_idx]
    to_test = rng.random(len(data)) < share
    train = data.subset(~held)
    known_films = _present(train.film_idx, data.n_films)
    history = data.subset(held & ~to_test & known_films[data.film_idx])
    has_history = _present(history.user_idx, data.n_users)
    test = held & to_test & known_films[data.film_idx] & has_history[data.user_idx]
    # a pair given twice (hand-built input) may draw one copy into the fold-in part and the
    # other into the test part: it is seen, so no scorer could rank it, yet it was a positive
    test &= ~np.isin(_pair_keys(data, data.user_idx, data.film_idx),
                     _pair_keys(data, history.user_idx, history.film_idx))
    return Split("user", train, history, data.subset(test), np.flatnonzero(has_history),
                 np.flatnonzero(known_films))


def _known_only(protocol: str, data: Interactions, train_mask: NDArray[np.bool_],
                test_mask: NDArray[np.bool_]) -> Split:
    train = data.subset(train_mask)
    known_users = _present(train.user_idx, data.n_users)
    known_films = _present(train.film_idx, data.n_films)
    keep = test_mask & known_users[data.user_idx] & known_films[data.film_idx]
    # merged interactions hold each (user, film) once, but inputs built by hand may not
    keep &= ~np.isin(_pair_keys(data, data.user_idx, data.film_idx),
                     _pair_keys(data, train.user_idx, train.film_idx))
    return Split(protocol, train, train, data.subset(keep), np.flatnonzero(known_users),
                 np.flatnonzero(known_films))


def _present(idx: NDArray[np.integer], n: int) -> NDArray[np.bool_]:
    return np.bincount(idx, minlength=n)[:n] > 0


def _pair_keys(data: Interactions, u: NDArray[np.integer], f: NDArray[np.integer]
               ) -> NDArray[np.int64]:
    return u.astype(np.int64) * max(data.n_films, 1) + f.astype(np.int64)


def validation_split(split: Split, seed: int = 0) -> Split:
    """A split of ``split.train`` alone under the same protocol (tuning never sees the test)."""
    return make_split(split.train, split.protocol, seed + 1)


