"""``meta.json``'s ``model_version`` tells models apart: the same log trained with other
parameters in the same second gets another version (the Studio reads the version to notice a
reload)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from recommender.io.dataset import Interactions
from recommender.io.ids import IdMap
from recommender.model.config import TrainConfig
from recommender.model.meta import build_meta, model_version


def _log() -> Interactions:
    users = IdMap(["u1", "u2", "u3"])
    films = IdMap(["f1", "f2"])
    return Interactions(users=users, films=films, user_idx=np.array([0, 1, 2], np.int32),
                        film_idx=np.array([0, 1, 0], np.int32),
                        weight=np.ones(3, np.float32), rating=None, timestamp=None,
                        source="synthetic")


def test_other_parameters_on_the_same_log_give_another_version() -> None:
    data = _log()
    a = build_meta(data, TrainConfig(factors=16), 0.0)
    b = build_meta(data, TrainConfig(factors=32), 0.0)
    assert a["data"]["fingerprint"] == b["data"]["fingerprint"]
    # the time part may differ by a second between the two calls; the digest part may not match
    assert a["model_version"].rsplit("-", 1)[1] != b["model_version"].rsplit("-", 1)[1]
    again = build_meta(data, TrainConfig(factors=16), 0.0)
    assert again["model_version"].rsplit("-", 1)[1] == a["model_version"].rsplit("-", 1)[1]


def test_the_version_is_the_time_then_a_digest_of_data_and_parameters() -> None:
    when = datetime(2026, 12, 3, 6, 54, 1, tzinfo=UTC)
    params = TrainConfig().to_dict()
    v = model_version(when, "ab" * 32, params)
    stamp, digits = v.split("-")
    assert stamp == "20261203T065401Z" and len(digits) == 8 and int(digits, 16) >= 0
    assert model_version(when, "ab" * 32, {**params, "alpha": 2.0}) != v
    assert model_version(when, "cd" * 32, params) != v
