"""Erased users (the right to be forgotten): ``forget`` and the store's record of whom it erased.

``forget`` erases users from a campaign store in one transaction, under the events writers'
lock: every event, plan row and opt-out of a user gets, in place of the user id, a tombstone
(``erased-`` and 32 random hex digits, one per user and erasure, drawn from ``secrets``, so
nothing computes it back from the id), and an event's ``event_id`` becomes the tombstone and
its sequence number (an id a client made may spell the user); a plan summary's JSON strings
that are the id and an idempotency key holding it become the tombstone (``_other_text``). A
campaign report's figures stay
what they were (a contact and the same person's conversion keep sharing one id, no longer
theirs). The store keeps, per erased user, ``campaign_erasures``: the SHA-256 of the store's
own random salt (``campaign_store_info``'s ``erasure_salt``) and the id, hex, and the UTC day;
and ``campaign_tombstones``: the tombstones, with nothing tying one to a digest. The salt keeps
a list of common ids from being matched against digests of another store; whoever holds this
store can still test a guessed id (that is how later runs recognise it).

``Erasures`` (``read_erasures``) is the mask a reader applies: True for an id erased (its
digest) or a tombstone. The served model and the CLI's answers drop those users
(``Overlay(forgotten=...)``), ``train --events`` drops them from the log and deletes the
events stored under an erased id since (``drop_erased``: by an engine before writers looked).
Writers store no event of an erased id (``erased_among``, under ``events.record_events``'s
lock): an old log imported again, or a client still sending the id, puts no id back. An
idempotency key is free text, so one holding an id anywhere is retired; a keyed caller's
(a hash) and a tombstone key hold none (``HASHED_KEY``). Migration step 12 adds the tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from recommender.campaigns.events import EventColumns

from recommender.campaigns.moved import refuse_if_moved
from recommender.campaigns.store import CampaignStore, metadata
from recommender.campaigns.store_tables import (
    idempotency,
    plan_exclusions,
    plan_rows,
    plans,
    store_info,
)
from recommender.io.dataset import Interactions, UserTable

SALT_KEY = "erasure_salt"
TOMBSTONE_PREFIX = "erased-"
CHUNK = 500  # ids per IN (...) look-up
TEXT_CHUNK = 100  # ids per look-up of text holding them (OR'd: SQLite's expression depth)

erasures = sa.Table(
    "campaign_erasures", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),  # hex SHA-256 of salt + id (UTF-8)
    sa.Column("erased_on", sa.Text, nullable=False),  # the UTC day, ISO 8601 (YYYY-MM-DD)
)
tombstones = sa.Table(
    "campaign_tombstones", metadata,
    sa.Column("tombstone", sa.String(64), primary_key=True),
)


def create_tables(conn: Connection) -> None:
    """Migration step 12: the erasure record, the tombstones and the store's salt."""
    erasures.create(conn, checkfirst=True)
    tombstones.create(conn, checkfirst=True)
    if conn.execute(sa.select(store_info.c.value).where(store_info.c.key == SALT_KEY)
                    ).first() is None:
        conn.execute(store_info.insert().values(key=SALT_KEY, value=secrets.token_hex(32)))


def digests(salt: bytes, ids: Sequence[str]) -> list[str]:
    """The hex SHA-256 of ``salt`` + each id (its bytes as given, lone surrogates kept): one
    hash per id, as HMAC and SHA-256 have no vectorised form (``pseudonym_table`` neither)."""
    return [hashlib.sha256(salt + i.encode("utf-8", "surrogatepass")).hexdigest() for i in ids]


@dataclass(frozen=True, eq=False)
class Erasures:
    """The store's erased users: their ``digests`` under ``salt``, and the ``tombstones``
    that replaced their ids. Called on ids, the mask of those erased or tombstones."""

    salt: bytes = b""
    digests: frozenset[str] = field(default_factory=frozenset)
    tombstones: NDArray[np.str_] = field(default_factory=lambda: np.zeros(0, str))

    def __bool__(self) -> bool:
        return bool(self.digests) or len(self.tombstones) > 0

    @property
    def version(self) -> tuple[int, int]:
        """What changes when a user is erased (the service's poller compares it)."""
        return len(self.digests), len(self.tombstones)

    def __call__(self, ids: NDArray[np.str_] | Sequence[str]) -> NDArray[np.bool_]:
        ids = np.asarray(ids, str)
        if not self or len(ids) == 0:
            return np.zeros(len(ids), bool)
        uniq, inverse = np.unique(ids, return_inverse=True)
        hit = np.isin(uniq, self.tombstones)
        if self.digests:  # each distinct id hashed once
            rest = np.flatnonzero(~hit)
            found = np.isin(np.asarray(digests(self.salt, uniq[rest].tolist()), str),
                            np.asarray(sorted(self.digests), str))
            hit[rest[found]] = True
        return np.asarray(hit[inverse], bool)


