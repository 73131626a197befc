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
from recommender.distribution.places import PlaceGroups
from recommender.distribution.screens import largest_remainder
from recommender.errors import InvalidParameterError
from recommender.io.places import CINEMA, CINEMAS_FILE, CITY, REGION, Cinemas, screens_by_place
from recommender.io.text import plural

CAPPED = (CINEMA, CITY, REGION)
"""The place attributes a cinema table caps screens by (its id, city and region columns)."""


NO_CINEMAS = ("no cinema table (cinemas.csv) was found for this model, so the allocation is "
              "not capped by each cinema's screens: give one with --cinemas (the service: "
              "RECOMMENDER_CINEMAS), or retrain from a data folder holding cinemas.csv")


def _pool_note(screens: int, places: int, by: str) -> str | None:
    """What the "other" row's screens are, when it has some: one block for its pooled places
    together (split by their own demand, they would show the figures the pool hides)."""
    if not screens:
        return None
    return (f"the {plural(int(screens), 'screen')} of 'other' "
            f"{'is' if int(screens) == 1 else 'are'} for the "
            f"{plural(places, by, 'cities' if by == 'city' else None)} it pools together, one "
            "block: the breakdown "
            "does not share them among those places (by each one's demand they would show "
            "what the pool hides)")


def _screens(groups: PlaceGroups, keep: NDArray[np.intp], merge: NDArray[np.bool_],
             total: NDArray[np.float64], screens: int | None, cinemas: Cinemas | None
             ) -> tuple[NDArray[np.int64] | None, NDArray[np.int64] | None, str | None,
                        str | None]:
    """The allocation, each row's capacity, ``capped_by`` and ``warning``: by cinema, city or
    region a cinema table caps each place by the screens of its cinemas there (an empty
    column, a ``cinema_id,screens`` table, caps no city or region and says so)."""
    if screens is None:
        return None, None, None, None
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
        named = np.isin(column, groups.labels) & ~untold
        lost = ~named & ~untold
        idle = "" if not lost.any() else (
            f"; {plural(int(cinemas.screens[lost].sum()), 'screen')} of "
            f"{plural(int(lost.sum()), 'cinema')} "
            + ("no user names" if groups.by == CINEMA else f"in a {groups.by} no user names")
            + " cannot be used (e.g. "  # which rows: a misspelt id or name shows here
            + ", ".join(repr(str(x)) for x in list(dict.fromkeys(column[lost].tolist()))[:3])
            + ")")
        idle += untold_idle(cinemas, untold)
        capped_by = (f"{table}: {plural(len(cinemas), 'cinema')}, "
                     f"{plural(int(cinemas.screens.sum()), 'screen')}{idle}")
        warning = _unlisted(groups, keep, cinemas, table)
        if int(capacity.sum()) < screens:  # capped_by says where the other screens are
            # (it names them since 14341bb: an ', e.g. X' after it named one of them twice)
            raise InvalidParameterError(
                f"screens={screens} is more than the {plural(int(capacity.sum()), 'screen')} "
                f"of the cinemas in the {groups.by} values users name ({capped_by}; "
                f"{groups.by} names are compared exactly, spaces included)"
                if groups.by != CINEMA else
                f"screens={screens} is more than the {plural(int(capacity.sum()), 'screen')} "
                f"of the cinemas users name ({capped_by}; cinema ids are compared exactly, "
                "spaces included)")
    return largest_remainder(total, screens, capacity), capacity, capped_by, warning


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
        shown = f" (e.g. {', '.join(repr(x) for x in named)})" if named else ""
        what = "cinema ids" if groups.by == CINEMA else f"{groups.by} names"
        n = int(missing.sum())
        said.append(f"{plural(n, groups.by, 'cities' if groups.by == CITY else None)} users "
                    f"name not in {table}{shown} get{'s' if n == 1 else ''} no screens, "
                    f"whatever {'its' if n == 1 else 'their'} demand; {what} are compared "
                    "exactly, case and spaces included")
    if unplaced.any():
        names = [str(x) for x in groups.labels[keep][unplaced[keep]][:3]]
        shown = f" ({', '.join(repr(x) for x in names)})" if names else ""
        # a region helps only where the table gives its cinemas of that city one (its towns
        # get no screens either where none does: the told warning above says so)
        helps = (unplaced & np.isin(groups.labels,
                                    np.asarray(cinemas.city, str)[~untold])).any()
        said.append(f"the users of {plural(int(unplaced.sum()), 'city', 'cities')} of several "
                    f"regions who give no region{shown} get no screens: which town's cinemas "
                    "are theirs is not known " + ("(give their region)" if helps else
                                                  f"(nor does {table} say)"))
    return "; ".join(said) or None
