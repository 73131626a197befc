"""How a lookalike's seed user ids are matched to the model's users, and what is said of the rest.

One rule for the CLI (``lookalike --seeds``), HTTP (``POST /audiences/lookalike``) and the
Studio, which all send their ids here as written: ids are kept byte for byte, so a seed the
model holds as written is that user; a seed it does not hold, whose surrounding spaces
stripped it does, is the stripped user, named in ``stripped_seed_ids`` (the ids as sent);
any other seed is unknown (skipped, ``unknown_seed_ids``), with what it may mean (leading
zeros, spaces, case, Unicode form: ``IdMap.did_you_mean``) in ``unknown_seed_hints``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import UnknownUserError
from recommender.io.ids import IdMap
from recommender.query.hints import HINT_IDS


def matched_seeds(users: IdMap, seed_user_ids: Sequence[str]
                  ) -> tuple[NDArray[np.int64], list[str], list[str]]:
    """(each seed's user index, -1 unknown; the seeds matched only once stripped of their
    surrounding spaces, as sent, each once in the order given; the unknown seeds, as sent, each
    once in the order given). A seed held as written wins over its stripped form (" a" is user
    " a" when the model holds it, even beside "a")."""
    seeds = list(seed_user_ids)
    idx = users.to_index(seeds, strict=False)
    missing = np.flatnonzero(idx < 0)
    spaced = [int(i) for i in missing.tolist() if seeds[i].strip() != seeds[i]]
    if spaced:  # one look-up for every spaced seed the model does not hold as written
        found = users.to_index([seeds[i].strip() for i in spaced], strict=False)
        idx[np.asarray(spaced, np.int64)] = found
    stripped = list(dict.fromkeys(seeds[i] for i, j in zip(spaced, found.tolist(), strict=True)
                                  if j >= 0)) if spaced else []
    unknown = list(dict.fromkeys(seeds[i] for i in np.flatnonzero(idx < 0).tolist()))
    return idx, stripped, unknown


def unknown_seed_hints(users: IdMap, unknown: Sequence[str]) -> list[str]:
    """What is said of each of the first ``HINT_IDS`` unknown seed ids, in order, as an unknown
    film's hint is (``hints.skipped_hints``): "unknown user_id 'U00005'; did you mean
    'u00005'?" where an id differs from a known one only by leading zeros, surrounding spaces,
    upper and lower case or Unicode form (``IdMap.did_you_mean``), else the id alone."""
    return [str(users.unknown(UnknownUserError, [u])) for u in list(unknown)[:HINT_IDS]]


def unknown_fields(users: IdMap, unknown: list[str]) -> dict[str, Any]:
    """The fields a lookalike's body adds after its page's (``lookalikes``' unknown seeds), in
    the order the HTTP schema lists them: the CLI's ``--json`` prints the same bytes."""
    return {"unknown_seed_ids": unknown, "unknown_seed_hints": unknown_seed_hints(users, unknown)}


def stripped_note(stripped: Sequence[str]) -> str:
    """The CLI's words for the seeds matched only once stripped of their spaces (the first 10),
    or "" for none."""
    if not stripped:
        return ""
    more = f" and {len(stripped) - 10:,} more" if len(stripped) > 10 else ""
    shown = ", ".join(repr(s) for s in stripped[:10])
    return (f"{len(stripped):,} seed id{'s' * (len(stripped) != 1)} the model holds only "
            f"without surrounding spaces, read without them: {shown}{more}")
