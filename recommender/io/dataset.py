"""In-memory tables the readers produce: interactions, film catalog, user attributes.

Column names are constants in :mod:`recommender.io.columns`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io import arrow_numpy as an
from recommender.io.ids import IdMap, UsersAndFilms
from recommender.io.text import plural

AGE_BANDS = ((0, 18, "under 18"), (18, 25, "18-24"), (25, 35, "25-34"), (35, 45, "35-44"),
             (45, 55, "45-54"), (55, 65, "55-64"), (65, 200, "65+"))


def age_band(ages: NDArray[np.integer],
             blank: NDArray[np.bool_] | None = None) -> NDArray[np.str_]:
    """Map ages in years to the bands in ``AGE_BANDS`` (unknown / negative -> "unknown"); an
    age left ``blank`` (an empty cell) has no band either: "", which filters and tables call
    ``(no value)`` as they call the blank age itself (it was "unknown" beside an age of
    ``(no value)``; "unknown" stays for an age given but not read as a number)."""
    ages = np.asarray(ages)
    out = np.full(ages.shape, "unknown", dtype=object)
    for lo, hi, label in AGE_BANDS:
        out[(ages >= lo) & (ages < hi)] = label
    if blank is not None:
        out[np.asarray(blank, bool)] = ""
    return out.astype(str)


def age_bands(values: NDArray[np.str_]) -> NDArray[np.str_]:
    """The ``age_band`` of each age as a users file writes it (text): a blank cell has no
    band (""), text that is no number is "unknown"."""
    from recommender.io.convert import ages

    text = np.asarray(values, dtype=str)
    return age_band(ages(text), blank=np.char.strip(text) == "")


@dataclass
class Catalog:
    """Film metadata, one row per film id.

    ``genres`` is ``|``-joined ("" for none); year 0 means unknown.
    """

    film_ids: NDArray[np.str_]
    titles: NDArray[np.str_]
    years: NDArray[np.int32]
    genres: NDArray[np.str_]

    def __len__(self) -> int:
        return len(self.film_ids)

    def aligned_to(self, films: IdMap) -> Catalog:
        """Rows reordered to ``films``' indices; films missing from the catalog get empty fields."""
        n = len(films)
        titles = np.full(n, "", dtype=object)
        years = np.zeros(n, dtype=np.int32)
        genres = np.full(n, "", dtype=object)
        pos = films.to_index(self.film_ids, strict=False)
        ok = pos >= 0
        titles[pos[ok]] = self.titles[ok]
        years[pos[ok]] = self.years[ok]
        genres[pos[ok]] = self.genres[ok]
        return Catalog(films.ids.copy(), titles.astype(str), years, genres.astype(str))

    def genre_vocabulary(self) -> list[str]:
        return sorted({g for row in self.genres.tolist() for g in row.split("|") if g})


@dataclass
class UserTable:
    """User attributes, one row per user id; every attribute is a string array ("" = unknown).

    ``derived`` names the attributes the reader worked out from another column rather than
    read (``region`` from ``zip``, ``age_band`` from ``age``), each with that column: a
    stated value outranks a derived one when two tables merge (``--users``)."""

    user_ids: NDArray[np.str_]
    attributes: dict[str, NDArray[np.str_]] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)

    def aligned_to(self, users: IdMap) -> UserTable:
        n = len(users)
        pos = users.to_index(self.user_ids, strict=False)
        ok = pos >= 0
        out: dict[str, NDArray[np.str_]] = {}
        for name, values in self.attributes.items():
            col = np.full(n, "", dtype=object)
            col[pos[ok]] = np.asarray(values)[ok]
            out[name] = col.astype(str)
        return UserTable(users.ids.copy(), out, dict(self.derived))


