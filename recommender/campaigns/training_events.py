"""Stored events folded into a training log (``recommender train --events``).

``with_stored_events`` adds every event of a campaign store to the interactions read from
``--data`` and says what the model's ``meta["events"]`` records of them, so the service's
overlay (``recommender.campaigns.events.trained_through``) starts after them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from recommender.campaigns.erasure import drop_erased, events_kept, read_erasures, without_erased
from recommender.campaigns.events import max_sequence, read_events
from recommender.campaigns.store import open_store
from recommender.campaigns.trained_events import FINGERPRINT, store_fingerprint
from recommender.io.dataset import Interactions
from recommender.model.weighting import event_ratings


def with_stored_events(data: Any, target: str, min_rating: float | None = None
                       ) -> tuple[Any, dict[str, Any]]:
    """``data`` (``Interactions``) plus every event of the store ``target``, merged as the
    readers merge repeated (user, film) pairs (weights summed); returns it and what to record
    in the model's ``meta["events"]`` (store, ``through_seq``, events, and a ``fingerprint``
    of the events up to it, ``trained_events``; ``erased``: the rows of users the store
    erased, left out of the log, and their events it received since, deleted:
    ``recommender.campaigns.erasure``). Events carry no
    rating: where the data has ratings, an event on a pair the data rates keeps that rating
    (below ``min_rating`` the pair stays out of the fit), and one on a new pair gets
    ``weighting.event_rating`` (the median, raised to ``min_rating``: a new view is never left
    out of the fit as disliked); ``event_ratings``."""
    store = open_store(target)
    try:
        erased = read_erasures(store)  # erased users: out of the log and the store
        deleted = drop_erased(store, erased)
        seq = max_sequence(store)
        ev = read_events(store, until=seq)
        store_id = store.store_id()
        # the events at a few sequences up to seq: a store restored from a backup and
        # written to again reuses the numbers (trained_events.trained_events)
        mark = store_fingerprint(store, seq) if seq else ""
    finally:
        store.close()
    data, dropped = without_erased(data, erased)
    ev = events_kept(ev, erased)
    info = {"store": store.url, "store_id": store_id, "through_seq": seq, "events": len(ev)}
    if mark:
        info[FINGERPRINT] = mark
    if erased:
        info["erased"] = {"log_rows": dropped, "store_events_deleted": deleted}
    if len(ev) == 0:
        return data, info
    users = pa.concat_arrays([pa.array(data.users.to_ids(data.user_idx).tolist(), pa.string()),
                              pa.array(ev.user_id.tolist(), pa.string())])
    films = pa.concat_arrays([pa.array(data.films.to_ids(data.film_idx).tolist(), pa.string()),
                              pa.array(ev.film_id.tolist(), pa.string())])
    events_rated = event_ratings(data, ev.user_id, ev.film_id, min_rating)
    rating = None if events_rated is None else np.r_[np.asarray(data.rating, np.float64),
                                                     events_rated]
    ts = None if data.timestamp is None else np.r_[np.asarray(data.timestamp, np.int64),
                                                   ev.timestamp]
    merged = Interactions.from_columns(
        users, films, rating=rating, weight=np.r_[np.asarray(data.weight, np.float64),
                                                  ev.weight],
        timestamp=ts, catalog=data.catalog, user_table=data.user_table,
        source=f"{data.source} + {len(ev)} events from {store.url}")
    # the rows read and merged, and its blank ratings' reading, stay the log's (the events are
    # counted in info)
    return replace(merged, rows_read=data.rows_read, rows_merged=data.rows_merged,
                   unrated=data.unrated, unrated_as=data.unrated_as,
                   blank_ratings=data.blank_ratings), info