def _salt(conn: Connection) -> bytes:
    value = conn.execute(sa.select(store_info.c.value).where(store_info.c.key == SALT_KEY)
                         ).scalar_one()
    return bytes.fromhex(str(value))


def read_erasures(store: CampaignStore) -> Erasures:
    """The store's ``Erasures`` (empty where none was erased: no id is hashed then)."""
    with store.engine.connect() as conn:
        found = frozenset(str(d) for d in conn.execute(sa.select(erasures.c.digest)).scalars())
        tombs = np.asarray([str(t) for t in conn.execute(
            sa.select(tombstones.c.tombstone)).scalars()], str)
        return Erasures(_salt(conn), found, tombs) if found or len(tombs) else Erasures()


def erased_among(conn: Connection, user_ids: Sequence[str]) -> frozenset[str]:
    """The ids among ``user_ids`` whose salted digest ``campaign_erasures`` holds (``forget``
    erased them), read in ``conn``'s transaction: each distinct id hashed once, matched
    against the whole table where it holds no more digests than there are ids (one read),
    else looked up by the table's key ``CHUNK`` at a time; none hashed where the store erased
    no one (one look-up; a store of a schema before step 12, as a test makes one, has erased
    no one). ``events.record_events`` stores no event of theirs."""
    if not user_ids or not sa.inspect(conn).has_table(erasures.name):
        return frozenset()
    distinct = sorted(set(user_ids))
    few = [str(d) for d in conn.execute(
        sa.select(erasures.c.digest).limit(len(distinct) + 1)).scalars()]
    if not few:
        return frozenset()
    hashed = digests(_salt(conn), distinct)
    found = set(few)
    if len(few) > len(distinct):  # more erased than ids here: look each one up
        found = set()
        for i in range(0, len(hashed), CHUNK):
            found |= {str(d) for d in conn.execute(sa.select(erasures.c.digest).where(
                erasures.c.digest.in_(hashed[i:i + CHUNK]))).scalars()}
    return frozenset(u for u, d in zip(distinct, hashed, strict=True) if d in found)


@dataclass
class Forgotten:
    """What ``forget`` did to one user: rows given a tombstone, whether the id was erased
    before (``already``: an erasure record was there), the plan ``summaries`` (a value of
    their JSON is the id: ``excluded_unknown_user_ids``) and idempotency ``keys`` (a key
    holds the id, ``_keys_holding``) where a tombstone took its place."""

    user_id: str
    events: int
    plan_rows: int
    opt_outs: int
    already: bool
    summaries: int = 0
    keys: int = 0

    @property
    def other(self) -> int:
        """The plan summaries and idempotency keys together."""
        return self.summaries + self.keys

    @property
    def rows(self) -> int:
        return self.events + self.plan_rows + self.opt_outs + self.other

    def body(self) -> dict[str, Any]:
        """One user of ``forget --json`` and of ``POST /admin/forget``'s answer."""
        return {"user_id": self.user_id, "events": self.events, "plan_rows": self.plan_rows,
                "opt_outs": self.opt_outs, "plan_summaries": self.summaries,
                "idempotency_keys": self.keys, "already": self.already}


def _counts(conn: Connection, table: sa.Table, ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(ids), CHUNK):
        q = (sa.select(table.c.user_id, sa.func.count()).where(
            table.c.user_id.in_(ids[i:i + CHUNK])).group_by(table.c.user_id))
        out.update({str(u): int(n) for u, n in conn.execute(q)})
    return out


def _holding(conn: Connection, column: sa.Column[Any], ids: list[str], *extra: sa.Column[Any]
             ) -> list[tuple[str, ...]]:
    """The rows (``column`` and ``extra``) whose text ``column`` holds one of ``ids`` (as
    typed or as JSON writes it, non-ASCII escaped): a look-up by substring."""
    find = sa.func.strpos if conn.dialect.name == "postgresql" else sa.func.instr
    found: dict[tuple[str, ...], None] = {}  # in the order read, once each
    for i in range(0, len(ids), TEXT_CHUNK):
        needles = {n for u in ids[i:i + TEXT_CHUNK] for n in (u, json.dumps(u)[1:-1]) if n}
        q = sa.select(column, *extra).where(sa.or_(*(find(column, n) > 0 for n in needles)))
        found.update(dict.fromkeys(tuple(str(v) for v in r) for r in conn.execute(q)))
    return list(found)


