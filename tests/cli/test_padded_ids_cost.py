"""The whitespace check of train's log ids looks up the padded ids alone when they are few:
it grouped every id of the log to count the padded ones' twins (value counts and a lookup of
each: 3.6-9.5 s at 3M users, for a handful of padded ids). Oracle: the padded ids and their
twins found by brute force over the pairs, on random ids few and mostly padded."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any, cast

import pytest

from recommender.cli import log_ids
from recommender.io.ids import IdMap
from recommender.model.model import Model


def _model(users: list[str]) -> Model:
    return cast(Model, SimpleNamespace(users=IdMap(users), films=IdMap(["f1", "f2"])))


def _brute(ids: list[str]) -> tuple[int, int]:
    """How many ids are padded, and how many of those another id but for the padding."""
    padded = [a for a in ids if a != a.strip(" \t")]
    return len(padded), sum(1 for a in padded if any(
        b != a and b.strip(" \t") == a.strip(" \t") for b in ids))


def _said(err: str, kind: str = "user") -> tuple[int, int]:
    if "whitespace (" not in err:
        return 0, 0
    n = int(err.split("warning: ")[1].split(" ")[0].replace(",", ""))
    twins = (int(err.split("as written; ")[1].split(" ")[0].replace(",", ""))
             if "but for the whitespace" in err else 0)
    return n, twins


@pytest.mark.parametrize("padded_share", [0.02, 0.1, 0.3, 0.9])
def test_padded_ids_and_their_twins_are_counted(padded_share: float, capsys: Any) -> None:
    rng = random.Random(7)
    for _ in range(30):
        core = [f"u{rng.randint(0, 60)}" for _ in range(rng.randint(5, 120))]
        ids = list(dict.fromkeys(
            (rng.choice(["", " ", "\t", "  "]) + c + rng.choice(["", " ", "\t"])
             if rng.random() < padded_share else c) for c in core))
        expected = _brute(ids)
        log_ids.padded_ids(_model(ids))
        assert _said(capsys.readouterr().err) == expected, ids


def test_few_padded_ids_group_only_themselves(monkeypatch: Any, capsys: Any) -> None:
    ids = [f"u{u}" for u in range(10_000)] + ["u7 ", " u7", "u12\t", " x1"]
    assert _brute(ids) == (4, 3)
    grouped: list[int] = []
    real = log_ids._group_sizes

    def counted(values: Any) -> Any:
        grouped.append(len(values))
        return real(values)

    monkeypatch.setattr(log_ids, "_group_sizes", counted)
    log_ids.padded_ids(_model(ids))
    assert _said(capsys.readouterr().err) == (4, 3)
    assert max(grouped, default=0) <= 4, grouped  # never every id of the log