@dataclass
class Interactions(UsersAndFilms):
    """One row per distinct (user, film) pair, with index columns into ``users`` and ``films``.

    Duplicated (user, film) events are merged by ``from_columns`` (``rows_read`` rows, of which
    ``rows_merged`` merged into another): ``weight`` is the sum of the
    events' weights (each event counts 1 when the source has no weight column), ``rating`` is the
    rating of the latest event (by timestamp, ties and missing timestamps by file order) and
    ``timestamp`` is the first one: when the user first watched the film, so that a time split
    (evaluation, the calibration holdout) keeps a film watched before its cut-off in training,
    never as a "new" viewing of a user who had seen it (a re-watch after the cut-off).
    """

    users: IdMap
    films: IdMap
    user_idx: NDArray[np.int32]
    film_idx: NDArray[np.int32]
    weight: NDArray[np.float32]
    rating: NDArray[np.float32] | None = None
    timestamp: NDArray[np.int64] | None = None
    catalog: Catalog | None = None
    user_table: UserTable | None = None
    source: str = ""
    # the source's rows before duplicates were merged, and how many merged into another (so
    # rows_read - rows_merged rows are distinct pairs); 0, 0 when not read by from_columns
    rows_read: int = 0
    rows_merged: int = 0
    # rows read with a blank rating (``blank_ratings``: dropped, or kept as views), and the
    # rating the kept ones' unrated pairs were given (None: none given)
    unrated: int = 0
    unrated_as: float | None = None
    # the blank-ratings choice the log was read with (``readers.load``: refuse, drop or
    # implicit); None when not read by it (meta.json then records none)
    blank_ratings: str | None = None

    def __len__(self) -> int:
        return len(self.user_idx)

    @classmethod
    def from_columns(
        cls,
        user_ids: pa.Array | pa.ChunkedArray,
        film_ids: pa.Array | pa.ChunkedArray,
        rating: NDArray[np.floating] | None = None,
        weight: NDArray[np.floating] | None = None,
        timestamp: NDArray[np.integer] | None = None,
        catalog: Catalog | None = None,
        user_table: UserTable | None = None,
        source: str = "",
    ) -> Interactions:
        """Build from raw event columns (ids as arrow string arrays), merging duplicates.

        Users and films are indexed in order of first appearance.
        """
        u_codes, users = _encode(user_ids)
        f_codes, films = _encode(film_ids)
        n = len(u_codes)
        key = u_codes.astype(np.int64)
        key *= max(len(films), 1)
        key += f_codes
        ts = None if timestamp is None else np.asarray(timestamp, dtype=np.int64)
        # order by (key, timestamp, file position). A stable sort on the key alone gives
        # exactly that order unless a key repeats with timestamps to order (then lexsort);
        # it is several times faster than the three-key lexsort on millions of rows.
        order, key_s = _stable_order(key)
        del key
        distinct = _increasing(key_s)  # no (user, film) pair repeats: no merge needed
        new_key = None if distinct else key_s[1:] != key_s[:-1]
        if ts is not None and not distinct:
            order = np.lexsort((np.arange(n), ts, u_codes.astype(np.int64)
                                * max(len(films), 1) + f_codes))
        if distinct:
            first = last = order
            merged_w = (np.ones(n, np.float32) if weight is None
                        else np.asarray(weight, np.float32)[order])
        else:
            starts = np.flatnonzero(np.r_[True, new_key])
            first, last = order[starts], order[np.r_[starts[1:], n] - 1]
            if weight is None:
                merged_w = np.diff(np.r_[starts, n]).astype(np.float32)
            else:
                summed = np.add.reduceat(np.asarray(weight, np.float64)[order], starts)
                _check_float32_sums(summed, users, films, u_codes[first], f_codes[first],
                                    source)
                merged_w = summed.astype(np.float32)
        del key_s, new_key
        merged_r = None if rating is None else np.asarray(rating, np.float32)[last]
        if merged_r is not None and not distinct and np.isnan(merged_r).any():
            merged_r = _latest_rated(np.asarray(rating, np.float32)[order], starts)
        return cls(
            users=users,
            films=films,
            user_idx=u_codes[first],
            film_idx=f_codes[first],
            weight=merged_w,
            rating=merged_r,
            timestamp=None if ts is None else ts[first],
            catalog=catalog,
            user_table=user_table,
            source=source,
            rows_read=n,
            rows_merged=n - len(first),
        )

    def subset(self, mask: NDArray[np.bool_]) -> Interactions:
        """The rows where ``mask`` holds, with the same id maps."""
        return replace(
            self,
            user_idx=self.user_idx[mask],
            film_idx=self.film_idx[mask],
            weight=self.weight[mask],
            rating=None if self.rating is None else self.rating[mask],
            timestamp=None if self.timestamp is None else self.timestamp[mask],
        )

    def to_csr(self, values: NDArray[np.floating] | None = None) -> sp.csr_matrix:
        """users x films CSR (float32) of ``values`` (default: 1 per interaction)."""
        vals = np.ones(len(self), np.float32) if values is None else np.asarray(values, np.float32)
        shape = (self.n_users, self.n_films)
        n = len(self)
        if 0 < n < 2**31 - 1 and max(shape) < 2**31 - 1:
            # rows already in (user, film) order without repeats (as from_columns leaves them):
            # the CSR arrays are the columns themselves, no COO conversion or sort needed
            u = self.user_idx.astype(np.int64)
            f = self.film_idx.astype(np.int64)
            if bool(np.all((u[1:] > u[:-1]) | ((u[1:] == u[:-1]) & (f[1:] > f[:-1])))):
                indptr = np.zeros(shape[0] + 1, np.int32)
                np.cumsum(np.bincount(u, minlength=shape[0]), out=indptr[1:])
                return sp.csr_matrix((vals.copy() if values is not None else vals,
                                      f.astype(np.int32), indptr), shape=shape,
                                     dtype=np.float32)
        m = sp.csr_matrix((vals, (self.user_idx, self.film_idx)), shape=shape, dtype=np.float32)
        m.sum_duplicates()
        m.sort_indices()
        return m

    def fingerprint(self) -> str:
        """A sha256 over the merged interactions (ids, weights, ratings, timestamps)."""
        h = hashlib.sha256()
        h.update("\x00".join(self.users.ids.tolist()).encode())
        h.update("\x00".join(self.films.ids.tolist()).encode())
        for arr in (self.user_idx, self.film_idx, self.weight, self.rating, self.timestamp):
            if arr is not None:
                h.update(np.ascontiguousarray(arr).tobytes())
        return h.hexdigest()


