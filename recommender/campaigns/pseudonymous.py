"""Events and opt-outs keyed by a pseudonym of this engine's exports: refused, naming one.

A plan or audience sent out pseudonymised (``--pseudonymize``, ``pseudonymize=true``) reaches a
party that knows only ``p-`` and the HMAC of each id (``recommender.query.pseudonym``). Its
responses, keyed by those pseudonyms, were stored as events of users new to the model: the
report counted none of them as a conversion (plan rows hold raw ids), and the overlay folded
each in as a new user, who then appeared in audiences beside the person they stand for. An
id of the pseudonym form that the model does not know is refused, so nothing of the batch is
stored; a model whose own users have such ids (a log keyed by them) keeps them. An opt-out
list sent back by the same party is keyed by pseudonyms too: each excluded nobody (a warning
said "not a user of the model") and the person it stands for was planned again, so a plan
with such an opt-out is refused (``refuse_pseudonym_opt_outs``). A batch the sender says is
pseudonymised (``events import --pseudonymized``, ``POST /events?pseudonymized=true``) is read
as the ids its pseudonyms stand for instead (``pseudonym_ids``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from recommender.errors import InvalidParameterError
from recommender.model.model import Model
from recommender.query.pseudonym import PREFIX

PSEUDONYM = re.compile(re.escape(PREFIX) + r"[0-9a-f]{64}")


def pseudonym_rows(user_ids: Sequence[str], quoted: bool = False) -> list[int]:
    """The positions of the user ids of the pseudonym form (with ``quoted``, standing in
    blanks and quotes too: ``unknown_pseudonyms``)."""
    # by length first (a pseudonym's is fixed), without an array of the ids: a fixed-width
    # one is as wide as the longest id in every row (one user id of 1,000 characters in a
    # 1,000,000-line import took 4 GB and 18 s), and a variable-width one refuses an id
    # holding a lone surrogate, which JSON can carry
    size = len(PREFIX) + 64
    sizes = np.fromiter(map(len, user_ids), np.int64, len(user_ids))
    near = sizes >= size if quoted else sizes == size
    return [i for i in np.flatnonzero(near).tolist()  # no loop per event
            if PSEUDONYM.fullmatch(_bare(user_ids[i]) if quoted else user_ids[i])]


def unknown_pseudonyms(user_ids: Sequence[str], model: Model | None,
                       quoted: bool = False) -> list[int]:
    """The positions of the user ids of the pseudonym form that ``model`` does not know (any,
    without a model); with ``quoted``, the form may stand in blanks and quotes (a cell cut
    from a pseudonymised CSV, ``"p-..."``, or the spreadsheet-safe ``'``); the model is asked
    for the id as given."""
    found = pseudonym_rows(user_ids, quoted)
    if found and model is not None:
        known = model.users.to_index([user_ids[i] for i in found], strict=False)
        found = [i for i, k in zip(found, known.tolist(), strict=True) if k < 0]
    return found


def _bare(user_id: str) -> str:
    """An id without the blanks and quotes around it (a CSV cell's, a spreadsheet's ``'``)."""
    return user_id.strip().strip("\"'")


def first_pseudonym(user_ids: Sequence[str], model: Model | None) -> int | None:
    """The position of the first user id of the pseudonym form that ``model`` does not know
    (any, without a model), or None."""
    found = unknown_pseudonyms(user_ids, model)
    return found[0] if found else None


def pseudonym_reason(user_id: str, flag: str) -> str:
    """Why an event keyed by the pseudonym ``user_id`` is refused, naming ``flag``, the way to
    send a batch as pseudonymised (``--pseudonymized``, ``pseudonymized=true``)."""
    return (f"user_id {user_id[:14]}... is a pseudonym ({PREFIX} and the HMAC of an id, as "
            "pseudonymised exports write them) that the model does not know: an event must "
            "carry the raw user id (plan rows and audiences hold raw ids: keyed by a "
            "pseudonym, a response counts as no conversion and adds a new user); send the "
            f"batch with {flag}, which reads each pseudonym as the id it stands for under the "
            "pseudonym key, or map the pseudonyms back to those ids yourself")


def refuse_pseudonym_opt_outs(exclude: Sequence[str], model: Model) -> None:
    """``InvalidParameterError`` when some opt-outs are pseudonyms the model does not know
    (quoted as a cell cut from a pseudonymised plan CSV, ``"p-..."``, or with the
    spreadsheet-safe ``'``, too): such an opt-out names no user, so the person it stands for
    would be planned."""
    fake = unknown_pseudonyms(exclude, model, quoted=True)
    if fake:
        raise InvalidParameterError(
            f"{len(fake):,} opt-out id{'s are' if len(fake) > 1 else ' is'} a pseudonym "
            f"({PREFIX} and the HMAC of an id, as pseudonymised exports write them) that the "
            f"model does not know, e.g. {_bare(exclude[fake[0]])[:14]}...: an opt-out keyed "
            "by a pseudonym excludes nobody, and the person it stands for would be planned; map "
            "the pseudonyms back to the ids they were made from (nothing was planned)")
