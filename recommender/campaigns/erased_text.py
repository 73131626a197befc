"""Where a campaign store holds an erased id other than as a user id: its forms and free text.

An opt-out is kept as it was given (``campaign_plan_exclusions``, a plan summary's
``excluded_unknown_user_ids``), and the opt-out reader reads it as a user in other forms too:
``" u00006"`` (spaces), ``'"u00008"'`` (our CSV writers' double quotes), ``"'-1"`` (our
spreadsheet-safe quote, ``csvsafe.original_cell``: a leading ``'`` taken as the one our
writers add, so ``"'u00007"`` too), ``"\\ufeffu00005"`` (a byte-order mark) and another
Unicode form (NFD ``joão`` for NFC ``joão``, ``IdMap.opt_out_twins``). ``reads_as`` reads a
stored text by those readings (``id_lists.line_readings`` and ``opt_out_twins``: no second
normalisation), so that ``forget`` erases every form of an id: the opt-outs
(``stored_forms``), a summary's strings and the plan notes that quote them (``other_text``:
``'\\ufeffu00005' as 'u00005'``). A text the store holds as a user of its own (events or
plan rows, byte for byte), or a stored opt-out its plan's model knew as written
(``owned_opt_outs``, by the plan's record: ``known_as_written``), is that user's, never a
form of another (the reader's rule: an id held as written is that user; a next wave reads
a stored opt-out byte for byte). ``exact`` (``forget --exact``) erases the forms that are
the id byte for byte once unwrapped (spaces, quotes, the mark), not its other Unicode form:
a separate person so spelt, by that flag's premise. ``erased_opt_outs``: a plan's opt-outs
that read as an id erased before (its NFC and NFD forms too), stored without it, but for
one its planning model knew as written.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from recommender.campaigns.store_tables import idempotency, plan_exclusions, plan_rows, plans
from recommender.io.csvsafe import original_cell
from recommender.io.id_lists import line_readings
from recommender.io.ids import IdMap

TOMBSTONE_PREFIX = "erased-"
CHUNK = 500  # ids per IN (...) look-up
TEXT_CHUNK = 100  # ids per look-up of text holding them (OR'd: SQLite's expression depth)
BOM = "\ufeff"


def wrapped_readings(text: str) -> list[str]:
    """``text`` and what the opt-out reader reads it as, its Unicode form aside: its
    ``line_readings`` (spaces, our CSV quoting), each with a leading quote taken as ours
    (``original_cell``) and without a leading U+FEFF; as written first."""
    first = line_readings(text)
    out = [*first, *(original_cell(r) for r in first)]
    return list(dict.fromkeys([*out, *(r.lstrip(BOM) for r in out)]))


#: a text ``wrapped_readings`` may read otherwise: a quote, double quote or U+FEFF first, or
#: a separator and quote (``csvsafe``'s quoting after one); surrounding spaces aside
_WRAPPED = "^['\"\ufeff]|[;\\t\\r\\n]\"?'"


def _wrapped(texts: Sequence[str]) -> list[str]:
    """The ``texts`` whose ``wrapped_readings`` may be more than the text itself (found
    vectorised: a plan's opt-outs are up to millions, each reading a Python call)."""
    arr = pa.array(list(texts), pa.string())
    odd = pc.or_(pc.not_equal(pc.utf8_trim_whitespace(arr), arr),
                 pc.match_substring_regex(arr, _WRAPPED))
    return [str(t) for t in arr.filter(odd).to_pylist()]


def needles(ids: Iterable[str], exact: bool = False) -> list[str]:
    """The text a stored form of one of ``ids`` holds: the id, and (unless ``exact``) its
    other Unicode forms."""
    return list(dict.fromkeys(n for u in ids for n in (
        (u,) if exact else (u, unicodedata.normalize("NFC", u), unicodedata.normalize("NFD", u)))
        if n))


def held_users(conn: Connection, ids: Collection[str], tables: Sequence[sa.Table]
               ) -> set[str]:
    """Those of ``ids`` that one of ``tables`` holds as a ``user_id``, byte for byte: one
    query per table and chunk. The tables are the caller's, on purpose: ``forget``'s id lists
    and its form-twin check (``near_users.held_ids``) count an opt-out too (an id the store
    holds any row of is held as written), while erasure's reading of stored text
    (``own_users``) counts events and plan rows only: a stored opt-out is a text that may be
    another user's id in a wrapped form, so its being stored does not make it a user of its
    own."""
    keys = list(dict.fromkeys(ids))
    out: set[str] = set()
    for table in tables:
        for i in range(0, len(keys), CHUNK):
            out |= {str(u) for u in conn.execute(sa.select(table.c.user_id).distinct().where(
                table.c.user_id.in_(keys[i:i + CHUNK]))).scalars()}
    return out


def own_users(conn: Connection, texts: Collection[str]) -> set[str]:
    """The ``texts`` the store holds as users of their own: in events or plan rows, not as
    opt-outs alone (``held_users``)."""
    from recommender.campaigns.events import events

    return held_users(conn, texts, (events, plan_rows))


def reads_as(conn: Connection, texts: Iterable[str], ids: Sequence[str], exact: bool
             ) -> dict[str, str]:
    """{text: the first of ``ids`` it is read as} for each of ``texts`` the opt-out reader
    reads as one of ``ids`` (module docstring); a text held as a user of its own is left out
    (unless an id itself)."""
    wanted = dict.fromkeys(ids)
    texts = list(dict.fromkeys(texts))
    readings = {t: wrapped_readings(t) for t in texts}
    held = own_users(conn, {r for rs in readings.values() for r in rs} - set(wanted))
    readings = {t: rs for t, rs in readings.items() if t in wanted or t not in held}
    out = {t: hit for t, rs in readings.items()
           if (hit := next((r for r in rs if r in wanted), None)) is not None}
    rest = [(t, r) for t, rs in readings.items() if t not in out for r in rs]
    if rest and not exact:  # another Unicode form: the reader's own twins
        universe = IdMap(list(dict.fromkeys([*wanted, *held])))
        pos, idx = universe.opt_out_twins([r for _, r in rest])
        for p, name in zip(pos.tolist(), universe.to_ids(idx).tolist(), strict=True):
            if name in wanted:
                out.setdefault(rest[p][0], name)
    return out


def _find(conn: Connection) -> Any:
    return sa.func.strpos if conn.dialect.name == "postgresql" else sa.func.instr


def stored_forms(conn: Connection, ids: Sequence[str], exact: bool) -> dict[str, str]:
    """{opt-out as stored: the id of ``ids`` it is read as} over ``campaign_plan_exclusions``
    (the ids themselves included): a look-up by substring."""
    col = plan_exclusions.c.user_id
    found: set[str] = set()
    wanted = needles(ids, exact)
    for i in range(0, len(wanted), TEXT_CHUNK):
        q = sa.select(col).distinct().where(sa.or_(*(
            _find(conn)(col, n) > 0 for n in wanted[i:i + TEXT_CHUNK])))
        found |= {str(u) for u in conn.execute(q).scalars()}
    read = reads_as(conn, found, ids, exact)
    owned = owned_opt_outs(conn, [t for t, u in read.items() if t != u])
    return {t: u for t, u in read.items() if t not in owned}


#: the end of an ``opt_out_form`` note naming fewer readings than it counts
_MORE = re.compile(r" and [0-9,]+ more: an opt-out fails safe$")


def known_as_written(summary: Any, texts: Iterable[str]) -> set[str]:
    """Those of ``texts`` (opt-outs of one plan) its planning model knew as written, by what
    the plan's ``summary`` records of how each was read: counted among the model's users
    (``excluded_unknown_users`` at most ``plan.SHOWN_UNKNOWN_OPT_OUTS``, so that
    ``excluded_unknown_user_ids`` lists every one it did not know) and not named in its
    ``opt_out_form`` note as read in another Unicode form or behind a U+FEFF (an ASCII text
    has no such reading; a note naming fewer than it counts can say no other). A text the
    record cannot place (a plan before the count, more unknown opt-outs than listed) is left
    out: read by its forms, as before the record."""
    from recommender.campaigns.plan import SHOWN_UNKNOWN_OPT_OUTS
    from recommender.io.ids import form_named

    params = summary.get("parameters") if isinstance(summary, dict) else None
    listed = params.get("excluded_unknown_user_ids") if isinstance(params, dict) else None
    count = params.get("excluded_unknown_users") if isinstance(params, dict) else None
    if not isinstance(listed, list) or not isinstance(count, int) \
            or count > SHOWN_UNKNOWN_OPT_OUTS:
        return set()
    notes = [str(n.get("note", "")) for n in summary.get("plan_notes") or []
             if isinstance(n, dict) and n.get("kind") == "opt_out_form"]
    cut = any(_MORE.search(n) for n in notes)
    unknown = {str(u) for u in listed}
    return {t for t in texts if t not in unknown and (t.isascii() or not cut)
            and not any(f"{t!r}{form_named(t)} as " in n for n in notes)}


def owned_opt_outs(conn: Connection, texts: Sequence[str]) -> set[str]:
    """Those of ``texts`` stored as an opt-out of a plan whose model knew them as written
    (``known_as_written``): a user of their own, never another id's form (the model read
    them so, and a next wave reads a stored opt-out byte for byte)."""
    texts = list(dict.fromkeys(texts))
    stored: dict[str, set[str]] = {}
    for i in range(0, len(texts), CHUNK):
        for p, u in conn.execute(sa.select(plan_exclusions.c.plan_id, plan_exclusions.c.user_id
                                           ).where(plan_exclusions.c.user_id.in_(
                                               texts[i:i + CHUNK]))):
            stored.setdefault(str(p), set()).add(str(u))
    owned: set[str] = set()
    plan_ids = list(stored)
    for i in range(0, len(plan_ids), CHUNK):
        for p, text in conn.execute(sa.select(plans.c.plan_id, plans.c.summary).where(
                plans.c.plan_id.in_(plan_ids[i:i + CHUNK]))):
            try:
                summary = json.loads(str(text))
            except ValueError:
                continue  # a damaged summary records nothing: read by its forms
            owned |= known_as_written(summary, stored[str(p)])
    return owned


def tombstone_opt_outs(conn: Connection, forms: dict[str, str], tomb: dict[str, str]) -> None:
    """Each opt-out row of ``forms`` given its id's tombstone; a plan's second form of one id
    deleted (one row per plan and tombstone: the table's key)."""
    texts = list(forms)
    rows: list[tuple[str, str]] = []
    for i in range(0, len(texts), CHUNK):
        rows += [(str(p), str(u)) for p, u in conn.execute(sa.select(
            plan_exclusions.c.plan_id, plan_exclusions.c.user_id).where(
            plan_exclusions.c.user_id.in_(texts[i:i + CHUNK])))]
    seen: set[tuple[str, str]] = set()
    for plan_id, text in rows:
        t = tomb[forms[text]]
        where = (plan_exclusions.c.plan_id == plan_id) & (plan_exclusions.c.user_id == text)
        if (plan_id, t) in seen:
            conn.execute(plan_exclusions.delete().where(where))
        else:
            seen.add((plan_id, t))
            conn.execute(plan_exclusions.update().where(where).values(user_id=t))


def opt_out_counts(conn: Connection, forms: dict[str, str]) -> dict[str, int]:
    """Per id, the opt-out rows of its ``forms``."""
    texts = list(forms)
    out: dict[str, int] = {}
    for i in range(0, len(texts), CHUNK):
        for u, n in conn.execute(sa.select(plan_exclusions.c.user_id, sa.func.count()).where(
                plan_exclusions.c.user_id.in_(texts[i:i + CHUNK])).group_by(
                plan_exclusions.c.user_id)):
            out[forms[str(u)]] = out.get(forms[str(u)], 0) + int(n)
    return out


def _holding(conn: Connection, column: sa.Column[Any], ids: list[str], *extra: sa.Column[Any]
             ) -> list[tuple[str, ...]]:
    """The rows (``column`` and ``extra``) whose text ``column`` holds one of ``ids`` (as
    typed or as JSON writes it, non-ASCII escaped): a look-up by substring."""
    found: dict[tuple[str, ...], None] = {}  # in the order read, once each
    for i in range(0, len(ids), TEXT_CHUNK):
        wanted = {n for u in ids[i:i + TEXT_CHUNK] for n in (u, json.dumps(u)[1:-1]) if n}
        q = sa.select(column, *extra).where(sa.or_(*(_find(conn)(column, n) > 0
                                                     for n in wanted)))
        found.update(dict.fromkeys(tuple(str(v) for v in r) for r in conn.execute(q)))
    return list(found)


def strings(value: Any) -> list[str]:
    """Every string of parsed JSON ``value``: its string values and its objects' keys."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *strings(v)]]
    return []


class Swap:
    """Rewrites parsed JSON: a string that is a form of an erased id (``forms``: form -> id)
    becomes ``tomb[id]``; a longer one quoting a form (a plan note, ``repr``) gets the
    tombstone's quote in its place. ``hit``: the ids met."""

    def __init__(self, forms: dict[str, str], tomb: dict[str, str]) -> None:
        self.forms, self.tomb, self.hit = forms, tomb, set[str]()
        by_len = sorted(forms, key=len, reverse=True)
        self.quoted = {repr(f): f for f in by_len}
        self.find = re.compile("|".join(re.escape(q) for q in self.quoted)) if forms else None

    def text(self, s: str) -> str:
        if s in self.forms:
            self.hit.add(self.forms[s])
            return self.tomb[self.forms[s]]
        if self.find is None or self.find.search(s) is None:
            return s

        def one(m: re.Match[str]) -> str:
            u = self.forms[self.quoted[m.group(0)]]
            self.hit.add(u)
            return repr(self.tomb[u])
        return self.find.sub(one, s)

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {self(k): self(v) for k, v in value.items()}
        return value


#: keys no erasure rewrites: a keyed caller's (``by `` and a SHA-256 of its id and the key:
#: ``service.idempotency.stored_key``; no header nor ``--idempotency-key`` holds a space) and
#: one an erasure gave already (a tombstone and a number): neither holds an id as text, and a
#: short id (``a``, ``7``) is in nearly every one of their hex digits
HASHED_KEY = re.compile(r"by [0-9a-f]{64}|" + TOMBSTONE_PREFIX + r"[0-9a-f]{32}:[0-9]+")


def keys_holding(key: str, ids: list[str]) -> str | None:
    """The first of ``ids`` that idempotency key ``key`` holds, or None: a key a client chose
    is free text (``key-u00458``, ``u00458:retry``), so one holding an id anywhere is one,
    by substring (a key that holds ``u1`` in ``u12`` too: it errs to the person's side, and
    a retry with the retired key plans anew); a ``HASHED_KEY`` holds none."""
    if HASHED_KEY.fullmatch(key):
        return None
    return next((u for u in ids if u in key), None)


def other_text(conn: Connection, ids: list[str], forms: dict[str, str], exact: bool
               ) -> tuple[dict[str, int], dict[str, int], list[tuple[str, str, dict[str, str]]],
                          list[tuple[str, str]]]:
    """Where else the store holds ``ids``: per id, the count of plan summaries whose JSON has
    it or a form of it (``forms``, the opt-outs', and the summary's own: ``reads_as``) as a
    string or quotes one (a note), and the count of idempotency keys holding it
    (``keys_holding``); the summaries ``(plan_id, text, their forms)`` and the keys ``(key,
    the first id it holds)``. Every other text column of the store holds no id a caller gave
    (plan ids are drawn, ``writer`` is a fingerprint, ``campaign_store_info`` holds the
    store's own values)."""
    found = _holding(conn, plans.c.summary, needles(ids, exact), plans.c.plan_id)
    parsed = [(str(p), str(t), json.loads(t)) for t, p in found]
    own = reads_as(conn, {s for _, _, v in parsed for s in strings(v)}, ids, exact)
    owned = owned_opt_outs(conn, [t for t, u in own.items() if t != u])
    own = {t: u for t, u in own.items() if t not in owned}
    every = {**forms, **own, **{u: u for u in ids}}
    in_summaries: dict[str, int] = {}
    summaries: list[tuple[str, str, dict[str, str]]] = []
    swap = Swap(every, dict.fromkeys(ids, ""))  # one search for every summary
    for plan_id, text, value in parsed:
        swap.hit = set()
        swap(value)
        if swap.hit:
            summaries.append((plan_id, text, every))
            for u in swap.hit:
                in_summaries[u] = in_summaries.get(u, 0) + 1
    in_keys: dict[str, int] = {}
    keys: list[tuple[str, str]] = []
    for (key,) in _holding(conn, idempotency.c.key, ids):
        first = keys_holding(str(key), ids)
        if first is not None:
            keys.append((str(key), first))
            in_keys[first] = in_keys.get(first, 0) + 1
    return in_summaries, in_keys, summaries, keys


def _readings(opted_out: Sequence[str]) -> tuple[pa.Array, pa.Array]:
    """(owner, reading) pairs of ``opted_out``: each opt-out as written, the
    ``wrapped_readings`` of those ``_wrapped`` finds, and the NFC and NFD forms of every
    non-ASCII one of them (``forget`` erases an id's other Unicode form too, so a later plan
    reads it so); vectorised but for the few wrapped ones (a Python call each)."""
    wrapped = [(o, r) for o in _wrapped(opted_out) for r in wrapped_readings(o)[1:]]
    owner = pa.array([*opted_out, *(o for o, _ in wrapped)], pa.string())
    reading = pa.array([*opted_out, *(r for _, r in wrapped)], pa.string())
    odd = pc.invert(pc.string_is_ascii(reading))
    o_odd, r_odd = owner.filter(odd), reading.filter(odd)
    return (pa.concat_arrays([owner, o_odd, o_odd]),
            pa.concat_arrays([reading, pc.utf8_normalize(r_odd, "NFC"),
                              pc.utf8_normalize(r_odd, "NFD")]))


def erased_opt_outs(conn: Connection, opted_out: Sequence[str], summary: Any = None
                    ) -> set[str]:
    """The opt-outs among ``opted_out`` that are, or read as (``wrapped_readings``: spaces,
    our quoting, a leading U+FEFF; and their NFC and NFD forms, ``_readings``), an id erased
    before (``erasure.erased_among``), but for one that is a user of its own: held as one by
    the store, or known as written to the planning model (``known_as_written`` of the plan's
    ``summary``). A plan stores them without their id (they name no user of a model served
    on this store)."""
    from recommender.campaigns.erasure import erased_among, erasures

    if not opted_out or not sa.inspect(conn).has_table(erasures.name) or conn.execute(
            sa.select(erasures.c.digest).limit(1)).first() is None:
        return set()  # none erased: no opt-out read (each one's readings are a Python call)
    owner, reading = _readings(list(opted_out))
    gone = erased_among(conn, [str(r) for r in pc.unique(reading).to_pylist()])
    if not gone:
        return set()
    found = pc.is_in(reading, value_set=pa.array(sorted(gone), pa.string()))
    hit = {str(o) for o in pc.unique(owner.filter(found)).to_pylist()}
    own = (own_users(conn, hit) | known_as_written(summary, hit)) - gone
    return hit - own


def without_erased_opt_outs(conn: Connection, summary: dict[str, Any], opted_out: list[str]
                            ) -> tuple[dict[str, Any], list[str]]:
    """(``summary``, ``opted_out``) less the opt-outs that name an erased id
    (``erased_opt_outs``): a plan stores neither the row nor the id in its
    ``excluded_unknown_user_ids``, and counts them in ``parameters.excluded_erased`` (count):
    an opt-out list naming an erased person put the id back in the store. ``summary`` as
    given where none does."""
    gone = erased_opt_outs(conn, opted_out, summary)
    if not gone:
        return summary, opted_out
    params = dict(summary.get("parameters") or {})
    if "excluded_unknown_user_ids" in params:
        params["excluded_unknown_user_ids"] = [
            u for u in params["excluded_unknown_user_ids"] if u not in gone]
    params["excluded_erased"] = len(gone)
    return {**summary, "parameters": params}, [u for u in opted_out if u not in gone]
