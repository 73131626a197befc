"""How a lookalike's seed user ids are matched to the model's users, and what is said of the rest.

One rule for the CLI (``lookalike --seeds``), HTTP (``POST /audiences/lookalike``) and the
Studio, which all send their ids here as written: ids are kept byte for byte, so a seed the
model holds as written is that user; a seed it does not hold, whose surrounding spaces
stripped it does, is the stripped user, named in ``stripped_seed_ids`` (the ids as sent);
any other seed is unknown (skipped, ``unknown_seed_ids``), with what it may mean (leading
zeros, spaces, case, Unicode form: ``IdMap.did_you_mean``) in ``unknown_seed_hints``; but a
seed in the form ``USER_ID=WEIGHT`` of a user the model holds (``13=2``, no user as written)
is refused (``refuse_weighted_seeds``): seeds are not weighted, and it was skipped as
unknown, the answer built on fewer seeds without a word of why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownUserError
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


def refuse_weighted_seeds(users: IdMap, seeds: Sequence[str], idx: NDArray[np.int64],
                          where: Callable[[int], str] | None = None) -> None:
    """Refuse the first seed the model does not hold (``idx`` -1, ``matched_seeds``') that
    reads as ``USER_ID=WEIGHT`` of a user it holds (the part before the last ``=``, as
    written or stripped): lookalike seeds have no weight, and a weight is no part of an id.
    ``where`` names the seed at index i (default ``seed_user_ids[i]``, the body's element;
    the CLI names the file's line); the error's ``param`` is the body's element."""
    missing = [int(i) for i in np.flatnonzero(np.asarray(idx) < 0).tolist()
               if "=" in seeds[i]]
    if not missing:
        return
    heads = [seeds[i].rpartition("=")[0] for i in missing]
    tries = heads + [h.strip() for h in heads]
    held = users.to_index(tries, strict=False)
    for n, i in enumerate(missing):
        user = tries[n] if held[n] >= 0 else tries[n + len(missing)] \
            if held[n + len(missing)] >= 0 else None
        if user is None:
            continue
        said = where(i) if where is not None else f"seed_user_ids[{i}]"
        raise InvalidParameterError(
            f"{said} {seeds[i]!r}: lookalike seeds are not weighted (USER_ID=WEIGHT is no "
            f"seed's form, every seed counts once); the model holds no user {seeds[i]!r} but "
            f"holds user {user!r}: give the id alone", param=f"seed_user_ids[{i}]")


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
