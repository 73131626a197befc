"""Events keyed by a pseudonymised list's ids, read as the ids those pseudonyms stand for.

A pseudonymised plan or audience (README "Security") reaches a partner as ``p-`` and the
HMAC-SHA256 of each user id under the engine's key, and its responses come back keyed so.
With ``events import --pseudonymized`` or ``POST /events?pseudonymized=true`` each
``user_id`` is read as the id whose pseudonym it is among the ids the engine knows: the
model's users, then the store's (its plan rows' users and its events' users). An HMAC cannot
be inverted, so the known ids are hashed (``query.pseudonym.pseudonyms``, the one definition)
into a table of digests sorted once, in which a batch's distinct pseudonyms are found at once
(``numpy.searchsorted``). The table of a model's users is kept for the next batch, per key,
and extended by the users a served overlay appends (a model of other users is hashed anew);
the store's (one of its plans' users, one of its events' users per writer: over HTTP a key's
batch is read against its own events, not every key's) are built only when a pseudonym is no
model user's, and extended by the plans and events stored since. A batch holding an id that
is not a pseudonym, or a pseudonym of no known id, is refused whole
(``UnmappedPseudonymError``, naming the first such row and counting them), but for the
pseudonym of a person ``forget`` erased with the key given (``erased_pseudonyms``): those rows
are ``unmasked_rows``' erased ones, whose events the caller counts as erased and stores not.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from numpy.typing import NDArray

from recommender.campaigns.events import events
from recommender.campaigns.pseudonymous import pseudonym_rows
from recommender.campaigns.store import plan_rows, plans
from recommender.errors import InvalidParameterError, clipped
from recommender.query.pseudonym import PREFIX, pseudonyms

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore
    from recommender.io.ids import IdMap
    from recommender.model.model import Model

DIGEST = 32  # bytes of an HMAC-SHA256
_HASH_CHUNK = 65_536  # ids hashed at a time (their hex pseudonyms are held a chunk at a time)
_CHUNK = 500  # plan ids per IN (...) of a store read
_N = TypeVar("_N")
_V = TypeVar("_V")
_NIBBLE = np.full(256, 255, np.uint8)  # a hex digit's value; 255: not a lower-case hex digit
_NIBBLE[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16, dtype=np.uint8)


class UnmappedPseudonymError(InvalidParameterError):
    """A batch sent as pseudonymised holds a ``user_id`` that is not a pseudonym, or one of no
    id the engine knows: ``row`` is the first such (0-based), ``reason`` says why, ``plain``
    whether it is not a pseudonym."""

    def __init__(self, row: int, reason: str, plain: bool = False) -> None:
        super().__init__(reason)
        self.row, self.reason, self.plain = row, reason, plain


def _digests(hexed: Sequence[str]) -> NDArray[np.bytes_]:
    """The 32-byte digests of pseudonyms (``p-`` and 64 lower-case hex digits each), decoded
    at once: one array of their characters, two table look-ups per byte."""
    size = len(PREFIX) + 2 * DIGEST
    chars = np.frombuffer("".join(hexed).encode("ascii"), np.uint8).reshape(-1, size)
    nibbles = _NIBBLE[chars[:, len(PREFIX):]]
    if (nibbles > 15).any():
        raise ValueError("not a pseudonym: expected 64 lower-case hex digits after p-")
    out = (nibbles[:, 0::2] << 4) | nibbles[:, 1::2]
    return np.ascontiguousarray(out).view(f"S{DIGEST}").reshape(-1)


def _hashed(ids: list[str], key: bytes) -> tuple[list[str], NDArray[np.bytes_]]:
    """The ``ids`` that can be hashed (an id holding a lone surrogate, which JSON can carry,
    has no UTF-8 form, so no pseudonym) and their digests, a chunk at a time."""
    try:
        "".join(ids).encode("utf-8")
    except UnicodeEncodeError:
        ids = [u for u in ids if not _lone_surrogate(u)]
    parts = [_digests(pseudonyms(ids[i:i + _HASH_CHUNK], key))
             for i in range(0, len(ids), _HASH_CHUNK)]
    return ids, np.concatenate(parts) if parts else np.zeros(0, f"S{DIGEST}")


def _lone_surrogate(user_id: str) -> bool:
    try:
        user_id.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(frozen=True)
class _Table:
    """Known ids and their digests, sorted for ``find``."""

    ids: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    sorted: NDArray[np.bytes_] = field(default_factory=lambda: np.zeros(0, f"S{DIGEST}"))
    order: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def plus(self, more: pa.Array, key: bytes) -> _Table:
        """This table and the ids ``more`` (none of them in it)."""
        if not len(more):
            return self
        kept, digests = _hashed(more.to_pylist(), key)
        everything = np.concatenate([self.sorted, digests])
        at = np.concatenate([self.order, np.arange(len(self.ids), len(self.ids) + len(kept))])
        order = np.argsort(everything, kind="stable")
        added = more.cast(pa.string()) if len(kept) == len(more) else pa.array(kept, pa.string())
        return _Table(pa.concat_arrays([self.ids, added]), everything[order], at[order])

    def find(self, digests: NDArray[np.bytes_]) -> pa.Array:
        """The id of each digest (null: none here)."""
        if not len(self.sorted) or not len(digests):
            return pa.nulls(len(digests), pa.string())
        at = np.minimum(np.searchsorted(self.sorted, digests), len(self.sorted) - 1)
        hit = self.sorted[at] == digests
        return self.ids.take(pa.array(self.order[at], mask=~hit))


# one build of each kind at a time (concurrent first batches hash once); a slow store read
# holds up no look-up among a model's users
_MODEL_LOCK, _STORE_LOCK = threading.Lock(), threading.Lock()
_MODELS: dict[bytes, tuple[_Table, pa.Array]] = {}  # key tag -> table, the ids it matched
#: (store id, key tag) -> the plan rows' users and the plans read; (store id, key tag,
#: writer or None) -> the events' users (that writer's, or every writer's) and the last seq
_PLANS: dict[tuple[str, bytes], tuple[_Table, frozenset[str]]] = {}
_EVENTS: dict[tuple[str, bytes, str | None], tuple[_Table, int]] = {}
_KEPT = 4  # tables of a model, or of a store's plans, kept (one key in use, a store or two)
_KEPT_EVENTS = 16  # tables of a store's events kept: one per writer (a partner's key) in use


def _tag(key: bytes) -> bytes:
    return hashlib.sha256(b"pseudonym table\x00" + key).digest()  # the cache holds no key


def _model_table(users: IdMap, key: bytes) -> _Table:
    """The table of ``users`` under ``key``: the kept one when it holds their first ids (the
    same model, or an overlay of it with users appended), extended by the rest."""
    tag, arrow = _tag(key), users.arrow
    with _MODEL_LOCK:
        table, matched = _MODELS.get(tag, (_Table(), None))
        n = len(table.ids)
        if matched is not arrow and not (len(arrow) >= n and arrow.slice(0, n).equals(
                table.ids)):
            table, n = _Table(), 0  # another model: hashed anew
        table = table.plus(arrow.slice(n), key)
        _MODELS.pop(tag, None)
        _MODELS[tag] = (table, arrow)
        while len(_MODELS) > _KEPT:
            _MODELS.pop(next(iter(_MODELS)))
        return table


def _kept(cache: dict[_N, _V], name: _N, value: _V, most: int) -> None:
    """``value`` kept under ``name`` as the newest of ``cache``'s at most ``most``."""
    cache.pop(name, None)
    cache[name] = value
    while len(cache) > most:
        cache.pop(next(iter(cache)))


