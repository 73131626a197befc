"""When an event may be dated: from 1990 on, and at most a day past the receiving clock.

An event is a response to a campaign (a ticket, a view): ``POST /events`` and ``events
import`` refuse a time before ``MIN_EVENT_TIMESTAMP`` (1990-01-01 UTC), naming the event: a 0
(1970-01-01) or a small number is a time left unset or mangled, which no report's window
holds, and which ``train --events`` would take as the oldest interaction of its log. A time
more than ``FUTURE_SLACK`` seconds ahead is refused too (a clock or unit bug). The store
itself keeps what it is given (``events.record_events`` checks whole seconds in ``[0,
MAX_TIMESTAMP]``), so events recorded before this rule stay readable.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from recommender.io.convert import MAX_TIMESTAMP, unit_hint
from recommender.io.text import iso_utc

MIN_EVENT_TIMESTAMP = 631_152_000  # 1990-01-01 00:00:00 UTC
FUTURE_SLACK = 86_400  # seconds past the receiving clock an event may be dated (clock skew)
NO_DATE = "no date"  # a time past what the platform's clock functions take
LOCAL_CLOCK = "this machine's clock"  # the clock a CLI checks by (the service: SERVER_CLOCK)
SERVER_CLOCK = "the server's clock"


def too_early(ts: int, named: bool = True) -> str:
    """Why an event dated ``ts``, before ``MIN_EVENT_TIMESTAMP``, is refused (``named``:
    beginning with the timestamp, which a 422 of the service says after, as what it got)."""
    when = iso_utc(ts, NO_DATE)
    return (f"{f'timestamp {ts} ({when}) is' if named else f'dated {when},'} before "
            f"1990-01-01 (unix {MIN_EVENT_TIMESTAMP}): an event is a response to a campaign; "
            "expected when it happened, in unix seconds (a 0 is often a time left unset)")


def too_late(ts: int, limit: float, clock: str = LOCAL_CLOCK) -> str:
    """Why a time ``ts`` past ``limit`` (the receiving ``clock`` plus ``FUTURE_SLACK``) is
    refused, one wording for events (``POST /events``, ``events import``) and sends
    (``wave_sends``): ``ts`` is said first, with its ISO 8601 time, and a number past
    ``MAX_TIMESTAMP`` gets the hint of its likely unit (``io.convert.unit_hint``)."""
    hint = f" {unit_hint(float(ts))}" if ts > MAX_TIMESTAMP else ""
    return (f"{ts} ({iso_utc(ts, NO_DATE)}) is in the future (after {int(limit)} "
            f"({iso_utc(int(limit), NO_DATE)}): more than a day, {FUTURE_SLACK:,} seconds, "
            f"past {clock}){hint}")


def seconds_expected(value: float) -> str:
    """What a number past ``MAX_TIMESTAMP`` should have been, one wording for events and sends
    (``whole unix seconds, at most ...: milliseconds? divide by 1,000``, the hint
    ``io.convert.unit_hint`` gives a log and ``train``)."""
    return f"whole unix seconds, at most {MAX_TIMESTAMP:,}: {unit_hint(value)[1:-1]}"


def first_misdated(timestamps: Sequence[int] | NDArray[np.integer], now: float | None = None,
                   clock: str = LOCAL_CLOCK) -> tuple[int, str] | None:
    """(position, reason) of the first timestamp before ``MIN_EVENT_TIMESTAMP`` or more than
    ``FUTURE_SLACK`` seconds after ``now`` (default: this clock; ``clock`` names it in the
    reason), or None."""
    limit = (time.time() if now is None else now) + FUTURE_SLACK
    ts = np.asarray(timestamps, np.int64)
    if not len(bad := np.flatnonzero((ts < MIN_EVENT_TIMESTAMP) | (ts > limit))):
        return None
    i = int(bad[0])
    if ts[i] < MIN_EVENT_TIMESTAMP:
        return i, too_early(int(ts[i]))
    return i, f"timestamp {too_late(int(ts[i]), limit, clock)}; expected when the event happened"
