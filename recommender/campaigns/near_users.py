"""The user ids of a campaign store that an id it does not hold may mean (``forget``'s hint).

``forget --user 07`` on a store holding users 7 and 007 said only that 07 "had no row in
this store": ``forgotten`` names the store's ids that are the one given but for leading
zeros, surrounding spaces, letter case or Unicode form, by ``IdMap.did_you_mean`` (the hint
of ``audiences``, ``recommend`` and ``lookalike``), among the ids of the store's events, plan
rows and opt-outs: in the CLI's note, and in the answer of ``forget --json`` and ``POST
/admin/forget`` (each user's ``did_you_mean``). ``refuse_form_twins`` refuses, before
anything is erased, an id only its other Unicode form is held by (``forget`` and ``POST
/admin/forget`` alike: ``FormTwinsError`` names the ids refused).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from recommender.campaigns.erased_text import held_users
from recommender.campaigns.store import CampaignStore
from recommender.campaigns.store_tables import plan_exclusions, plan_rows
from recommender.errors import InvalidParameterError
from recommender.io.ids import IdMap, form_named

if TYPE_CHECKING:
    from recommender.campaigns.erasure import Forgotten

MOST = 1000  # unknown ids looked at (``IdMap.did_you_mean`` reads as many)
CHUNK = 500  # keys per IN (...)
SHOWN = 10  # ids named in a refusal


def _keys(ids: Sequence[str]) -> list[str]:
    """Each id's loose keys: stripped of spaces and leading zeros, in either Unicode form,
    and in lower case (the store's ``lower`` is ASCII's: non-ASCII letters kept as typed)."""
    out: dict[str, None] = {}
    for u in ids[:MOST]:
        for form in ("NFC", "NFD"):
            key = unicodedata.normalize(form, u.strip()).lstrip("0")
            out.update(dict.fromkeys((key, key.lower(), "".join(
                c.lower() if c.isascii() else c for c in key))))
    return list(out)


def _near(store: CampaignStore, ids: Sequence[str]) -> IdMap | None:
    """The store's user ids that one of ``ids`` (the first ``MOST``) may be but for leading
    zeros, spaces, case or Unicode form, other than ``ids`` themselves (None: none). Reads
    each user-id column once, comparing ``lower(ltrim(trim(user_id), '0'))`` (a scan of the
    tables: run for a hint only)."""
    from recommender.campaigns.events import events

    if not ids:
        return None
    keys = _keys(ids)
    found: set[str] = set()
    with store.engine.connect() as conn:
        for table in (events, plan_rows, plan_exclusions):
            bare = sa.func.ltrim(sa.func.trim(table.c.user_id), "0")
            for i in range(0, len(keys), CHUNK):
                part = keys[i:i + CHUNK]
                q = sa.select(table.c.user_id).distinct().where(
                    sa.or_(bare.in_(part), sa.func.lower(bare).in_(part)))
                found.update(str(u) for u in conn.execute(q).scalars())
    found -= set(ids)
    return IdMap(sorted(found)) if found else None


def forgotten(store: CampaignStore, done: Sequence[Forgotten]) -> tuple[list[dict[str, Any]],
                                                                         str]:
    """(the ``users`` of ``forget --json`` and of ``POST /admin/forget``'s answer, the hint
    of the CLI's note): each user's ``Forgotten.body`` with ``did_you_mean``, the store's user
    ids that an id with no row (and not erased before) may mean (``_near``'s; ``[]``
    where none, and for the ids past the first ``MOST`` with no row). One scan of the
    store, where an id had no row: ``forget --json`` and the HTTP route said nothing of
    ``U00939`` erased beside the store's ``u00939``."""
    none = [f.user_id for f in done if not f.rows and not f.already]
    near = _near(store, none)
    meant = {} if near is None else {
        u: list(dict.fromkeys(near.same_but_zeros(u) or near.same_case(u)))
        for u in none[:MOST]}
    hint = near.did_you_mean(none, named=len(none) > 1) if near is not None else ""
    return [{**f.body(), "did_you_mean": meant.get(f.user_id, [])} for f in done], hint


def held_ids(store: CampaignStore, ids: Sequence[str]) -> set[str]:
    """Those of ``ids`` the store holds a row of (an event, a plan row or an opt-out), byte
    for byte (``erased_text.held_users``, on one connection of its own)."""
    from recommender.campaigns.events import events

    if not ids:
        return set()
    with store.engine.connect() as conn:
        return held_users(conn, ids, (events, plan_rows, plan_exclusions))


def form_twins(store: CampaignStore, ids: Sequence[str]) -> list[tuple[str, str]]:
    """(id given, id held) for each of ``ids`` the store holds no row of whose other Unicode
    form (NFC for NFD, and the reverse) it does hold: ``forget --user`` with ``joão``
    decomposed erased nobody and said "erased 1 user(s)" while ``joão`` composed kept every
    row. Non-ASCII ids only (ASCII has one form); an id whose twin is also among ``ids`` is
    not one (both spellings asked for: each is erased as given). One query per table and
    chunk."""
    other = {u: [f for f in dict.fromkeys(unicodedata.normalize(form, u)
                                          for form in ("NFC", "NFD")) if f != u]
             for u in dict.fromkeys(ids) if not u.isascii()}
    given = set(ids)
    other = {u: fs for u, fs in other.items() if fs and not given.intersection(fs)}
    held = held_ids(store, [*other, *(f for fs in other.values() for f in fs)])
    return [(u, f) for u, fs in other.items() if u not in held for f in fs if f in held]


class FormTwinsError(InvalidParameterError):
    """``refuse_form_twins``' refusal (at ``user_ids``); ``ids``: the ids given that it
    refuses, each once, in the order given (``POST /admin/forget`` points at each)."""

    def __init__(self, message: str, ids: Sequence[str]) -> None:
        super().__init__(message, param="user_ids")
        self.ids = list(ids)


def refuse_form_twins(store: CampaignStore, ids: Sequence[str]) -> None:
    """Refuse, before anything is erased, an id the store holds no row of whose other Unicode
    form it holds (``form_twins``): erasure cannot be undone, so an explicit id is erased byte
    for byte, never its twin; ``joão`` decomposed (NFD) was "erased" (no row) while ``joão``
    composed (NFC) kept every row. ``recommender forget`` and ``POST /admin/forget`` (a 422
    at each id refused, where it answered 200 erasing nothing) say these words
    (``FormTwinsError``); their ``--exact`` (``"exact": true``) skips this check, for a
    separate person so spelt."""
    twins = form_twins(store, ids)
    if twins:
        shown = "; ".join(f"{u!r}{form_named(u)}: did you mean {t!r}{form_named(t)}?"
                          for u, t in twins[:SHOWN])
        more = f"; and {len(twins) - SHOWN:,} more" if len(twins) > SHOWN else ""
        raise FormTwinsError(
            f"forget: {len(twins):,} user id{'s' * (len(twins) > 1)} given "
            f"{'have' if len(twins) > 1 else 'has'} no row in this store but the same "
            f"letters in another Unicode form do ({shown}{more}); nothing was erased: an id "
            "is erased byte for byte (erasure cannot be undone), give it as the store holds "
            "it, or --exact (\"exact\": true) to erase it as given",
            list(dict.fromkeys(u for u, _ in twins)))
