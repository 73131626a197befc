"""``city_labels`` is read by the service's request threads at once: its cache of labels per
city column was pruned while another thread added to it, which raised 'dictionary changed size
during iteration' (or a KeyError) out of a filtered audience request."""

from __future__ import annotations

import sys
import threading

import numpy as np

from recommender.query.cities import city_labels


def test_threads_reading_new_columns_at_once_all_get_their_labels() -> None:
    held = [(np.array(["S", "S"]), np.array(["N", "M"])) for _ in range(200)]  # live columns
    for city, region in held:
        city_labels({"city": city, "region": region})
    errors: list[str] = []

    def work() -> None:
        for _ in range(1500):  # each a new column: a miss, a prune, an insert
            city, region = np.array(["S", "S", "A"]), np.array(["N", "M", "N"])
            try:
                got = city_labels({"city": city, "region": region})
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
