"""Erased users (the right to be forgotten): ``forget`` and the store's record of whom it erased.

``forget`` erases users from a campaign store in one transaction, under the events writers'
lock: every event, plan row and opt-out of a user gets, in place of the user id, a tombstone
(``erased-`` and 32 random hex digits, one per user and erasure, drawn from ``secrets``, so
nothing computes it back from the id), and an event's ``event_id`` becomes the tombstone and
its sequence number (an id a client made may spell the user); a plan summary's JSON strings
that are the id and an idempotency key holding it become the tombstone (``erased_text``), and
so does every opt-out stored in a form the opt-out reader reads as the id (spaces, our CSV
quoting, a byte-order mark; another Unicode form, but under ``exact``; not one its plan's
model knew as written: that user's own, ``erased_text.owned_opt_outs``), in the opt-outs table,
the summaries' lists and the plan notes quoting it. After the commit, a SQLite store's
write-ahead log is checkpointed and truncated (``checkpoint``; ``secure_delete`` zeroes the
old values): the erased bytes leave its files, or ``ForgetResult.unscrubbed`` says why not. A
campaign report's figures stay what they were (a contact and the same person's conversion
keep sharing one id, no longer theirs). The store keeps, per erased user,
``campaign_erasures``: the SHA-256 of the store's own random salt (``campaign_store_info``'s
``erasure_salt``) and the id, hex, and the UTC day; and ``campaign_tombstones``: the
tombstones, with nothing tying one to a digest. The salt keeps a list of common ids from
being matched against digests of another store; whoever holds this store can still test a
guessed id (that is how later runs recognise it).

``Erasures`` (``read_erasures``) is the mask a reader applies: True for an id erased (its
digest) or a tombstone. The served model and the CLI's answers drop those users
(``Overlay(forgotten=...)``), ``train --events`` drops them from the log and deletes the
events stored under an erased id since (``drop_erased``: by an engine before writers looked).
Writers store no event of an erased id (``erased_among``, under ``events.record_events``'s
lock): an old log imported again, or a client still sending the id, puts no id back; nor
does an opt-out list naming it (``erased_text.without_erased_opt_outs``: counted, not
stored). An idempotency key is free text, so one holding an id anywhere is retired; a keyed
caller's (a hash) and a tombstone key hold none (``erased_text.HASHED_KEY``). Migration step
12 adds the tables.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
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

from recommender.campaigns.erased_text import (
    CHUNK,
    TOMBSTONE_PREFIX,
    Swap,
    opt_out_counts,
    other_text,
    stored_forms,
    tombstone_opt_outs,
)
from recommender.campaigns.moved import refuse_if_moved
from recommender.campaigns.store import CampaignStore, metadata
from recommender.campaigns.store_tables import idempotency, plan_rows, plans, store_info
from recommender.io.dataset import Interactions, UserTable

SALT_KEY = "erasure_salt"

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
    holds the id, ``erased_text.keys_holding``) where a tombstone took its place; ``opt_outs``
    and ``summaries`` count the forms the opt-out reader reads as the id too."""

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


class ForgetResult(list[Forgotten]):
    """``forget``'s ``Forgotten`` per id, and ``unscrubbed``: why the erased bytes may still
    be in a SQLite store's files ("" where the checkpoint completed, or on PostgreSQL)."""

    unscrubbed: str = ""


#: why a SQLite store's files may still hold erased bytes after ``forget`` (a reader holds
#: an older snapshot of the write-ahead log)
UNSCRUBBED = ("the erasure is committed, but the store's write-ahead log could not be "
              "checkpointed now ({why}: a reader still reads an older state); the erased "
              "ids' old bytes stay in the store's -wal file until SQLite checkpoints it (run "
              "the same erasure again once readers are idle: it changes nothing else)")


CHECKPOINT_WAIT_MS = 2000  # milliseconds the checkpoint waits for readers (then said)


def checkpoint(store: CampaignStore) -> str:
    """After an erasure on SQLite: copy the write-ahead log into the store and truncate it
    (``PRAGMA wal_checkpoint(TRUNCATE)``); with ``secure_delete`` on each connection
    (``store._sqlite_read_pragmas``) the old values' bytes are then zeroed in the file too.
    Returns "" when done (and on PostgreSQL), else ``UNSCRUBBED``'s words: a reader holding
    an older snapshot keeps the log busy, which fails no erasure (it is committed)."""
    if store.dialect != "sqlite":
        return ""
    try:
        with store.engine.connect() as conn:  # a reader's wait bounded, then as it was
            wait = conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one()
            conn.exec_driver_sql(f"PRAGMA busy_timeout={CHECKPOINT_WAIT_MS}")
            try:
                busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
            finally:
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait)}")
            conn.commit()
    except sa.exc.OperationalError as e:
        return UNSCRUBBED.format(why=str(e.orig)[:200])
    return UNSCRUBBED.format(why="SQLITE_BUSY") if busy else ""


def forget(store: CampaignStore, user_ids: Sequence[str], exact: bool = False,
           pseudonym_keys: Sequence[bytes] = ()) -> ForgetResult:
    """Erase ``user_ids`` (module docstring) in one committed transaction; returns one
    ``Forgotten`` per distinct id, in the order given. An id with no row in the store is
    recorded too (a model trained on a log holding it leaves it out of its answers); an id
    erased before is recorded once, its rows since (events sent later) given a tombstone.
    Every stored form the opt-out reader reads as the id is erased with it
    (``erased_text``; ``exact``: not its other Unicode form). Then ``checkpoint``.
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
        counted = {t.name: _counts(conn, t, ids) for t in (events, plan_rows)}
        forms = stored_forms(conn, ids, exact)  # the opt-outs read as them, ids included
        opt_outs = opt_out_counts(conn, forms)
        in_summaries, in_keys, summaries, keys = other_text(conn, ids, forms, exact)
        out = ForgetResult(
            Forgotten(u, counted[events.name].get(u, 0), counted[plan_rows.name].get(u, 0),
                      opt_outs.get(u, 0), d in before, in_summaries.get(u, 0),
                      in_keys.get(u, 0))
            for u, d in zip(ids, hashed, strict=True))
        tomb = {f.user_id: TOMBSTONE_PREFIX + secrets.token_hex(16) for f in out if f.rows}
        pairs = [{"u": u, "t": t} for u, t in tomb.items()]
        if pairs:
            conn.execute(sa.text(
                f"UPDATE {events.name} SET user_id = :t, event_id = :t || ':' || "
                "CAST(seq AS TEXT) WHERE user_id = :u"), pairs)
            conn.execute(sa.text(f"UPDATE {plan_rows.name} SET user_id = :t WHERE user_id = :u"),
                         pairs)
            tombstone_opt_outs(conn, forms, tomb)
            for plan_id, text, every in summaries:  # parsed and written back, key order kept
                conn.execute(plans.update().where(plans.c.plan_id == plan_id).values(
                    summary=json.dumps(Swap(every, tomb)(json.loads(text)),
                                       ensure_ascii=False)))
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
    out.unscrubbed = checkpoint(store)
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