def _grown(table: _Table, found: list[str], key: bytes) -> _Table:
    """``table`` and those of ``found`` it lacks."""
    more = pc.unique(pa.array(found, pa.string())) if found else pa.array([], pa.string())
    return table.plus(pc.filter(more, pc.invert(pc.is_in(more, value_set=table.ids))), key)


def _store_tables(store: CampaignStore, key: bytes, writer: str | None
                  ) -> tuple[_Table, _Table]:
    """The tables of the store's plan rows' users and of its events' users (``writer``'s
    alone, unless None) under ``key``, each extended by the plans or events stored since it
    was last read (rebuilt for a store replaced under it)."""
    store_id, tag = store.store_id(), _tag(key)
    with _STORE_LOCK:
        plan_table, read = _PLANS.get((store_id, tag), (_Table(), frozenset()))
        event_table, since = _EVENTS.get((store_id, tag, writer), (_Table(), 0))
        with store.engine.connect() as conn:
            seq = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0)))
                      .scalar_one())
            now = frozenset(str(p) for p in conn.execute(sa.select(plans.c.plan_id)).scalars())
            if not read <= now:
                plan_table, read = _Table(), frozenset()
            if seq < since:
                event_table, since = _Table(), 0
            new_plans, in_plans = sorted(now - read), list[str]()
            for start in range(0, len(new_plans), _CHUNK):
                in_plans.extend(str(u) for u in conn.execute(sa.select(plan_rows.c.user_id)
                                .where(plan_rows.c.plan_id.in_(new_plans[start:start + _CHUNK]))
                                .distinct()).scalars())
            query = sa.select(events.c.user_id).where(events.c.seq > since, events.c.seq <= seq)
            if writer is not None:
                query = query.where(events.c.writer == writer)
            in_events = [str(u) for u in conn.execute(query.distinct()).scalars()]
        plan_table = _grown(plan_table, in_plans, key)
        event_table = _grown(event_table, in_events, key)
        _kept(_PLANS, (store_id, tag), (plan_table, now), _KEPT)
        _kept(_EVENTS, (store_id, tag, writer), (event_table, seq), _KEPT_EVENTS)
        return plan_table, event_table


