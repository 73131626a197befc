"""Erased people's pseudonyms: a salted digest of each, so answers about them count as erased.

A partner sent a pseudonymised list (``--pseudonymize``, ``pseudonymize=true``) answers with
its pseudonyms, which ``pseudonym_ids.unmasked_rows`` reads back as ids by hashing the ids the
engine knows. A person ``forget`` erased is known no more (their rows carry a tombstone, the
served model dropped them) and the store keeps only a salted digest of their id, which no
pseudonym can be matched against. So ``forget``, given the pseudonym key(s) in use (the CLI's
``RECOMMENDER_PSEUDONYM_KEY`` or ``--pseudonym-key-file``, the server's key for
``POST /admin/forget``), records beside each id's digest, in ``campaign_erasures``, the
SHA-256 of the store's erasure salt, ``DOMAIN`` and the id's pseudonym under each key
(``record_pseudonyms``). ``DOMAIN`` starts with the byte 0xff, which no UTF-8 text holds, so
no id's digest is ever a pseudonym's. The raw id is kept nowhere: the pseudonym is a keyed
hash of it, and its digest is salted as the id's is (whoever holds the store and the key can
test a guessed id, as the id's own digest lets them). ``erased_pseudonyms`` says which
pseudonyms of a batch are such a person's: their events are counted as erased and stored
nowhere, as an erased raw id's are (``events.record_events``). A person erased without the key
(or before this record existed) is not recognised so: ``forget`` run again with the key
records their pseudonyms (``already``: nothing else changes).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.erasure import CHUNK, SALT_KEY, erasures
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.store_tables import store_info
from recommender.query.pseudonym import pseudonyms

DOMAIN = b"\xffpseudonym\x00"  # 0xff: in no UTF-8 id, so no id hashes to a pseudonym's digest


def pseudonym_digests(salt: bytes, hexed: Sequence[str]) -> list[str]:
    """The hex SHA-256 of ``salt``, ``DOMAIN`` and each pseudonym (``p-`` and hex: ASCII)."""
    return [hashlib.sha256(salt + DOMAIN + p.encode("ascii")).hexdigest() for p in hexed]


def _salt(conn: Connection) -> bytes:
    return bytes.fromhex(str(conn.execute(sa.select(store_info.c.value).where(
        store_info.c.key == SALT_KEY)).scalar_one()))


def _held(conn: Connection, digests: list[str]) -> set[str]:
    """Those of ``digests`` ``campaign_erasures`` holds, ``CHUNK`` at a time."""
    found: set[str] = set()
    for i in range(0, len(digests), CHUNK):
        found |= {str(d) for d in conn.execute(sa.select(erasures.c.digest).where(
            erasures.c.digest.in_(digests[i:i + CHUNK]))).scalars()}
    return found


def record_pseudonyms(conn: Connection, ids: Sequence[str], keys: Sequence[bytes],
                      erased_on: str) -> int:
    """Record, in ``forget``'s transaction ``conn``, the digest of each id's pseudonym under
    each of ``keys`` (those not held already); returns how many were added. An id holding a
    lone surrogate has no UTF-8 form, so no pseudonym: none is recorded for it."""
    def hashable(u: str) -> bool:
        try:
            u.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    kept = [u for u in ids if hashable(u)]
    if not kept or not keys:
        return 0
    salt = _salt(conn)
    wanted = sorted({d for key in dict.fromkeys(keys)
                     for d in pseudonym_digests(salt, pseudonyms(kept, key))})
    held = _held(conn, wanted)  # once: inside forget's writers' lock
    new = [d for d in wanted if d not in held]
    if new:
        conn.execute(erasures.insert(), [{"digest": d, "erased_on": erased_on} for d in new])
    return len(new)


def erased_pseudonyms(store: CampaignStore, given: Sequence[str]) -> frozenset[str]:
    """The pseudonyms among ``given`` (each ``p-`` and 64 hex digits) that ``forget``
    recorded as an erased person's (``record_pseudonyms``); none for a store of a schema
    before erasures (step 12)."""
    distinct = sorted(set(given))
    if not distinct:
        return frozenset()
    with store.engine.connect() as conn:
        if not sa.inspect(conn).has_table(erasures.name):
            return frozenset()
        hashed = pseudonym_digests(_salt(conn), distinct)
        found = _held(conn, hashed)
    return frozenset(p for p, d in zip(distinct, hashed, strict=True) if d in found)