def _latest_rated(ordered: NDArray[np.float32], starts: NDArray[np.intp]) -> NDArray[np.float32]:
    """Each group's (``starts``, in ``ordered``) latest rating that is not NaN (an event
    without one, ``blank_ratings``' implicit views, does not replace the rating given), NaN
    for a group with none."""
    n = len(ordered)
    rated_at = np.where(np.isnan(ordered), -1, np.arange(n))
    np.maximum.accumulate(rated_at, out=rated_at)
    last_rated = rated_at[np.r_[starts[1:], n] - 1]
    found = last_rated >= starts
    return np.where(found, ordered[np.maximum(last_rated, 0)], np.float32(np.nan)
                    ).astype(np.float32)


def _stable_order(key: NDArray[np.int64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(``np.argsort(key, kind="stable")``, ``key`` in that order), the same arrays; ``key``'s
    memory is reused (the caller gives it up). When each key and its row number fit in 64 bits
    together, the keys are sorted with the row numbers packed below them: all distinct, so any
    sort orders them as the stable argsort does, and sorting values is a few times faster than
    an argsort on millions of rows (and the sorted keys need no gather after it)."""
    n = len(key)
    shift = max((n - 1).bit_length(), 1)
    if n < 2 or int(key.min()) < 0 or int(key.max()) >= 1 << (64 - shift):
        by_key = np.argsort(key, kind="stable")
        return by_key, key[by_key]
    packed = key.view(np.uint64)
    packed <<= np.uint64(shift)
    rows = np.arange(n, dtype=np.uint64)
    packed |= rows
    # the values are distinct, so any sort gives the one order: numpy's default (a SIMD
    # quicksort where the CPU has one) sorted 20M of them ~3x faster than the stable sort
    # (timsort), runs of a log grouped by user and all; a log already in (user, film) order
    # (MovieLens' files) is not sorted again
    if not _increasing(packed):
        packed.sort()
    # the row numbers into the arange's memory: a fresh array of n was as slow as the sort
    np.bitwise_and(packed, np.uint64((1 << shift) - 1), out=rows)
    packed >>= np.uint64(shift)
    return rows.view(np.int64), packed.view(np.int64)


def _increasing(values: NDArray[np.integer], block: int = 1 << 20) -> bool:
    """Whether ``values`` increase strictly, read in blocks (no temporary array of their
    length)."""
    for start in range(0, len(values) - 1, block):
        part = values[start:start + block + 1]
        if not bool(np.all(part[1:] > part[:-1])):
            return False
    return True


def _encode(ids: pa.Array | pa.ChunkedArray) -> tuple[NDArray[np.int32], IdMap]:
    """(one code per row, the distinct ids in order of first appearance). A dictionary array
    with distinct entries is re-coded on its integer codes (its unused entries dropped); codes
    already so (``convert.interaction_ids``' fresh encoding) are kept as they are."""
    arr = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if pa.types.is_dictionary(arr.type) and arr.null_count == 0:
        values = arr.dictionary.cast(pa.string())
        if len(pc.unique(values)) == len(values):
            codes = _codes(arr.indices)
            if _first_appearance(codes, len(values)):
                return codes, IdMap(values)
            enc = pc.dictionary_encode(arr.indices)
            return _codes(enc.indices), IdMap(values.take(enc.dictionary))
        arr = arr.dictionary_decode()
    enc = pc.dictionary_encode(arr.cast(pa.string()))
    return _codes(enc.indices), IdMap(enc.dictionary)


def _codes(indices: pa.Array) -> NDArray[np.int32]:
    """Dictionary indices (no nulls) as an int32 array."""
    return np.asarray(an.values(indices)).astype(np.int32, copy=False)


def _first_appearance(codes: NDArray[np.int32], n_values: int, block: int = 1 << 20) -> bool:
    """Whether every one of ``n_values`` codes occurs and each first occurs in code order (0,
    then 1...): then dictionary-encoding the codes again maps each code to itself."""
    if len(codes) == 0 or codes[0] != 0:
        return False
    top = -1  # the largest code before the block; blocks keep the temporaries small
    for start in range(0, len(codes), block):
        part = codes[start:start + block]
        seen = np.maximum.accumulate(part)
        np.maximum(seen, top, out=seen)
        # each code at most one past the largest before it
        if int(part[0]) > top + 1 or not bool(np.all(part[1:] <= seen[:-1] + 1)):
            return False
        top = int(seen[-1])
    return top == n_values - 1


def _check_float32_sums(summed: NDArray[np.float64], users: IdMap, films: IdMap,
                        u: NDArray[np.integer], f: NDArray[np.integer], source: str) -> None:
    """``DataError`` naming the first (user, film) whose events' weights sum past the largest
    float32 (each weight is checked as read, ``convert.float_column``; two of 3e38 summed to
    inf with numpy's overflow warning, and the fit then failed blaming the weighting)."""
    over = np.flatnonzero(~(np.abs(summed) <= np.finfo(np.float32).max))
    if len(over):
        i = int(over[0])
        raise DataError(source or "the log", f"the events of user {str(users.ids[u[i]])!r} "
                        f"and film {str(films.ids[f[i]])!r} (merged into one interaction) have "
                        f"weights summing to {float(summed[i]):g}, past 3.4e+38 (the engine "
                        "keeps 32-bit floats); expected a sum per user and film of at most "
                        f"that ({plural(len(over), 'such pair', sep=',')})")
