"""Near misses between a cinema table's ids or place names and the places users name.

Ids and names are compared exactly (``' MSP-01'`` is no user's ``MSP-01``), so a cinema
table exported with a stray space, a spreadsheet's dropped or added leading zeros (``42``
for ``0042``, ``IRV-01`` for ``IRV-1``) or another case (``nyc 2`` for ``NYC 2``) leaves a
cinema without users and its users without screens. ``near_misses`` names, for each value
of one side, the other side's values equal to it once those are set aside (``near_key``),
as a film or user id's "did you mean" does. Only places an answer shows are offered (the
caller passes them): a place under the minimum cell is never suggested, as no answer
suggests a rare attribute value (README, Privacy of attribute values).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

_LEADING_ZEROS = re.compile(r"(?<!\d)0+(?=\d)")

NEAR_WORDS = "case, surrounding spaces, Unicode form and leading zeros"
"""What ``near_key`` sets aside, in words."""


def near_key(text: str) -> str:
    """``text`` without what a re-export changes: surrounding blanks, case, Unicode form
    (NFC) and the leading zeros of each run of digits (``IRV-01`` and ``IRV-1``, ``0042``
    and ``42``; ``100`` stays ``100``)."""
    folded = unicodedata.normalize("NFC", str(text)).strip().casefold()
    return _LEADING_ZEROS.sub("", folded)


def near_misses(given: Iterable[str], known: Sequence[str]) -> dict[str, list[str]]:
    """For each of ``given`` that is not one of ``known``, the ``known`` values of the same
    ``near_key`` (in ``known``'s order); values with none are left out. One pass over each
    list (a dict of keys), not a comparison per pair."""
    exact = set(known)
    by_key: dict[str, list[str]] = {}
    for value in dict.fromkeys(str(k) for k in known):
        by_key.setdefault(near_key(value), []).append(value)
    out: dict[str, list[str]] = {}
    for value in dict.fromkeys(str(g) for g in given):
        if value in exact:
            continue
        near = [k for k in by_key.get(near_key(value), []) if k != value]
        if near:
            out[value] = near
    return out


def near_said(near: dict[str, list[str]], whose: str, most: int = 3) -> str:
    """``near_misses`` in words: "' MSP-01' is users' 'MSP-01', 'nyc 2' is users' 'NYC 2'
    but for case, surrounding spaces, Unicode form or leading zeros" (the first ``most``)."""
    pairs = [f"{g!r} is {whose} {k[0]!r}" for g, k in list(near.items())[:most]]
    more = f" and {len(near) - most:,} more" if len(near) > most else ""
    return f"{', '.join(pairs)}{more} but for {NEAR_WORDS.replace(' and ', ' or ')}"
