"""The public datasets' files: MovieLens 100K/1M/10M/latest, MovieTweetings and FilmTrust.

Their rating files have no header (``u.data``: tabs, ``ratings.dat``: ``::``,
``ratings.txt``: spaces); their catalogs and user tables use the codes and conventions
decoded here (genre flags, ML-1M age and occupation codes, US ZIP codes, ``Title (year)``).
The MovieLens latest ``ratings.csv`` and ``movies.csv`` have headers and are read as the
project's own CSV files.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from recommender.errors import DataError
from recommender.io import arrow_numpy as an
from recommender.io.columns import (
    AGE,
    AGE_BAND,
    FILM_ID,
    GENDER,
    GENRES,
    OCCUPATION,
    RATING,
    REGION,
    TIMESTAMP,
    TITLE,
    USER_ID,
    ZIP,
)
from recommender.io.convert import (
    np_str,
    string_ids,
    value_of,
    year_from,
    years,
)
from recommender.io.dataset import Catalog, Interactions, UserTable, age_bands
from recommender.io.delimited import (
    CsvLocator,
    Delimited,
    dat_bytes,
    decode_text,
    problem,
    read_delimited,
    sep_name,
)
from recommender.io.log_table import load_table
from recommender.io.places import ZIP_ZONE
from recommender.io.text import whole_text

#: First digit of a US ZIP code -> coarse region (the USPS national areas).
ZIP_REGIONS: tuple[str, ...] = (
    "New England",     # 0: CT MA ME NH NJ RI VT, PR VI
    "Mid-Atlantic",    # 1: DE NY PA
    "South Atlantic",  # 2: DC MD NC SC VA WV
    "Southeast",       # 3: AL FL GA MS TN
    "Great Lakes",     # 4: IN KY MI OH
    "Upper Midwest",   # 5: IA MN MT ND SD WI
    "Central",         # 6: IL KS MO NE
    "South Central",   # 7: AR LA OK TX
    "Mountain",        # 8: AZ CO ID NM NV UT WY
    "Pacific",         # 9: AK CA HI OR WA
)
NON_US_REGION = "non-US"

#: MovieLens 1M ``users.dat`` age codes (already bands; from the ML-1M README).
ML1M_AGE_BANDS: dict[str, str] = {
    "1": "under 18", "18": "18-24", "25": "25-34", "35": "35-44", "45": "45-49",
    "50": "50-55", "56": "56+",
}

#: MovieLens 1M ``users.dat`` occupation codes (from the ML-1M README).
ML1M_OCCUPATIONS: dict[str, str] = {
    "0": "other", "1": "academic/educator", "2": "artist", "3": "clerical/admin",
    "4": "college/grad student", "5": "customer service", "6": "doctor/health care",
    "7": "executive/managerial", "8": "farmer", "9": "homemaker", "10": "K-12 student",
    "11": "lawyer", "12": "programmer", "13": "retired", "14": "sales/marketing",
    "15": "scientist", "16": "self-employed", "17": "technician/engineer",
    "18": "tradesman/craftsman", "19": "unemployed", "20": "writer",
}

#: MovieLens 100K genre flag order (``u.genre``), used when ``u.genre`` is absent.
ML100K_GENRES: tuple[str, ...] = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance",
    "Sci-Fi", "Thriller", "War", "Western",
)
_NO_GENRES = ("(no genres listed)", "unknown")

#: A year at the end of a title: "(1995)", "(2006-2007)".
YEAR_IN_TITLE = r"\((?P<y>\d{4})(?:[-" + "\u2013" + r"]\d{0,4})?\)\s*$"


def zip_region(zips: Sequence[str] | NDArray[np.str_]) -> NDArray[np.str_]:
    """Coarse region of postal codes: a code starting with a digit is a US ZIP code and maps
    by its first digit through ``ZIP_REGIONS``; any other non-empty code (e.g. Canadian
    ``T8H1N``) is ``"non-US"``; an empty code is ``""`` (unknown)."""
    z = np.char.strip(np.asarray(zips, dtype=str))
    first = np.asarray([s[:1] for s in z.tolist()], dtype=str) if z.size else z
    out = np.full(z.shape, NON_US_REGION, dtype=object)
    for digit, region in enumerate(ZIP_REGIONS):
        out[first == str(digit)] = region
    out[first == ""] = ""
    return out.astype(str)


def zip_zone(zips: Sequence[str] | NDArray[np.str_]) -> NDArray[np.str_]:
    """The ``zip_zone`` place attribute: the first digit of a US ZIP code (``"0"``-``"9"``, the
    USPS national area, the coarsest level of the ZIP system: ``ZIP_REGIONS`` names them);
    ``"other"`` for a code that does not start with a digit (e.g. Canadian ``T8H1N``) or is
    empty. A coarse place for the distribution forecast: ten zones over the whole US."""
    z = np.char.strip(np.asarray(zips, dtype=str))
    first = np.asarray([s[:1] for s in z.tolist()], dtype=str) if z.size else z
    return np.where(np.isin(first, list("0123456789")), first, "other").astype(str)


def clean_genres(col: pa.Array) -> NDArray[np.str_]:
    """``|``-joined genres, each stripped of the spaces around it (``Drama | Comedy`` is
    ``Drama`` and ``Comedy``, not ``Drama `` and `` Comedy``), empty ones and repeats dropped,
    with the "no genres" markers turned into ``""``."""
    values, codes = np.unique(np_str(col), return_inverse=True)  # a catalog repeats its sets
    clean = []
    for v in values.tolist():
        parts = [g.strip() for g in v.split("|")]
        clean.append("|".join(dict.fromkeys(g for g in parts if g and g not in _NO_GENRES)))
    return np.asarray(clean, dtype=str)[codes.reshape(-1)] if len(values) else \
        np.zeros(0, dtype=str)


def dedupe_catalog(cat: Catalog) -> Catalog:
    """The first row of each film id (public catalogs list a few films twice)."""
    _, first = np.unique(cat.film_ids, return_index=True)
    if len(first) == len(cat.film_ids):
        return cat
    keep = np.sort(first)
    return Catalog(cat.film_ids[keep], cat.titles[keep], cat.years[keep], cat.genres[keep])


#: First fields that make a first line a header (compared lower-cased).
HEADER_WORDS = frozenset({"user_id", "userid", "user", "film_id", "filmid", "movie_id",
                          "movieid", "item_id", "itemid", "id", "film", "movie", "item"})


def refuse_header(path: Path, ids: pa.Array, expected: str) -> None:
    """Raise when the first id of a file without a header is a column name: someone wrote a
    header into a file whose format has none."""
    first = value_of(ids, 0).strip().lower() if len(ids) else ""
    if first in HEADER_WORDS:
        raise problem(path, CsvLocator(path, False), 0,
                      f"the first line looks like a header ({value_of(ids, 0)!r}); this file "
                      f"has no header: expected lines {expected}")


# --------------------------------------------------------------------------------------------
# Rating files
# --------------------------------------------------------------------------------------------


def _refuse_header_line(p: Path, data: bytes, delimiter: str, expected: str) -> None:
    """``refuse_header`` on the first field of a rating file's first line (read before the
    file is parsed: a header there would be read as an interaction)."""
    first = data.lstrip(b"\r\n").split(b"\n", 1)[0].split(delimiter.encode(), 1)[0]
    refuse_header(p, an.text_cell(first.decode("utf-8", "replace").lstrip("\ufeff")),
                  expected)


def _load_headerless(p: Path, delimiter: str, columns: Sequence[str]) -> Interactions:
    """A rating file without a header whose fields are ``columns``, in that order."""
    head = p.read_bytes()[:1 << 16]
    expected = f"{' '.join(columns)} ({sep_name(delimiter)}-separated)"
    if not head.strip():
        raise DataError(str(p), f"the file is empty; expected lines {expected}")
    _refuse_header_line(p, head, delimiter, expected)
    return load_table(Delimited(p, delimiter, list(columns), header=False), list(columns))


def load_ml100k_ratings(p: Path) -> Interactions:
    """MovieLens 100K ``u.data`` (and its splits ``u1.base`` ...): ``user film rating
    timestamp``, tab-separated."""
    return _load_headerless(p, "\t", (USER_ID, FILM_ID, RATING, TIMESTAMP))


def load_filmtrust(p: Path) -> Interactions:
    """FilmTrust ``ratings.txt``: ``user film rating``, space-separated."""
    return _load_headerless(p, " ", (USER_ID, FILM_ID, RATING))


def load_dat_ratings(p: Path) -> Interactions:
    """``ratings.dat``: ``user::film[::rating[::timestamp]]`` (further fields are ignored)."""
    data, delim, n_fields = dat_bytes(p)
    if n_fields < 2:
        raise DataError(str(p), "expected fields separated by '::' "
                        "(user::film[::rating[::timestamp]]); found a single field", line=1)
    columns = [USER_ID, FILM_ID, RATING, TIMESTAMP][:n_fields]
    _refuse_header_line(p, data, delim, "user::film[::rating[::timestamp]]")
    names = columns + [f"_column{i}" for i in range(len(columns), n_fields)]
    spec = Delimited(p, delim, names, header=False, quoting=False, data=data,
                     shown_separator="::")
    return load_table(spec, columns)


# --------------------------------------------------------------------------------------------
# Catalogs
# --------------------------------------------------------------------------------------------


def _read_ml100k_genres(p: Path) -> list[str]:
    if not p.is_file():
        return list(ML100K_GENRES)
    pairs = []
    for line in p.read_bytes().decode("latin-1").splitlines():
        if "|" in line:
            name, _, idx = line.rpartition("|")
            # ASCII digits: isdigit() also took latin-1's "²", and int() refused it and 5,000
            # digits with a ValueError (a traceback); such a line is no genre's, as "x" is
            number = whole_text(idx) if idx.strip().isdigit() else None
            if number is not None:
                pairs.append((number, name))
    return [name for _, name in sorted(pairs)] or list(ML100K_GENRES)


def read_ml100k_items(p: Path, genre_file: Path) -> Catalog:
    """``u.item``: ``id|title|release date|video release date|IMDb URL|19 genre flags``."""
    genres = _read_ml100k_genres(genre_file)
    names = [FILM_ID, TITLE, "release", "video", "url"] + [f"g{i}" for i in range(len(genres))]
    data = decode_text(p)
    spec = Delimited(p, "|", names, header=False, quoting=False, data=data)
    table = read_delimited(spec, {c: pa.string() for c in names})
    ids = string_ids(p, table.column(FILM_ID), FILM_ID, CsvLocator(p, False, quoting=False))
    refuse_header(p, ids, "id|title|release date|video release date|IMDb URL|genre flags")
    titles = table.column(TITLE).combine_chunks()
    # the title's year is the film's; the release date is often a re-release's (Return of
    # the Jedi (1983) is dated 14-Mar-1997), so it only fills in a title without a year
    year = years(year_from(titles, YEAR_IN_TITLE),
                 year_from(table.column("release").combine_chunks(), r"(?P<y>\d{4})\s*$"))
    joined = np.full(len(ids), "", dtype=object)
    for i, genre in enumerate(genres):
        if genre in _NO_GENRES:
            continue
        on = np_str(table.column(f"g{i}")) == "1"
        joined[on] = np.where(joined[on] == "", genre, joined[on] + "|" + genre)
    return dedupe_catalog(Catalog(np_str(ids), np_str(titles), year, joined.astype(str)))


def read_movies_dat(p: Path) -> Catalog:
    """``movies.dat``: ``id::Title (year)::Genre|Genre`` (UTF-8 or latin-1)."""
    data, delim, n_fields = dat_bytes(p, decode_text(p))
    names = [FILM_ID, TITLE, GENRES] + [f"_column{i}" for i in range(3, n_fields)]
    names = names[:max(n_fields, 2)]
    spec = Delimited(p, delim, names, header=False, quoting=False, data=data,
                     shown_separator="::")
    table = read_delimited(spec, {c: pa.string() for c in names if not c.startswith("_")})
    ids = string_ids(p, table.column(FILM_ID), FILM_ID, CsvLocator(p, False, quoting=False))
    refuse_header(p, ids, "id::Title (year)::Genre|Genre")
    titles = table.column(TITLE).combine_chunks()
    genres = (clean_genres(table.column(GENRES).combine_chunks()) if GENRES in names
              else np.full(len(ids), "", dtype=str))
    year = years(year_from(titles, YEAR_IN_TITLE))
    return dedupe_catalog(Catalog(np_str(ids), np_str(titles), year, genres))


# --------------------------------------------------------------------------------------------
# User attributes
# --------------------------------------------------------------------------------------------


def read_ml100k_users(p: Path) -> UserTable:
    """``u.user``: ``id|age|gender|occupation|zip``."""
    names = [USER_ID, AGE, GENDER, OCCUPATION, ZIP]
    spec = Delimited(p, "|", names, header=False, quoting=False, data=decode_text(p))
    table = read_delimited(spec, {c: pa.string() for c in names})
    ids = string_ids(p, table.column(USER_ID), USER_ID, CsvLocator(p, False, quoting=False))
    refuse_header(p, ids, "id|age|gender|occupation|zip")
    age = np_str(table.column(AGE))
    zips = np_str(table.column(ZIP))
    attrs = {
        AGE_BAND: age_bands(age),
        GENDER: np_str(table.column(GENDER)),
        OCCUPATION: np_str(table.column(OCCUPATION)),
        REGION: zip_region(zips),
        ZIP_ZONE: zip_zone(zips),
        AGE: age,
        ZIP: zips,
    }
    return UserTable(np_str(ids), attrs, {AGE_BAND: AGE, REGION: ZIP, ZIP_ZONE: ZIP})


def _lookup(values: NDArray[np.str_], table: dict[str, str], default: str | None) -> \
        NDArray[np.str_]:
    out = np.asarray(values, dtype=object).copy() if default is None else \
        np.full(len(values), default, dtype=object)
    for code, label in table.items():
        out[values == code] = label
    return out.astype(str)


def read_users_dat(p: Path) -> UserTable | None:
    """``users.dat``: ML-1M ``id::gender::age::occupation::zip`` or MovieTweetings
    ``user_id::twitter_id``. Other layouts are skipped with a warning (attributed to the
    caller of the function that called this one: ``load``)."""
    data, delim, n_fields = dat_bytes(p, decode_text(p))
    if n_fields == 5:
        names = [USER_ID, GENDER, "age_code", "occupation_code", ZIP]
    elif n_fields == 2:
        names = [USER_ID, "twitter_id"]
    elif n_fields == 1:
        raise DataError(str(p), "expected fields separated by '::' (MovieLens 1M "
                        "id::gender::age::occupation::zip or MovieTweetings id::twitter_id); "
                        "found a single field", line=1)
    else:
        first = data.lstrip(b"\r\n").split(delim.encode(), 1)[0].decode("utf-8", "replace")
        if first.strip().lower() in HEADER_WORDS:
            raise DataError(str(p), f"the first line looks like a header ({first!r}); this file "
                            "has no header: expected lines id::gender::age::occupation::zip",
                            line=1)
        warnings.warn(f"{p}: {n_fields} fields per line; expected 5 (MovieLens 1M) or 2 "
                      "(MovieTweetings); user attributes skipped", stacklevel=3)
        return None
    spec = Delimited(p, delim, names, header=False, quoting=False, data=data,
                     shown_separator="::")
    table = read_delimited(spec, {c: pa.string() for c in names})
    ids = string_ids(p, table.column(USER_ID), USER_ID, CsvLocator(p, False, quoting=False))
    refuse_header(p, ids, "::".join(names))
    cols = {c: np_str(table.column(c)) for c in names if c != USER_ID}
    if n_fields == 2:
        return UserTable(np_str(ids), cols)
    attrs = {
        AGE_BAND: _lookup(cols["age_code"], ML1M_AGE_BANDS, "unknown"),
        GENDER: cols[GENDER],
        OCCUPATION: _lookup(cols["occupation_code"], ML1M_OCCUPATIONS, None),
        REGION: zip_region(cols[ZIP]),
        ZIP_ZONE: zip_zone(cols[ZIP]),
        "age_code": cols["age_code"],
        "occupation_code": cols["occupation_code"],
        ZIP: cols[ZIP],
    }
    return UserTable(np_str(ids), attrs, {AGE_BAND: "age_code", OCCUPATION: "occupation_code",
                                          REGION: ZIP, ZIP_ZONE: ZIP})
