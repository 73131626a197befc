"""A model the service derives from events of its known users (``serving.overlay``) keeps the
base model's user table: its town labels are the base model's, not worked out again. Kept per
model, a 0.25 s events poll derived a new model each time, and the next filtered request on
``city`` worked the labels out again (about a second per million users); a derived model
with a new user has a new table, so new labels. Threads asking at once wait for one."""

from __future__ import annotations

from typing import Any

import numpy as np
from helpers import synthetic_model

from recommender.query.cities import city_labels
from recommender.serving.overlay import Overlay


def test_a_derived_model_with_its_users_keeps_their_labels() -> None:
    base = synthetic_model(n_users=60, n_films=6, seed=2)
    base.user_table.attributes["city"] = np.array(["S", "S", "A"] * 20)
    base.user_table.attributes["region"] = np.array(["N", "M", "N"] * 20)
    labels = city_labels(base)
    assert labels is not None and labels[:3].tolist() == ["S (N)", "S (M)", "A"]
    overlay = Overlay(base)
    overlay.apply(np.array([str(base.users.ids[0])]), np.array([str(base.films.ids[0])]),
                  np.ones(1), 1)
    derived = overlay.model()
    assert derived is not base and derived.user_table is base.user_table
    assert city_labels(derived) is labels  # the same table: the same labels, not again
    # a new user: a new table, whose labels are worked out for it
    overlay.apply(np.array(["newcomer"]), np.array([str(base.films.ids[0])]), np.ones(1), 2)
    grown = overlay.model()
    again = city_labels(grown)
    assert again is not None and len(again) == 61 and again[-1] == ""
    assert again[:60].tolist() == labels.tolist()


def test_concurrent_first_filters_work_the_labels_out_once(monkeypatch: Any) -> None:
    """The service's request threads filtering on city at once after a reload each worked the
    labels out (the cache before ``Kept`` made them wait for one, as the title index does)."""
    import threading
    import time

    from recommender.query import cities

    worked: list[int] = []
    real = cities.homonym_names

    def slow(city: Any, region: Any) -> Any:
        worked.append(1)
        time.sleep(0.2)  # a million users' labels: the other threads arrive meanwhile
        return real(city, region)

    monkeypatch.setattr(cities, "homonym_names", slow)
    model = synthetic_model(n_users=30, n_films=5, seed=4)
    model.user_table.attributes["city"] = np.array(["S", "S", "A"] * 10)
    model.user_table.attributes["region"] = np.array(["N", "M", "N"] * 10)
    start = threading.Barrier(8)
    got: list[Any] = []

    def ask() -> None:
        start.wait()
        got.append(city_labels(model))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and all(g is got[0] for g in got) and got[0][0] == "S (N)"
    assert len(worked) == 1