def unmasked_ids(user_ids: Sequence[str], key: bytes, model: Model | None,
                 store: CampaignStore | None, flag: str, writer: str | None = None
                 ) -> list[str]:
    """``unmasked_rows``' ids (an erased person's row holds its pseudonym as given)."""
    return unmasked_rows(user_ids, key, model, store, flag, writer)[0]


def unmasked_rows(user_ids: Sequence[str], key: bytes, model: Model | None,
                  store: CampaignStore | None, flag: str, writer: str | None = None
                  ) -> tuple[list[str], list[int]]:
    """Each of ``user_ids`` (pseudonyms under ``key``) read as the id it stands for: a user of
    ``model``, else of ``store``'s plan rows or events (``writer``'s alone, unless None: over
    HTTP a partner's key is told nothing of the ids in another key's events); and the rows
    (0-based, in order) whose pseudonym is of none of those but of a person ``forget`` erased
    (``erased_pseudonyms``; such a row's id is its pseudonym as given: never to be stored).
    ``UnmappedPseudonymError`` for the first id that is not a pseudonym or is one of no such
    id (``flag``: how the batch was sent as pseudonymised, ``--pseudonymized`` or
    ``pseudonymized=true``, for the words)."""
    n = len(user_ids)
    form = np.zeros(n, bool)
    form[pseudonym_rows(user_ids)] = True
    rows = np.flatnonzero(form)
    cells = pa.array([user_ids[i] for i in rows.tolist()], pa.string())  # ASCII: checked
    given = pc.unique(cells)
    digests = _digests(given.to_pylist())
    raw = _model_table(model.users, key).find(digests) if model is not None and len(given) \
        else pa.nulls(len(given), pa.string())
    if store is not None and raw.null_count:
        missing = np.flatnonzero(raw.is_null().to_numpy(zero_copy_only=False))
        in_plans, in_events = _store_tables(store, key, writer)
        from_store = in_plans.find(digests[missing])
        if from_store.null_count:
            from_store = pc.coalesce(from_store, in_events.find(digests[missing]))
        raw = pc.replace_with_mask(raw, raw.is_null(), from_store)
    mapped = pc.take(raw, pc.index_in(cells, value_set=given))
    unread = rows[mapped.is_null().to_numpy(zero_copy_only=False)]
    erased = np.zeros(n, bool)
    if store is not None and len(unread):  # an erased person's: counted, not refused
        from recommender.campaigns.erased_pseudonyms import erased_pseudonyms

        gone = erased_pseudonyms(store, [user_ids[i] for i in unread.tolist()])
        erased[[i for i in unread.tolist() if user_ids[i] in gone]] = True
    bad = ~form
    bad[unread] = True
    bad &= ~erased
    if not bad.any():
        out, gone_rows = mapped.to_pylist(), np.flatnonzero(erased).tolist()
        for i in gone_rows:  # every row is a pseudonym here: ``out`` is row for row
            out[i] = user_ids[i]
        return out, gone_rows
    first, count = int(np.flatnonzero(bad)[0]), int(bad.sum())
    more = (f"; in all, {count:,} of the batch's {n:,} user ids are refused (not "
            "pseudonyms, or of no id known)") if count > 1 else ""
    if not form[first]:
        raise UnmappedPseudonymError(first, (
            f"user_id {clipped(user_ids[first])} is not a pseudonym ({PREFIX} and 64 hex "
            f"digits), and the batch was sent as pseudonymised ({flag}): every user_id of such "
            "a batch must be one (a raw id among pseudonyms is refused rather than stored as "
            f"given: send raw ids in a batch of their own, without {flag}){more}"), plain=True)
    known = "the model's users and the store's plan rows and events" if model is not None \
        else "the store's plan rows and events: no model was given"
    raise UnmappedPseudonymError(first, (
        f"user_id {user_ids[first][:14]}... is the pseudonym of no id this engine knows under "
        f"its pseudonym key ({known}): a list pseudonymised under another key or by another "
        "engine, a pseudonym cut or changed, or that of a person erased (`recommender "
        "forget`) without this pseudonym key, so none of their pseudonyms was recorded "
        "(forget again with the key records them: README \"Erasure\")"
        f"{more}"))
