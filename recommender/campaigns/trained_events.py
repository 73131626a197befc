"""Whether a campaign store still holds the events a model was trained through (``--events``).

``train --events`` records the store's id and the last sequence it folded in
(``meta["events"]["through_seq"]``); the overlay then applies the store's events after that
sequence. A store restored from a backup keeps its id, and its next imports reuse the
sequence numbers of the events it lost: a model trained through 20,016 ignored the 20,000
new events stored under 17-20,016 (``events status`` said "0 events after it apply"). So
training also records a fingerprint of the events at a few sequences (:func:`fingerprint`:
``through_seq`` itself, ``through_seq - 1, -2, -4, -8, ...`` and 1, each one primary-key
look-up in one query), their film, timestamp and weight (not their event id or user, which
``forget`` replaces with a tombstone in place: an erasure is no restore). Where the store's
rows there are missing or differ, the store's events are not those the model was trained
with: :func:`trained_events` says so (``Trained.gone``) and every event of the store applies,
as for a model trained without them, until the model is retrained. A model recorded before
the fingerprint (no ``fingerprint`` key) is matched by id alone, as before. Until the model is
retrained, the events it was trained with that the store still holds (those before the
backup) are folded in a second time: their films were seen already and stay excluded, and
their users' vectors count them twice (under the ``rating`` scheme a rated pair is unchanged).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.store import CampaignStore

FINGERPRINT = "fingerprint"  # meta["events"]'s key
_SCHEME = "sha256-v2:"  # v1 (never released) hashed the event id and user too


def sampled(through: int) -> list[int]:
    """The sequences a fingerprint reads: ``through``, ``through - 2**k + 1``... down to 1."""
    out, step = [through], 1
    while through - step >= 1:
        out.append(through - step)
        step *= 2
    if through > 1:
        out.append(1)
    return sorted(set(out))


def fingerprint(conn: Connection, through: int) -> str:
    """A fingerprint of the events at the sequences :func:`sampled` names (a missing one
    counted as missing): equal on a copy or a backup of the store, different where a
    restore was followed by other events under the same numbers."""
    return _read(conn, through)[0]


def _read(conn: Connection, through: int) -> tuple[str, bool]:
    """(:func:`fingerprint`, whether the store holds an event at ``through``)."""
    from recommender.campaigns.events import events

    c = events.c
    seqs = sampled(through)
    rows = {int(r[0]): r for r in conn.execute(
        sa.select(c.seq, c.film_id, c.timestamp, c.weight)
        .where(c.seq.in_(seqs)))}
    h = hashlib.sha256()
    for s in seqs:
        r = rows.get(s)
        line = (f"{s}\x00-" if r is None else
                "\x00".join((str(s), str(r[1]), str(int(r[2])), float(r[3]).hex())))
        h.update(line.encode("utf-8", "surrogateescape") + b"\n")
    return _SCHEME + h.hexdigest(), through in rows


def store_fingerprint(store: CampaignStore, through: int) -> str:
    with store.engine.connect() as conn:
        return fingerprint(conn, through)


@dataclass(frozen=True)
class Trained:
    """The last sequence of a store a model's training folded in (0: none of its events),
    and ``gone``: why the store no longer holds the events the model was trained through
    (None where it does, or where the model recorded no fingerprint)."""

    through: int
    gone: str | None = None


def trained_events(meta: dict[str, Any], store: CampaignStore) -> Trained:
    """What ``meta["events"]`` (``train --events``) says of ``store`` (module docstring)."""
    from recommender.campaigns.events import same_store

    info = meta.get("events") or {}
    if not isinstance(info, dict) or not info.get("through_seq"):
        return Trained(0)
    if info.get("store_id"):
        mine = info["store_id"] == store.store_id()
    else:
        mine = same_store(str(info.get("store", "")), store)
    if not mine:
        return Trained(0)
    through = int(info["through_seq"])
    kept = info.get(FINGERPRINT)
    if not kept:  # recorded before fingerprints: matched by id (or URL) alone
        return Trained(through)
    with store.engine.connect() as conn:
        now, held = _read(conn, through)
    if now == kept:
        return Trained(through)
    why = (f"holds no event at sequence {through:,}, the last one the model was trained "
           "through" if not held else f"holds other events up to sequence {through:,} than "
           "those the model was trained through")
    return Trained(0, f"the campaign store {store.url} {why} (restored from a backup, then "
                      "written to?): every event of the store is applied as new, also those "
                      "the model was trained with; retrain the model (train --events) on "
                      "this store")
