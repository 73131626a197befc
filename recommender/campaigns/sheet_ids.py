"""Event ids cut from our CSV files with their spreadsheet-safe quote, read as the ids they quote.

Every CSV file we write prefixes a text cell that begins with ``= + - @``, a tab, a CR or ``'``
(among others) with a ``'``, and puts one after a ``;`` such a character follows
(``recommender.io.csvsafe``): user ``+336123400489`` is the cell
``'+336123400489`` of a plan CSV. Responses keyed by that cell were stored as events of a user
``'+336123400489`` whom no plan targeted, and the campaign report counted no conversion where
every target converted. ``unquoted_ids`` reads such an id as the id it quotes when the model or
the store (its plans' rows and opt-outs, its events: over HTTP a key's own) holds that one
and not the quoted one, as id lists read such a line (``recommender.io.id_lists``); an id
both or neither hold stays as given. The look-up is over the distinct quoted ids alone, the
replacement vectorised.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from recommender.campaigns.events import EventBatch, events
from recommender.campaigns.store import plan_exclusions, plan_rows
from recommender.io.csvsafe import QUOTED_PATTERN, sheet_unquoted

if TYPE_CHECKING:
    from recommender.campaigns.store import CampaignStore

_CHUNK = 500  # ids per IN (...) of a store look-up


@dataclass
class Unquoted:
    """What ``unquoted_ids`` read without its quote: the events, and each column's ids as
    given (distinct, in batch order) with the id each was read as."""

    events: int = 0
    user_ids: dict[str, str] = field(default_factory=dict)
    film_ids: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """One sentence for a ``note:``: the events and up to three ids read so."""
        pairs = [*self.user_ids.items(), *self.film_ids.items()]
        shown = ", ".join(f"{q!r} as {u!r}" for q, u in pairs[:3])
        more = f" and {len(pairs) - 3:,} more" if len(pairs) > 3 else ""
        kinds = " and ".join(k for k, ids in (("user_id", self.user_ids),
                                              ("film_id", self.film_ids)) if ids)
        whose = "1 event's" if self.events == 1 else f"{self.events:,} events'"
        return (f"{whose} {kinds} read "
                f"without the spreadsheet-safe quote of our CSV files ({shown}{more}): the "
                "model or the store holds the id, not the quoted one")


def _in_store(store: CampaignStore, column: str, ids: list[str], writer: str | None
              ) -> set[str]:
    """The ``ids`` the store's plan rows, opt-outs (users) or events (``writer``'s only,
    unless None) hold in ``column``."""
    tables = [plan_rows, events] + ([plan_exclusions] if column == "user_id" else [])
    found: set[str] = set()
    with store.engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            part = ids[start:start + _CHUNK]
            for t in tables:
                query = sa.select(t.c[column]).where(t.c[column].in_(part))
                if t is events and writer is not None:
                    query = query.where(events.c.writer == writer)
                found.update(str(v) for (v,) in conn.execute(query.distinct()))
    return found


def _column(values: list[str], known: Any) -> tuple[list[str], dict[str, str], Any]:
    """``values`` with each quoted id ``known`` (ids -> the ones held) says to read unquoted
    replaced, the replacements, and the rows replaced (a boolean array, or None)."""
    cells = pa.array(values, pa.string())
    quoted = pc.match_substring_regex(cells, QUOTED_PATTERN)
    if not pc.any(quoted).as_py():
        return values, {}, None
    given = pc.unique(pc.filter(cells, quoted)).to_pylist()
    plain = [sheet_unquoted(q) for q in given]
    held = known([*given, *plain])
    read = {q: u for q, u in zip(given, plain, strict=True) if u in held and q not in held}
    if not read:
        return values, {}, None
    at = pc.index_in(cells, value_set=pa.array(list(read), pa.string()))
    replaced = pc.is_valid(at)
    out = pc.if_else(replaced, pc.take(pa.array(list(read.values()), pa.string()), at), cells)
    return out.to_pylist(), read, replaced


def unquoted_ids(batch: EventBatch, model: Any, store: CampaignStore | None,
                 writer: str | None = None) -> tuple[EventBatch, Unquoted]:
    """``batch`` with each user and film id cut with its spreadsheet-safe quote read as the
    id it quotes where ``model`` (or None) or ``store`` (or None) holds that id and not the
    quoted one, and what was read so. ``writer`` (``event_writers.writer_id``) searches that
    writer's events only, not every writer's (None: all, as ``events import`` does): the
    answer told a key whether an id was in another key's events."""
    said = Unquoted()
    columns: dict[str, list[str]] = {}
    rows = None
    for name, ids in (("user_id", None if model is None else model.users),
                      ("film_id", None if model is None else model.films)):

        def known(candidates: list[str], ids: Any = ids, name: str = name) -> set[str]:
            held: set[str] = set()
            if ids is not None:
                at = ids.to_index(candidates, strict=False)
                held.update(c for c, i in zip(candidates, at.tolist(), strict=True) if i >= 0)
            if store is not None:
                held |= _in_store(store, name, candidates, writer)
            return held

        columns[name], read, replaced = _column(getattr(batch, name), known)
        setattr(said, f"{name}s", read)
        if replaced is not None:
            rows = replaced if rows is None else pc.or_(rows, replaced)
    if rows is None:
        return batch, said
    said.events = int(pc.sum(rows).as_py())
    return replace(batch, user_id=columns["user_id"], film_id=columns["film_id"]), said
