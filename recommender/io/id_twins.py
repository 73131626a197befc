"""Ids that are another set's ids but for how they are written: leading zeros, spaces, case.

A spreadsheet drops leading zeros (``007`` read as 7), an export pads or re-cases ids, and a
byte-for-byte comparison then finds no match. ``loose_matches`` says which ids of one list
equal an id of another once both are loosened by one of the functions here; the callers say
which pairs, so that a user can write the ids as the other side does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.io import arrow_numpy as an

Loosen = Callable[[pa.Array], pa.Array]


def no_zeros(ids: pa.Array) -> pa.Array:
    """``ids`` without their leading zeros."""
    return pc.utf8_ltrim(ids, "0")


def lower_case(ids: pa.Array) -> pa.Array:
    """``ids`` lower-cased as one key for every case of a letter: Arrow's ``utf8_lower`` (İ
    is i, every Σ is σ), then a word-final ς as σ and a Turkish dotless ı as i, so that
    ``ΟΔΟΣ`` and ``οδος``, ``KIŞ`` and ``kış`` share a key (the hints, ``IdMap.same_case``,
    and the log's letter-case warning alike)."""
    return pc.replace_substring(pc.replace_substring(pc.utf8_lower(ids), "\u03c2", "\u03c3"),
                                "\u0131", "i")


def no_spaces_or_case(ids: pa.Array) -> pa.Array:
    """``ids`` without surrounding whitespace, lower-cased (``lower_case``)."""
    return lower_case(pc.utf8_trim_whitespace(ids))


def any_writing(ids: pa.Array) -> pa.Array:
    """``ids`` in Unicode form NFC, without surrounding whitespace or leading zeros,
    lower-cased."""
    return no_zeros(no_spaces_or_case(pc.utf8_normalize(ids, "NFC")))


def loose_matches(given: Sequence[Any] | NDArray[Any] | pa.Array,
                  known: Sequence[Any] | NDArray[Any] | pa.Array, loosen: Loosen
                  ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(the positions in ``given`` whose id equals one of ``known`` once both are loosened,
    the position in ``known`` each equals), in ``given``'s order."""
    def text(ids: Any) -> pa.Array:
        return ids if isinstance(ids, pa.Array) else an.from_strings(np.asarray(ids, str))

    at = pc.index_in(loosen(text(given)), value_set=loosen(text(known)))
    at_np = np.asarray(an.values(at.fill_null(an.scalar(-1, at.type))), np.int64)
    hit = np.flatnonzero(at_np >= 0)
    return hit, at_np[hit]
