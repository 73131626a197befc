"""Extra catalogs and user tables (``--films``, ``--users``) merged with a dataset's own.

``readers.load`` reads the extra table (``side_files``) and merges it here: its rows win,
in the columns it has (``merge_catalogs``), or the values it states (``merge_user_tables``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from recommender.io.columns import AGE, AGE_BAND, GENRES, REGION, TITLE, YEAR, ZIP
from recommender.io.dataset import Catalog, UserTable, age_bands
from recommender.io.ids import IdMap
from recommender.io.places import ZIP_ZONE
from recommender.io.public import zip_region, zip_zone


def merge_catalogs(first: Catalog, second: Catalog, lacks: Sequence[str] = ()) -> Catalog:
    """Union of two catalogs; ``first`` wins for films in both, in the columns it has: a
    column it ``lacks`` (``title``, ``year``, ``genres``) is ``second``'s (a ``--films`` of
    ``film_id,title`` wiped the folder's genres and years of its films; a year ``first``
    found in a title is kept)."""
    extra = ~np.isin(second.film_ids, first.film_ids)
    pos = IdMap(second.film_ids).to_index(first.film_ids, strict=False)
    both = pos >= 0
    titles, genres = first.titles.astype(object), first.genres.astype(object)  # any length
    years = first.years.copy()
    if TITLE in lacks:
        titles[both] = second.titles[pos[both]]
    if YEAR in lacks:
        years[both] = np.where(years[both] > 0, years[both], second.years[pos[both]])
    if GENRES in lacks:
        genres[both] = second.genres[pos[both]]
    return Catalog(
        np.concatenate([first.film_ids, second.film_ids[extra]]).astype(str),
        np.concatenate([titles, second.titles[extra]]).astype(str),
        np.concatenate([years, second.years[extra]]).astype(np.int32),
        np.concatenate([genres, second.genres[extra]]).astype(str),
    )


def merge_user_tables(first: UserTable, second: UserTable) -> UserTable:
    """Union of two user tables; ``first``'s values win for users it lists, in the columns it
    states: an attribute ``first`` only derived (``region`` from a ``--users`` of
    ``user_id,zip``) fills the users ``second`` gives no value of it, and one ``second``
    derived from a column ``first`` states (MovieLens' ``zip_zone`` from ``zip``) is derived
    again from ``first``'s values for its users (it kept the old ZIP code's zone)."""
    extra = ~np.isin(second.user_ids, first.user_ids)
    ids = IdMap(np.concatenate([first.user_ids, second.user_ids[extra]]).astype(str))
    a, b = first.aligned_to(ids), second.aligned_to(ids)
    in_first = np.arange(len(ids)) < len(first.user_ids)
    out: dict[str, NDArray[np.str_]] = {}
    derived: dict[str, str] = {}
    for name in list(first.attributes) + [k for k in second.attributes
                                          if k not in first.attributes]:
        if name in a.attributes and name in b.attributes:
            if name in first.derived and name not in second.derived:  # stated outranks
                out[name] = np.where(b.attributes[name] != "", b.attributes[name],
                                     a.attributes[name]).astype(str)
                continue
            out[name] = np.where(in_first, a.attributes[name], b.attributes[name]).astype(str)
        elif name in b.attributes and (again := _derived_again(name, second, a)) is not None:
            out[name] = np.where(in_first, again, b.attributes[name]).astype(str)
        else:
            out[name] = (a.attributes if name in a.attributes else b.attributes)[name]
        if name in (first.derived if name in first.attributes else second.derived):
            derived[name] = (first.derived if name in first.attributes else second.derived)[name]
    return UserTable(ids.ids.copy(), out, derived)


def _derived_again(name: str, second: UserTable, a: UserTable) -> NDArray[np.str_] | None:
    """``second``'s derived attribute ``name`` worked out from ``a``'s (``first``'s, aligned)
    values of its source column, when ``first`` states that column; else None."""
    source = second.derived.get(name)
    if source is None or source not in a.attributes or source in a.derived:
        return None
    values = a.attributes[source]
    if source == ZIP and name == REGION:
        return zip_region(values)
    if source == ZIP and name == ZIP_ZONE:
        return zip_zone(values)
    if source == AGE and name == AGE_BAND:
        return age_bands(values)
    return None
