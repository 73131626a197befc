"""The minimum cell size: no answer describes a group of fewer users (``RECOMMENDER_MIN_CELL``).

It lives with the model because training applies it too (no audience segment is smaller);
``recommender.query.privacy`` applies it to every breakdown an answer shows.
"""

from __future__ import annotations

import os

from recommender.errors import InvalidParameterError

MIN_CELL_ENV = "RECOMMENDER_MIN_CELL"
DEFAULT_MIN_CELL = 10


def min_cell_from_env(default: int = DEFAULT_MIN_CELL) -> int:
    """``RECOMMENDER_MIN_CELL`` as an integer >= 1, else ``default`` when it is unset
    (``InvalidParameterError``, a ``ValueError``, for any other value: an empty one too, which
    ``serve`` refuses as it refuses every empty number, and which took the default 10 here
    where ``RECOMMENDER_MIN_CELL=$CELL`` with ``CELL`` unset likely meant another)."""
    if MIN_CELL_ENV not in os.environ:
        return default
    raw = os.environ[MIN_CELL_ENV].strip()
    if not raw:
        raise InvalidParameterError(f"the minimum cell size is misconfigured: {MIN_CELL_ENV}="
                                    f"{os.environ[MIN_CELL_ENV]!r} is empty: give a whole "
                                    f"number of users (at least 1), or unset it for the "
                                    f"default {default}")
    try:
        if not raw.isascii():  # int() took "٥" as 5, which serve's settings refuse
            raise ValueError(raw)
        value = int(raw)
    except ValueError:
        raise InvalidParameterError(f"the minimum cell size is misconfigured: {MIN_CELL_ENV}="
                                    f"{raw!r} is not a whole number") from None
    if value < 1:
        raise InvalidParameterError(f"the minimum cell size is misconfigured: {MIN_CELL_ENV}="
                                    f"{raw!r} must be at least 1")
    return value
