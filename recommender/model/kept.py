"""Values worked out from a model and kept while the model lives, by key (thread-safe).

A title index, a place attribute's groups, a listing's normalised titles: each read from a
model once, then answered from here until the model is gone (a reload serves a new one). The
model is held weakly: an entry whose model was collected is dropped at the next ``put``, and
one whose ``id`` a new model reuses is not taken for it. A value read from the user table
alone may be kept by that table, which the models the service derives from events of known
users share (``serving.overlay``): a 0.25 s events poll derives a new model each time.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Hashable
from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

if TYPE_CHECKING:
    from recommender.io.dataset import Catalog, UserTable
    from recommender.model.model import Model

V = TypeVar("V")
#: what a value is kept by: a model, its user table, or its catalog (shared as the table is)
Holder: TypeAlias = "Model | UserTable | Catalog"


class Kept(Generic[V]):
    """Values of type ``V`` kept per (model, key); the "model" may be its user table or catalog."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, Hashable], tuple[weakref.ref[Holder], V]] = {}
        self._lock = threading.Lock()

    def get(self, model: Holder, key: Hashable = ()) -> V | None:
        """The value kept for ``model`` and ``key``, or None."""
        with self._lock:
            hit = self._items.get((id(model), key))
            return hit[1] if hit is not None and hit[0]() is model else None

    def put(self, model: Holder, value: V, key: Hashable = ()) -> V:
        """Keep ``value`` for ``model`` and ``key`` (dropping entries of collected models);
        returns it."""
        with self._lock:
            for gone in [k for k, (ref, _) in self._items.items() if ref() is None]:
                del self._items[gone]
            self._items[(id(model), key)] = (weakref.ref(model), value)
        return value
