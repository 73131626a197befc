"""The leading-zeros check of train's log ids groups the ids only when two of them share a
stripped form: a log of zero-padded ids of one width (a 7-digit catalogue, '0062635'), or of
any widths none of which splits, is passed without grouping (value counts and a lookup of
every id: ~4 s at 3M users, for nothing to say). Oracle: the pairs found by brute force."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pytest

from recommender.cli import log_ids
from recommender.io.ids import IdMap
from recommender.model.model import Model


def _model(users: list[str]) -> Model:
    return cast(Model, SimpleNamespace(users=IdMap(users), films=IdMap(["f1", "f2"])))


def _brute_split(ids: list[str]) -> int:
    """How many ids are another id but for leading zeros (brute force over the pairs)."""
    def bare(a: str) -> str:
        return a.lstrip("0") or "0"  # an id of zeros only is 0

    return sum(1 for a in ids if a != bare(a) and any(b != a and bare(b) == bare(a)
                                                      for b in ids))


@pytest.mark.parametrize("users", [
    [f"{u:07d}" for u in range(0, 5000, 7)],  # one width, zero-padded throughout
    [f"{u:04d}" for u in range(50)] + [str(u) for u in range(10_000, 10_050)],  # no split
])
def test_nothing_to_say_groups_nothing(users: list[str], monkeypatch: Any,
                                       capsys: Any) -> None:
    assert _brute_split(users) == 0

    def grouped(values: Any) -> Any:
        raise AssertionError("the ids were grouped, with nothing to say")

    monkeypatch.setattr(log_ids, "_group_sizes", grouped)
    log_ids.zero_split_ids(_model(users))
    assert capsys.readouterr().err == ""


def test_a_split_is_still_counted(capsys: Any) -> None:
    rng = np.random.default_rng(3)
    users = sorted({f"{'0' * int(z)}{n}" for z, n in zip(rng.integers(0, 3, 300),
                                                          rng.integers(1, 200, 300),
                                                          strict=True)}
                   | {"0", "000"})  # ids of zeros only: the number 0 written two ways
    n = _brute_split(users)
    assert n > 0
    log_ids.zero_split_ids(_model(users))
    err = capsys.readouterr().err
    assert f"warning: {n:,} user ids of the log are another of its user ids but for leading " \
        "zeros (" in err, err