def _swap(value: Any, tomb: dict[str, str], hit: set[str]) -> Any:
    """``value`` (parsed JSON) with each string (value or key) that is an id of ``tomb``
    replaced by its tombstone; the ids met go in ``hit``."""
    if isinstance(value, str):
        if value in tomb:
            hit.add(value)
            return tomb[value]
        return value
    if isinstance(value, list):
        return [_swap(v, tomb, hit) for v in value]
    if isinstance(value, dict):
        return {_swap(k, tomb, hit): _swap(v, tomb, hit) for k, v in value.items()}
    return value


#: keys no erasure rewrites: a keyed caller's (``by `` and a SHA-256 of its id and the key:
#: ``service.idempotency.stored_key``; no header nor ``--idempotency-key`` holds a space) and
#: one an erasure gave already (a tombstone and a number): neither holds an id as text, and a
#: short id (``a``, ``7``) is in nearly every one of their hex digits
HASHED_KEY = re.compile(r"by [0-9a-f]{64}|" + TOMBSTONE_PREFIX + r"[0-9a-f]{32}:[0-9]+")


def _keys_holding(key: str, ids: list[str]) -> str | None:
    """The first of ``ids`` that idempotency key ``key`` holds, or None: a key a client chose
    is free text (``key-u00458``, ``u00458:retry``), so one holding an id anywhere is one,
    by substring (a key that holds ``u1`` in ``u12`` too: it errs to the person's side, and
    a retry with the retired key plans anew); a ``HASHED_KEY`` holds none."""
    if HASHED_KEY.fullmatch(key):
        return None
    return next((u for u in ids if u in key), None)


def _other_text(conn: Connection, ids: list[str]) -> tuple[
        dict[str, int], dict[str, int], list[tuple[str, str, set[str]]], list[tuple[str, str]]]:
    """Where else the store holds ``ids``: per id, the count of plan summaries whose JSON has
    it as a value (or key) and the count of idempotency keys holding it (``_keys_holding``);
    the summaries ``(plan_id, text, ids in it)`` and the keys ``(key, the first id it
    holds)``. Every other text column of the store holds no id a caller gave (plan ids are
    drawn, ``writer`` is a fingerprint, ``campaign_store_info`` holds the store's own
    values)."""
    wanted = set(ids)
    in_summaries: dict[str, int] = {}
    summaries: list[tuple[str, str, set[str]]] = []
    for text, plan_id in _holding(conn, plans.c.summary, ids, plans.c.plan_id):
        hit: set[str] = set()
        _swap(json.loads(text), dict.fromkeys(wanted, ""), hit)
        if hit:
            summaries.append((str(plan_id), str(text), hit))
            for u in hit:
                in_summaries[u] = in_summaries.get(u, 0) + 1
    in_keys: dict[str, int] = {}
    keys: list[tuple[str, str]] = []
    for (key,) in _holding(conn, idempotency.c.key, ids):
        first = _keys_holding(str(key), ids)
        if first is not None:
            keys.append((str(key), first))
            in_keys[first] = in_keys.get(first, 0) + 1
    return in_summaries, in_keys, summaries, keys


def forget(store: CampaignStore, user_ids: Sequence[str],
           pseudonym_keys: Sequence[bytes] = ()) -> list[Forgotten]:
    """Erase ``user_ids`` (module docstring) in one committed transaction; returns one
    ``Forgotten`` per distinct id, in the order given. An id with no row in the store is
    recorded too (a model trained on a log holding it leaves it out of its answers); an id
    erased before is recorded once, its rows since (events sent later) given a tombstone.
    With ``pseudonym_keys``, their pseudonyms' digests too (``erased_pseudonyms``)."""
    from recommender.campaigns.events import events, take_writers_lock

    ids = list(dict.fromkeys(str(u) for u in user_ids))
    today = dt.datetime.now(dt.UTC).date().isoformat()
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            take_writers_lock(conn)
        else:  # the write lock before looking, as ``record_events`` takes it
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        refuse_if_moved(conn, store.url, "this erasure")  # its copy would keep them
        salt = _salt(conn)
        hashed = digests(salt, ids)
        before: set[str] = set()
        for i in range(0, len(hashed), CHUNK):
            before |= {str(d) for d in conn.execute(sa.select(erasures.c.digest).where(
                erasures.c.digest.in_(hashed[i:i + CHUNK]))).scalars()}
        counted = {t.name: _counts(conn, t, ids) for t in (events, plan_rows, plan_exclusions)}
        in_summaries, in_keys, summaries, keys = _other_text(conn, ids)
        out = [Forgotten(u, counted[events.name].get(u, 0), counted[plan_rows.name].get(u, 0),
                         counted[plan_exclusions.name].get(u, 0), d in before,
                         in_summaries.get(u, 0), in_keys.get(u, 0))
               for u, d in zip(ids, hashed, strict=True)]
        tomb = {f.user_id: TOMBSTONE_PREFIX + secrets.token_hex(16) for f in out if f.rows}
        pairs = [{"u": u, "t": t} for u, t in tomb.items()]
        if pairs:
            conn.execute(sa.text(
                f"UPDATE {events.name} SET user_id = :t, event_id = :t || ':' || "
                "CAST(seq AS TEXT) WHERE user_id = :u"), pairs)
            for table in (plan_rows, plan_exclusions):
                conn.execute(sa.text(f"UPDATE {table.name} SET user_id = :t WHERE user_id = :u"),
                             pairs)
            for plan_id, text, _hit in summaries:  # parsed and written back, key order kept
                conn.execute(plans.update().where(plans.c.plan_id == plan_id).values(
                    summary=json.dumps(_swap(json.loads(text), tomb, set()), ensure_ascii=False)))
            for n, (key, u) in enumerate(keys):  # a retry with the key plans anew
                conn.execute(idempotency.update().where(idempotency.c.key == key).values(
                    key=f"{tomb[u]}:{n}"))
            shuffled = list(tomb.values())
            secrets.SystemRandom().shuffle(shuffled)  # no order ties a tombstone to a digest
            conn.execute(tombstones.insert(), [{"tombstone": t} for t in shuffled])
        new = sorted({d for d in hashed if d not in before})  # sorted: no order of the ids
        if new:
            conn.execute(erasures.insert(), [{"digest": d, "erased_on": today} for d in new])
        if pseudonym_keys:  # a partner's pseudonymised answers about them: counted as erased
            from recommender.campaigns.erased_pseudonyms import record_pseudonyms

            record_pseudonyms(conn, ids, pseudonym_keys, today)
    return out


