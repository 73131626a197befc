"""A batch of events checked before it is stored: ids, timestamps and weights, each named.

``check_events`` reads a batch as sent (``POST /events``'s rows), ``check_event_times``
refuses an event dated before 1990 or more than a day ahead, and ``_check_values`` checks
the weights and timestamps of a batch whatever path it came by; the first bad event raises
``InvalidParameterError`` naming its index and event_id, and nothing of the batch is stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.campaigns.event_times import LOCAL_CLOCK, first_misdated
from recommender.errors import InvalidParameterError
from recommender.io import convert, text

MAX_ID_LENGTH = 256  # characters of an event_id (its column is String(256))


def id_too_long(name: str, value: str) -> str | None:
    """Why ``value`` is too long for ``name`` (or blank), or None: an event_id past
    ``MAX_ID_LENGTH`` characters; a user or film id of blanks only (no id, as a log's reader
    refuses it: ``convert.BLANK_ID``), a placeholder for a missing id (``NULL``, ``None``,
    ``nan``: ``convert.placeholder_id``) or past the ``convert.MAX_ID_BYTES`` UTF-8 bytes a
    training log may hold (an event is for a user and a film that training knows or will
    know)."""
    if name == "event_id":
        return f"{name} is longer than {MAX_ID_LENGTH} characters" \
            if len(value) > MAX_ID_LENGTH else None
    if re.match(convert.BLANK_ID, value):  # ' ' was stored, a user or film of its own
        return f"{name} is blanks only; expected a non-empty id"
    if convert.placeholder_id(value):  # a user 'None' of every client that lost the id
        return (f"{name} {value!r} is a placeholder for a missing id, not an id; send the "
                "event's id (an id really written so is not told apart from a missing one)")
    if len(value) * 4 <= convert.MAX_ID_BYTES:  # no need to encode
        return None
    size = len(value.encode("utf-8", "surrogatepass"))
    return f"{name} is {size:,} bytes in UTF-8, longer than the {convert.MAX_ID_BYTES:,} a " \
        "training log's ids may be" if size > convert.MAX_ID_BYTES else None
# unix seconds up to the year 5138 (as for training logs): a larger value is milliseconds by
# mistake, and an event that far ahead would never fall in a report's window
MAX_TIMESTAMP = convert.MAX_TIMESTAMP
MAX_WEIGHT = 1e6  # the largest weight of one event (a bound that keeps fold-in finite)


@dataclass
class EventBatch:
    """Checked events as columns (every list the same length)."""

    event_id: list[str]
    user_id: list[str]
    film_id: list[str]
    timestamp: list[int]
    weight: list[float]

    def __len__(self) -> int:
        return len(self.event_id)


def _bad(i: int, event_id: object, reason: str) -> InvalidParameterError:
    shown = f" (event_id {text.clipped(event_id)})" if event_id and type(event_id) is str else ""
    return InvalidParameterError(f"events[{i}]{shown}: {reason}; nothing of this batch was "
                                 "stored")


def _check_id(i: int, eid: object, name: str, value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and name != "event_id":
        value = str(value)
    if not isinstance(value, str) or not value:
        raise _bad(i, eid, f"{name} must be a non-empty string, got {value!r}")
    why = id_too_long(name, value)
    if why is not None:
        raise _bad(i, eid, why)
    return value


def _bad_timestamp(ts: object) -> str:
    """The reason a timestamp outside whole unix seconds in ``[0, MAX_TIMESTAMP]`` is refused
    (one text for ``check_events`` and ``record_events``)."""
    ms = isinstance(ts, int) and MAX_TIMESTAMP < ts <= 1000 * MAX_TIMESTAMP
    return (f"timestamp must be whole unix seconds in [0, {MAX_TIMESTAMP}]"
            f"{' (this looks like milliseconds)' if ms else ''}, got {ts!r}")


def check_events(rows: Sequence[dict[str, Any]], max_batch: int | None = None) -> EventBatch:
    """Check a batch of events (dicts with ``event_id``, ``user_id``, ``film_id``,
    ``timestamp``, optional ``weight`` = 1); the first bad one raises
    ``InvalidParameterError`` naming its index and event_id."""
    if max_batch is not None and len(rows) > max_batch:
        raise InvalidParameterError(f"a batch holds at most {max_batch} events, got "
                                    f"{len(rows)}; send it in several batches")
    out = EventBatch([], [], [], [], [])
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise _bad(i, None, f"expected an object, got {type(row).__name__}")
        eid = row.get("event_id")
        unknown = sorted(set(row) - {"event_id", "user_id", "film_id", "timestamp", "weight"})
        if unknown:
            raise _bad(i, eid, f"unknown field {unknown[0]!r}")
        out.event_id.append(_check_id(i, eid, "event_id", eid))
        out.user_id.append(_check_id(i, eid, "user_id", row.get("user_id")))
        out.film_id.append(_check_id(i, eid, "film_id", row.get("film_id")))
        ts = row.get("timestamp")
        if not isinstance(ts, int) or isinstance(ts, bool) or not 0 <= ts <= MAX_TIMESTAMP:
            raise _bad(i, eid, _bad_timestamp(ts))
        out.timestamp.append(ts)
        w = row.get("weight", 1.0)
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) \
                or not 0 < w <= MAX_WEIGHT:
            raise _bad(i, eid, f"weight must be a number in (0, {MAX_WEIGHT:g}], got {w!r}")
        out.weight.append(float(w))
    return out


def check_event_times(batch: EventBatch, now: float | None = None,
                      clock: str = LOCAL_CLOCK) -> None:
    """Refuse an event dated before 1990 or more than a day after ``now`` (default: this
    clock), naming it (``event_times.first_misdated``): a purchase has happened, after a
    campaign; a 0 (a time left unset) or a date decades ahead (a clock or unit bug) would
    stretch the calibration horizon of a model trained with ``--events``. (The response
    simulation, ``simulate.py``, dates events inside a campaign window on purpose and records
    them without this check.)"""
    found = first_misdated(batch.timestamp, now, clock)
    if found is not None:
        raise _bad(found[0], batch.event_id[found[0]], found[1])


def _check_values(batch: EventBatch) -> None:
    """Weights in ``(0, MAX_WEIGHT]`` and timestamps in ``[0, MAX_TIMESTAMP]`` (unix seconds,
    as the readers take them), whatever path the batch came by."""
    ts = np.asarray(batch.timestamp, np.float64)
    bad_ts = ~((ts >= 0) & (ts <= MAX_TIMESTAMP))
    if bad_ts.any():
        i = int(np.flatnonzero(bad_ts)[0])
        raise _bad(i, batch.event_id[i], _bad_timestamp(batch.timestamp[i]))
    w = np.asarray(batch.weight, np.float64)
    bad = ~(np.isfinite(w) & (w > 0) & (w <= MAX_WEIGHT))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(i, batch.event_id[i], f"weight must be a number in (0, {MAX_WEIGHT:g}], "
                                         f"got {batch.weight[i]!r}")
