"""``IdMap``: external string ids <-> internal row/column indices."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from recommender.errors import UnknownIdError


class IdMap:
    """An ordered set of external ids (strings, kept byte for byte).

    ``ids[i]`` is the external id of index ``i``. Lookups are vectorised through
    pyarrow's hash index, so mapping millions of ids costs no Python loop.
    """

    def __init__(self, ids: Sequence[str] | NDArray[np.str_] | pa.Array) -> None:
        arr = ids if isinstance(ids, pa.Array) else pa.array(np.asarray(ids, dtype=str))
        arr = arr.cast(pa.string())
        if arr.null_count:
            raise ValueError("ids must not contain nulls")
        if len(pc.unique(arr)) != len(arr):
            raise ValueError("ids must be unique")
        self._arrow = arr
        self._ids: NDArray[np.str_] = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=str)
        self._lookup: dict[str, int] | None = None
        # zero-led ids sorted by their stripped form (stripped, ids), built on the first
        # unknown id (``same_but_zeros``)
        self._zeros: tuple[NDArray[np.str_], NDArray[np.str_]] | None = None

    @property
    def ids(self) -> NDArray[np.str_]:
        return self._ids

    @property
    def arrow(self) -> pa.Array:
        """The ids as an arrow string array (the one lookups hash; no copy)."""
        return self._arrow

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, external_id: object) -> bool:
        return isinstance(external_id, str) and external_id in self._dict()

    def _dict(self) -> dict[str, int]:
        if self._lookup is None:
            self._lookup = {s: i for i, s in enumerate(self._ids.tolist())}
        return self._lookup

    def index_of(self, external_id: str, error: type[UnknownIdError] = UnknownIdError) -> int:
        """Index of one id; raises ``error`` naming it when unknown."""
        try:
            return self._dict()[external_id]
        except KeyError:
            raise self.unknown(error, [external_id]) from None

    def to_index(
        self,
        external_ids: Iterable[str] | pa.Array,
        strict: bool = True,
        error: type[UnknownIdError] = UnknownIdError,
    ) -> NDArray[np.int64]:
        """Indices of many ids (vectorised). Unknown ids raise in strict mode, else map to -1."""
        query = (
            external_ids
            if isinstance(external_ids, pa.Array)
            else pa.array([str(x) for x in external_ids], type=pa.string())
        )
        idx = pc.index_in(query.cast(pa.string()), value_set=self._arrow)
        out = np.asarray(idx.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        if strict and (out < 0).any():
            missing = np.asarray(query.to_numpy(zero_copy_only=False), dtype=str)[out < 0]
            raise self.unknown(error, dict.fromkeys(missing.tolist()))
        return out

    def same_but_zeros(self, external_id: str) -> list[str]:
        """The known ids equal to ``external_id`` once leading zeros are stripped from both
        ("0555612" for "555612", and the reverse), and its surrounding spaces ("7176983 ",
        pasted, was told it "matches titles", " u00001" nothing), other than ``external_id``
        itself."""
        if self._zeros is None:  # sorted arrays: a dict of 2M zero-padded ids took ~4 s, 500 MB
            led = self._ids[np.strings.startswith(self._ids, "0")]
            bare = np.strings.lstrip(led, "0")
            order = np.argsort(bare, kind="stable")  # equal stripped forms in id order
            self._zeros = (bare[order], led[order])
        if not external_id.strip():
            return []  # a blank id names none (every id of zeros once stripped)
        stripped = external_id.strip().lstrip("0")
        keys, zero_led = self._zeros
        lo, hi = np.searchsorted(keys, stripped, "left"), np.searchsorted(keys, stripped, "right")
        # numpy's str drops a trailing NUL: "5\x00" searched as "5" named "05"; compared here
        same = [s for s in zero_led[lo:hi].tolist() if s.lstrip("0") == stripped]
        near = ([stripped] if stripped in self else []) + same
        return [s for s in near if s != external_id]

    def did_you_mean(self, external_ids: Iterable[str]) -> str:
        """"; did you mean '0555612'?" for unknown ids that differ from known ones only by
        leading zeros (the first 5), or ""."""
        pairs = [(u, near) for u in itertools.islice(external_ids, 1000)
                 for near in self.same_but_zeros(u)][:5]
        if not pairs:
            return ""
        if len({u for u, _ in pairs}) == 1:
            return "; did you mean " + " or ".join(repr(n) for _, n in pairs) + "?"
        return "; did you mean " + ", ".join(f"{n!r} for {u!r}" for u, n in pairs) + "?"

    def unknown(self, error: type[UnknownIdError], external_ids: Iterable[str]
                ) -> UnknownIdError:
        """``error`` naming ``external_ids``, with ``did_you_mean``'s hint."""
        ids = list(external_ids)
        e = error(ids)
        hint = self.did_you_mean(ids)
        if hint:
            e.args = (f"{e}{hint}",)
        return e

    def to_ids(self, indices: NDArray[np.integer]) -> NDArray[np.str_]:
        return self._ids[np.asarray(indices)]


class UsersAndFilms:
    """Mixin for tables indexed by a user and a film ``IdMap`` (interactions, the model)."""

    users: IdMap
    films: IdMap

    @property
    def n_users(self) -> int:
        return len(self.users)

    @property
    def n_films(self) -> int:
        return len(self.films)
