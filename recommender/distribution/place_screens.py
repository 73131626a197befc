"""A place breakdown's screens: shared by demand, capped by each place's cinemas, with notes.

``demand``'s breakdown calls ``_screens``: by cinema, city or region a cinema table caps
each place by the screens of its cinemas there, and the warnings name what the table lacks
(a place users name that it does not list, a city it gives without the region that tells
its towns apart).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from recommender.distribution.homonyms import (
    table_places,
    untold_idle,
    untold_rows,
    untold_towns,
)
from recommender.distribution.near_ids import NEAR_WORDS, near_misses, near_said
from recommender.distribution.places import PlaceGroups
from recommender.distribution.screens import largest_remainder, weight_words
from recommender.errors import InvalidParameterError
from recommender.io.places import CINEMA, CINEMAS_FILE, CITY, REGION, Cinemas, screens_by_place
from recommender.io.text import plural
from recommender.query.privacy import OTHER

CAPPED = (CINEMA, CITY, REGION)
"""The place attributes a cinema table caps screens by (its id, city and region columns)."""


EXACTLY = f"compared exactly ({NEAR_WORDS} included)"
"""How the table's ids and names meet the users': one wording for every message."""

NO_CINEMAS = ("no cinema table (cinemas.csv) was found for this model, so the allocation is "
              "not capped by each cinema's screens: give one with --cinemas (the service: "
              "RECOMMENDER_CINEMAS), or retrain from a data folder holding cinemas.csv")


def _pool_note(screens: int, places: int, by: str, table: str | None = None,
               with_cinema: int = 0, weighed: str = "", own: bool = False) -> str | None:
    """What the "other" row's screens are, when it has some and pools places (``places``,
    those merged under the minimum cell): one block for them together (split by their own
    demand, they would show the figures the pool hides); with a cinema table (``table``), for
    the ``with_cinema`` of them the table gives cinemas, shared out by ``weighed``
    (``_pool_weight``). ``own``: the data's own value ``other`` is in the row too, which is
    no pool (alone, MovieLens's non-US ZIPs, the row is that place's and there is no note)."""
    if not screens or not places:
        return None
    what = plural(places, by, "cities" if by == "city" else None, sep=",")
    if own:  # not merged: the users whose value is itself 'other' share the row
        what += f" (beside the users whose {by} is itself '{OTHER}', no pooled place)"
    many = "cities" if by == "city" else f"{by}s"
    whose = f"for the {what} it pools together, one block" if table is None else (
        f"one block for the {with_cinema:,} of its {what} that "
        + (f"are in {table}" if by == "cinema" else f"have a cinema in {table}")
        + f", shared out beside the rows above by {weighed} (the other pooled {many}' "
        "users get no screens, as a place the table lacks)")
    return (f"the {plural(int(screens), 'screen', sep=',')} of 'other' "
            f"{'is' if int(screens) == 1 else 'are'} {whose}: the breakdown does not share "
            "them among those places (by each one's demand they would show what the pool "
            "hides)")


def _pool_weight(groups: PlaceGroups, merge: NDArray[np.bool_], has: NDArray[np.bool_],
                 place_total: NDArray[np.float64], pool: float, min_cell: int,
                 demand: str = "demand") -> tuple[float, str]:
    """The pool's weight in a capped allocation, and what it is: the demand of its places
    that have a cinema (``has``), unless one of the two parts is a small group whose demand
    the screens would show: those places under ``min_cell`` users weigh nothing (the pool
    takes screens only where the rows above are full), the others under it leave the whole
    pool's demand (a public figure). Either way off by less than ``min_cell`` users'.
    ``demand``: the weight's words (``weight_words``: expected new viewers with
    ``screens_by=new``)."""
    many = "cities" if groups.by == "city" else f"{groups.by}s"
    inside = int(groups.users[has].sum())
    outside = int(groups.users[merge & ~has].sum())
    if inside < min_cell:
        return 0.0, (f"no demand, as those {many} hold fewer than {min_cell:,} users (the "
                     "smallest place shown), whose demand the screens would show ('other' "
                     "takes screens only where the rows above are full)")
    if 0 < outside < min_cell:
        lacks = "the table lacks" if groups.by == "cinema" else "without a cinema"
        return pool, (f"the whole pool's {demand}, as its {many} {lacks} hold fewer than "
                      f"{min_cell:,} users (the smallest place shown), whose demand the pool "
                      "less them would show")
    return float(place_total[has].sum()), f"those {many}' {demand} alone"


def _screens(groups: PlaceGroups, keep: NDArray[np.intp], merge: NDArray[np.bool_],
             total: NDArray[np.float64], screens: int | None, cinemas: Cinemas | None,
             place_total: NDArray[np.float64], min_cell: int, figure: str = "expected_total"
             ) -> tuple[NDArray[np.int64] | None, NDArray[np.int64] | None, str | None,
                        str | None, str | None]:
    """The allocation, each row's capacity, ``capped_by``, ``warning`` and the pool's note: by
    cinema, city or region a cinema table caps each place by the screens of its cinemas there
    (an empty column, a ``cinema_id,screens`` table, caps no city or region and says so).
    ``total`` is per row ("other" last), ``place_total`` per place (``groups.labels``): with
    a table, the pool weighs only the demand of its places that have a cinema (a place the
    table lacks gets no screens: the pool's whole demand took screens for them, 30 of 40 for
    a pool whose cities with a cinema hold 98 of its 713 users), unless they, or the others,
    hold fewer than ``min_cell`` users (the screens would show that small group's demand).
    ``figure`` names the column ``total`` and ``place_total`` hold (``expected_new`` with
    ``screens_by=new``: the note then says so)."""
    if screens is None:
        return None, None, None, None, None
    weight = total
    table_note: tuple[str | None, int, str] = (None, 0, "")
    capacity: NDArray[np.int64] | None = None
    capped_by = None
    warning = NO_CINEMAS if groups.by == CINEMA and cinemas is None else None
    table = "" if cinemas is None else Path(cinemas.source).name or CINEMAS_FILE
    if cinemas is not None and groups.by in CAPPED and not cinemas.column(groups.by).any():
        warning = (f"{table} gives no {groups.by} for its cinemas, so the allocation is not "
                   f"capped by {groups.by}")
    elif cinemas is not None and groups.by in CAPPED:
        column = table_places(cinemas, groups.by, groups.homonyms,  # as the users' places
                              groups.city_regions)
        untold = untold_rows(cinemas, groups.by, groups.homonyms)  # no region: which town?
        per_label = screens_by_place(column[~untold], cinemas.screens[~untold], groups.labels)
        capacity = per_label[keep]
        if merge.any():
            capacity = np.concatenate([capacity, [per_label[merge].sum()]])
            has = merge & (per_label > 0)  # the pooled places the table gives cinemas
            pool, weighed = _pool_weight(groups, merge, has, place_total, float(total[-1]),
                                         min_cell, "demand" if figure == "expected_total"
                                         else weight_words(figure))
            weight = np.concatenate([total[:-1], [pool]])
            if not weight.sum() > 0:  # the pool alone, with no weight: it takes every screen
                weight = total
            table_note = (table, int(has.sum()), weighed)
        named = np.isin(column, groups.labels) & ~untold
        lost = ~named & ~untold
        idle = "" if not lost.any() else (
            f"; {plural(int(cinemas.screens[lost].sum()), 'screen', sep=',')} of "
            f"{plural(int(lost.sum()), 'cinema', sep=',')} "
            + ("no user names" if groups.by == CINEMA else f"in a {groups.by} no user names")
            + " cannot be used (e.g. "  # which rows: a misspelt id or name shows here
            + ", ".join(repr(str(x)) for x in list(dict.fromkeys(column[lost].tolist()))[:3])
            + ")")
        near = near_misses(column[lost].tolist(), groups.labels[keep].tolist())
        idle += "; " + near_said(near, "users'") if near else ""  # shown places only
        idle += untold_idle(cinemas, untold)
        capped_by = (f"{table}: {plural(len(cinemas), 'cinema', sep=',')}, "
                     f"{plural(int(cinemas.screens.sum()), 'screen', sep=',')}{idle}")
        warning = _unlisted(groups, keep, cinemas, table)
        if int(capacity.sum()) < screens:  # capped_by says where the other screens are
            # (it names them since 14341bb: an ', e.g. X' after it named one of them twice)
            held = plural(int(capacity.sum()), "screen", sep=",")
            where = ("the cinemas users name" if groups.by == CINEMA else
                     f"the cinemas in the {'cities' if groups.by == CITY else groups.by + 's'} "
                     "users name")
            what = "cinema ids" if groups.by == CINEMA else f"{groups.by} names"
            raise InvalidParameterError(f"screens={screens} is more than the {held} of {where} "
                                        f"({capped_by}; {what} are {EXACTLY})")
    alloc = largest_remainder(weight, screens, capacity)
    # the data's own 'other' joins the row but is no pooled place (merged_places skips it)
    own = merge & (groups.labels == OTHER)
    note = _pool_note(int(alloc[-1]) if merge.any() else 0, int((merge & ~own).sum()),
                      groups.by, *table_note, own=bool(own.any()))
    if note and figure != "expected_total":  # which column the screens followed
        note += f"; every row's screens follow its {weight_words(figure)}"
    return alloc, capacity, capped_by, warning, note


def _unlisted(groups: PlaceGroups, keep: NDArray[np.intp], cinemas: Cinemas, table: str
              ) -> str | None:
    """Places users name that the table lacks (a misspelt or missing id, city or region):
    their demand gets no screens, which a table of zeros does not say. Only places shown as
    rows are named; the merged ones (under the minimum cell) are counted."""
    untold = untold_rows(cinemas, groups.by, groups.homonyms)
    missing = ~np.isin(groups.labels, table_places(cinemas, groups.by, groups.homonyms,
                                                   groups.city_regions)[~untold])
    towns, told = untold_towns(groups.labels, missing, groups.city_regions, cinemas, untold,
                               table, keep)
    missing &= ~towns  # the table has their city, without the region that tells them apart
    # users of a city of several regions who give no region, where the table has the city, by
    # town (a city it lacks is missing whatever the region: 'give their region' misled)
    unplaced = missing & np.isin(groups.labels, groups.homonyms) & (
        groups.by == CITY) & np.isin(groups.labels, np.asarray(cinemas.city, str))
    missing &= ~unplaced
    said = [told] if told else []
    if missing.any():
        named = [str(x) for x in groups.labels[keep][missing[keep]][:3]]
        # a near miss in the table beside each (a stray space, leading zeros, case)
        near = near_misses(named, np.asarray(table_places(
            cinemas, groups.by, groups.homonyms, groups.city_regions), str)[~untold].tolist())
        shown = (" (e.g. " + ", ".join(repr(x) + (f" ({table} has {near[x][0]!r})" if x in near
                                                  else "") for x in named) + ")"
                 if named else "")
        n = int(missing.sum())
        pooled = n - int(missing[keep].sum())  # never named: a place under the minimum cell
        hidden = "" if not pooled else (
            f" ({'pooled' if pooled == n else f'{pooled:,} of them pooled'} in 'other', so not "
            "named)")
        what = "cinema ids" if groups.by == CINEMA else f"{groups.by} names"
        counted = plural(n, groups.by, "cities" if groups.by == CITY else None, sep=",")
        said.append(f"{counted} users "
                    f"name not in {table}{shown} get{'s' if n == 1 else ''} no screens, "
                    f"whatever {'its' if n == 1 else 'their'} demand{hidden}; {what} are "
                    f"{EXACTLY}")
    if unplaced.any():
        names = [str(x) for x in groups.labels[keep][unplaced[keep]][:3]]
        shown = f" ({', '.join(repr(x) for x in names)})" if names else ""
        # a region helps only where the table gives its cinemas of that city one (its towns
        # get no screens either where none does: the told warning above says so)
        helps = (unplaced & np.isin(groups.labels,
                                    np.asarray(cinemas.city, str)[~untold])).any()
        homonym_towns = plural(int(unplaced.sum()), "city", "cities", sep=",")
        said.append(f"the users of {homonym_towns} of several "
                    f"regions who give no region{shown} get no screens: which town's cinemas "
                    "are theirs is not known " + ("(give their region)" if helps else
                                                  f"(nor does {table} say)"))
    return "; ".join(said) or None
