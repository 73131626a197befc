"""``city_labels`` is read by the service's request threads at once: its cache of labels per
city column was pruned while another thread added to it, which raised 'dictionary changed size
during iteration' (or a KeyError) out of a filtered audience request. (It keeps them per model
in a ``Kept`` now; the threads still each get their own model's labels.)"""

from __future__ import annotations

import sys
import threading
from typing import cast

import numpy as np

from recommender.io.dataset import UserTable
from recommender.model.model import Model
from recommender.query.cities import city_labels


class _Users:
    """What ``city_labels`` reads of a model: its user table (a whole model per call would
    take the test minutes)."""

    def __init__(self, city: np.ndarray, region: np.ndarray) -> None:
        self.user_table = UserTable(np.arange(len(city)).astype(str),
                                    {"city": city, "region": region})


def _model(city: np.ndarray, region: np.ndarray) -> Model:
    return cast(Model, _Users(city, region))


def test_threads_reading_new_columns_at_once_all_get_their_labels() -> None:
    held = [_model(np.array(["S", "S"]), np.array(["N", "M"])) for _ in range(200)]  # live
    for model in held:
        city_labels(model)
    errors: list[str] = []

    def work() -> None:
        for _ in range(1500):  # each a new model: a miss, a prune, an insert
            model = _model(np.array(["S", "S", "A"]), np.array(["N", "M", "N"]))
            try:
                got = city_labels(model)
            except Exception as e:  # noqa: BLE001 - what the race raised
                errors.append(repr(e))
                return
            if got is None or got.tolist() != ["S (N)", "S (M)", "A"]:
                errors.append(f"labels {got!r}")
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, as under load
    try:
        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors, errors[:3]
