"""A model without some of its users: every user-side array cut to the rows kept.

``without_users`` is how an erased user (``recommender.campaigns.erasure``) leaves every
answer of a served model until the next training: the user has no index any more, so no
audience, ring, export, lookalike (as result or seed), segment list or recommendation can
name them, as a user the model never saw; an unknown-id error names an erased id as erased
only where ``ERASED_NAMED`` is True (the CLI: the operator; over HTTP the admin key alone,
``service/erased_words.py``), else it is word for word a never-known id's. The film side
(factors, catalog, calibration) is shared; the cost is one copy of the user side, O(users x
factors + seen pairs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from recommender.errors import UnknownIdError, clipped
from recommender.io.dataset import UserTable
from recommender.io.ids import IdMap, form_named
from recommender.model.model import Model, Segments

#: whether an unknown-id error says that an id was erased (True: the CLI, the operator's); the
#: service sets it False for a caller that is not the admin key, who is then answered as for
#: an id never known, so no read key can test whether a person was erased
ERASED_NAMED: ContextVar[bool] = ContextVar("erased_named", default=True)


class Remaining(IdMap):
    """The ids of the users kept, whose unknown-id error says that an id asked of was
    erased (``erased``: the mask of erased ids), not "did you mean" a neighbour of it, where
    ``ERASED_NAMED`` is True; elsewhere as ``IdMap``'s for an id never known."""

    def __init__(self, ids: NDArray[np.str_],
                 erased: Callable[[NDArray[np.str_]], NDArray[np.bool_]]) -> None:
        super().__init__(ids)
        self.erased = erased

    def unknown(self, error: type[UnknownIdError], external_ids: Iterable[str]
                ) -> UnknownIdError:
        ids = list(external_ids)
        if not ERASED_NAMED.get():  # the words of an id never known, byte for byte
            return super().unknown(error, ids)
        gone = self.erased(np.asarray(ids, str)) if ids else np.zeros(0, bool)
        if not gone.any():
            return super().unknown(error, ids)
        e = error(ids)
        # each id with its Unicode form where another prints alike ("Amélie" decomposed)
        shown = ", ".join(clipped(i) + form_named(i) for i in e.ids[:10])
        more = f" and {len(e.ids) - 10} more" if len(e.ids) > 10 else ""
        e.args = (f"unknown {e.kind} {shown}{more}: erased (right to be forgotten, "
                  "`recommender forget`): no answer names or uses it",)
        return e


def without_users(model: Model, drop: NDArray[np.bool_],
                  erased: Callable[[NDArray[np.str_]], NDArray[np.bool_]] | None = None
                  ) -> Model:
    """``model`` less the users where ``drop`` (n_users,) is True; ``model`` itself when none
    is. ``meta["erased_users"]`` counts the users left out; with ``erased`` (the mask of
    erased ids) an unknown-user error names an erased id as erased (``Remaining``)."""
    drop = np.asarray(drop, bool)
    if not drop.any():
        return model
    keep = np.flatnonzero(~drop)
    seen = model.seen[keep]
    table = model.user_table
    if len(table.user_ids) == model.n_users:  # one row per user index: cut alike
        table = UserTable(np.asarray(table.user_ids)[keep],
                          {k: np.asarray(v)[keep] for k, v in table.attributes.items()},
                          dict(table.derived))
    else:
        table = table.aligned_to(IdMap(model.users.ids[keep]))
    meta = {**model.meta, "erased_users": int(drop.sum())}
    users = (IdMap(model.users.ids[keep]) if erased is None else
             Remaining(model.users.ids[keep], erased))
    return replace(model, users=users,
                   user_factors=np.ascontiguousarray(model.user_factors[keep]), seen=seen,
                   seen_by_film=seen.T.tocsr(),
                   segments=Segments(np.asarray(model.segments.labels)[keep],
                                     model.segments.info),
                   user_table=table, meta=meta,
                   unfitted=None if model.unfitted is None else model.unfitted[keep],
                   _user_norms=None, _max_user_norm=None)