def drop_erased(store: CampaignStore, erased: Erasures) -> int:
    """Delete the events of erased ids the store received since their erasure (stored by an
    engine before ``record_events`` refused them, or by one such still writing to the store):
    their digests match, tombstones are kept. Returns the count."""
    if not erased.digests:
        return 0
    from recommender.campaigns.events import events, take_writers_lock

    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            take_writers_lock(conn)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        users = np.asarray([str(u) for u in conn.execute(
            sa.select(events.c.user_id).distinct()).scalars()], str)
        gone = users[erased(users) & ~np.isin(users, erased.tombstones)].tolist()
        deleted = 0
        for i in range(0, len(gone), CHUNK):
            deleted += int(conn.execute(events.delete().where(
                events.c.user_id.in_(gone[i:i + CHUNK]))).rowcount or 0)
    return deleted


def erasure_version(store: CampaignStore) -> tuple[int, int]:
    """``Erasures.version`` by two counts (cheap enough to poll): the service's poller
    rebuilds its overlay when it changes (a user erased by ``recommender forget``)."""
    with store.engine.connect() as conn:
        return (int(conn.execute(sa.select(sa.func.count()).select_from(erasures)).scalar_one()),
                int(conn.execute(sa.select(sa.func.count()).select_from(tombstones))
                    .scalar_one()))


def without_erased(data: Interactions, erased: Erasures) -> tuple[Interactions, int]:
    """``data`` less the rows (and user attributes) of erased users or tombstones, and the
    count of rows left out; ``data`` itself when there is none. Each distinct user id of the
    log is hashed once (``Erasures.__call__``)."""
    if not erased or len(data) == 0:
        return data, 0
    user_erased = erased(data.users.ids)
    rows = user_erased[data.user_idx]
    if not rows.any():
        return data, 0
    kept = data.subset(~rows)
    table = data.user_table
    if table is not None:
        keep = ~np.isin(np.asarray(table.user_ids, str), data.users.ids[user_erased])
        table = UserTable(np.asarray(table.user_ids)[keep],
                          {k: np.asarray(v)[keep] for k, v in table.attributes.items()},
                          dict(table.derived))
    rebuilt = Interactions.from_columns(
        pa.array(kept.users.to_ids(kept.user_idx).tolist(), pa.string()),
        pa.array(kept.films.to_ids(kept.film_idx).tolist(), pa.string()),
        rating=kept.rating, weight=kept.weight, timestamp=kept.timestamp,
        catalog=kept.catalog, user_table=table, source=data.source)
    return replace(rebuilt, rows_read=data.rows_read, rows_merged=data.rows_merged,
                   unrated=data.unrated, unrated_as=data.unrated_as,
                   blank_ratings=data.blank_ratings), int(rows.sum())


def events_kept(ev: EventColumns, erased: Erasures) -> EventColumns:
    """``ev`` less the events of erased users and tombstones."""
    if not erased or len(ev) == 0:
        return ev
    from recommender.campaigns.events import EventColumns

    keep = ~erased(ev.user_id)
    return EventColumns(ev.seq[keep], ev.user_id[keep], ev.film_id[keep], ev.timestamp[keep],
                        ev.weight[keep])
