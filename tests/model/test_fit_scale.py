"""A log whose confidence values are huge (weights of 1e30 read by ``--weighting rating``) is
refused naming them: the factorised EASE fit reached taste vectors of ~1e30 and was written,
every score inf or NaN (empty audiences and recommendations, no word), and ALS's divergence
told the user to lower --learning-rate or raise --regularization, which changes nothing.

Oracle: the weights planted in the log (1e30 in the message; a log of weights 1 trains)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from recommender.errors import InvalidParameterError
from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from recommender.model.training import train
from tests.service_fixtures import build_interactions


def weighted(weight: float) -> Interactions:
    base = build_interactions(n_users=40, n_films=20, per_user=6, seed=3)
    return Interactions.from_columns(
        pa.array(base.users.ids[base.user_idx]), pa.array(base.films.ids[base.film_idx]),
        weight=np.full(len(base), weight), source="weighted")


@pytest.mark.parametrize("family", ["als", "ease"])
def test_huge_confidence_is_named_and_nothing_is_trained(family: str) -> None:
    config = TrainConfig(family=family, weighting="rating", factors=4, iterations=4,
                         segments=2, holdout=0.0, tune=False)
    with pytest.raises(InvalidParameterError, match=r"confidence values reach [13]e\+30 "
                                                    r"\(--weighting rating"):
        train(weighted(1e30), config, progress=False)
    model = train(weighted(1.0), config, progress=False)  # the same log at a sane scale
    assert np.isfinite(model.user_factors).all() and np.isfinite(model.film_factors).all()


def test_a_huge_alpha_is_named_not_the_weighting() -> None:
    """ALS scales confidence by --alpha: a log of weights 1 (--weighting binary) at --alpha
    1e12 diverged and was told to rescale its ratings and "train with --weighting binary or
    log", the weighting it had. Oracle: alpha 1e12 times values of 1 is 1e12."""
    config = TrainConfig(family="als", model="als", weighting="binary", alpha=1e12, factors=4,
                         iterations=4, segments=2, holdout=0.0, tune=False)
    with pytest.raises(InvalidParameterError, match=r"reach 1e\+12 \(--alpha 1e\+12 times "
                                                    r"--weighting binary's values of at most "
                                                    r"1\): lower --alpha$"):
        train(weighted(1.0), config, progress=False)
