"""Every column name the engine reads or writes, and the column lists of its outputs.

Nothing else spells these names as literals: readers, exports (local and Spark), the CSV
route and the tests all import them from here.
"""

from __future__ import annotations

# interactions
USER_ID = "user_id"
FILM_ID = "film_id"
RATING = "rating"
WEIGHT = "weight"
TIMESTAMP = "timestamp"

# canonical user attribute names (any other attribute a source has is kept as well)
AGE_BAND = "age_band"
GENDER = "gender"
OCCUPATION = "occupation"
REGION = "region"
# raw user attributes the readers derive ``age_band`` and ``region`` from (and keep)
AGE = "age"
ZIP = "zip"

# the film catalog
TITLE = "title"
YEAR = "year"
GENRES = "genres"

INTERACTION_COLUMNS = (USER_ID, FILM_ID, RATING, WEIGHT, TIMESTAMP)
"""Columns an interactions file may have (``user_id`` and ``film_id`` are required)."""
CATALOG_COLUMNS = (FILM_ID, TITLE, YEAR, GENRES)
"""Columns of a film catalog (``films.csv``; only ``film_id`` is required)."""

# output rows
RANK = "rank"
SCORE = "score"
PERCENTILE = "percentile"
TIER = "tier"
SEGMENT = "segment"

AUDIENCE_COLUMNS = (FILM_ID, USER_ID, RANK, SCORE, PERCENTILE, TIER, SEGMENT)
"""Columns of an audience export (``audiences``, Spark batch audiences, the CSV route)."""
RECOMMEND_COLUMNS = (USER_ID, FILM_ID, RANK, SCORE, TITLE)
"""Columns of a recommendations export (``recommend --all``)."""

#: the characters no file name holds, and what a user attribute's file spells each as (``%``
#: is kept as it is: a model saved before kept ``100%``'s file as ``user_attr_100%.npy``)
_NOT_IN_FILE_NAMES = {"/": "%2F", "\\": "%5C", "\0": "%00"}


def attribute_array(name: str) -> str:
    """The name (no ``.npy``) of the array a model keeps the user attribute ``name`` in.

    A name with ``/``, ``\\`` or NUL (a users file's ``M/F``) is spelt with ``%2F``, ``%5C``,
    ``%00`` there: ``user_attr_M/F.npy`` named a file in a folder that does not exist. Every
    other name is spelt as it is, as every model saved before spelt it.
    """
    return "user_attr_" + "".join(_NOT_IN_FILE_NAMES.get(ch, ch) for ch in name)
