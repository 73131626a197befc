"""A partly rated log (a rating column with blank cells) was refused with the count alone. It
is refused by default naming the first lines and the choices, and read as chosen:
``blank_ratings="drop"`` leaves those rows out, ``"implicit"`` keeps them as views, a pair no
event rates given the median of the log's ratings (at least the floor), as a recorded view is
(``model.weighting.event_rating``, which asks ``implied_rating``: one rule). Each result is
checked against the log worked out here by hand, row by row."""

from __future__ import annotations

from pathlib import Path
from statistics import median

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from reading_helpers import pairs, write

from recommender.errors import DataError
from recommender.io import blank_ratings
from recommender.io.readers import load
from recommender.model.weighting import event_rating

ROWS = [("u1", "f1", "4", 100), ("u1", "f2", "", 101), ("u2", "f1", "2", 102),
        ("u2", "f2", " ", 103), ("u3", "f3", "", 104), ("u3", "f3", "5", 90),
        ("u1", "f1", "", 200), ("u4", "f9", "", 105), ("u5", "f1", "3.5", 106),
        ("u5", "f2", "", 107)]


def _log(tmp_path: Path, rows: list[tuple[str, str, str, int]] = ROWS,
         name: str = "log.csv") -> Path:
    return write(tmp_path / name, "user_id,film_id,rating,timestamp\n" + "".join(
        f"{u},{f},{r},{t}\n" for u, f, r, t in rows))


def _blank_lines(rows: list[tuple[str, str, str, int]]) -> list[int]:
    return [i + 2 for i, row in enumerate(rows) if not row[2].strip()]  # the header: line 1


def test_the_default_refuses_naming_the_first_lines_and_the_choices(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load(_log(tmp_path))
    lines = _blank_lines(ROWS)
    assert info.value.line == lines[0]
    shown = ", ".join(map(str, lines[:4])) + f" and {lines[4]}"
    assert info.value.reason == (
        f"empty rating; expected a number ({len(lines)} of the {len(ROWS)} rows have none, "
        f"the first 5: lines {shown}; give --blank-ratings drop to leave those rows out, or "
        "--blank-ratings implicit to keep them as views without a rating; or fill them in)")


def test_drop_reads_the_log_without_those_rows(tmp_path: Path) -> None:
    kept = [row for row in ROWS if row[2].strip()]
    got = load(_log(tmp_path), blank_ratings="drop")
    assert got.fingerprint() == load(_log(tmp_path, kept, "kept.csv")).fingerprint()
    assert got.unrated == len(ROWS) - len(kept) and got.unrated_as is None
    # a bad value after the rows left out is named at its own line in the file
    bad = [*ROWS, ("u6", "f1", "four", 300)]
    with pytest.raises(DataError) as info:
        load(_log(tmp_path, bad, "bad.csv"), blank_ratings="drop")
    assert info.value.line == len(bad) + 1 and "'four'" in info.value.reason
    with pytest.raises(DataError, match="every one of the 2 rows has a blank rating"):
        load(_log(tmp_path, [("u1", "f1", "", 1), ("u2", "f1", "", 2)], "none.csv"),
             blank_ratings="drop")


@pytest.mark.parametrize("floor", [None, 3.0, 4.5])
def test_implicit_keeps_views_and_rates_unrated_pairs_as_a_recorded_view(
        tmp_path: Path, floor: float | None) -> None:
    got = pairs(load(_log(tmp_path), blank_ratings="implicit", rating_floor=floor))
    # by hand: each pair's events in (timestamp, file) order; its weight counts them all, its
    # time is the first, its rating the latest given
    events: dict[tuple[str, str], list[tuple[int, int, str]]] = {}
    for i, (u, f, r, t) in enumerate(ROWS):
        events.setdefault((u, f), []).append((t, i, r.strip()))
    rated = {k: [r for _, _, r in sorted(v) if r][-1] for k, v in events.items()
             if any(r for _, _, r in v)}
    fill = median(float(r) for r in rated.values())
    fill = fill if floor is None else max(fill, floor)
    assert fill == event_rating(np.array([float(r) for r in rated.values()]), floor)
    want = {k: (float(len(v)), float(rated[k]) if k in rated else fill, min(t for t, _, _ in v))
            for k, v in events.items()}
    assert got == want


def test_implicit_with_every_rating_blank_is_a_log_without_ratings(tmp_path: Path) -> None:
    rows = [("u1", "f1", "", 1), ("u2", "f1", "", 2), ("u1", "f2", " ", 3)]
    got = load(_log(tmp_path, rows), blank_ratings="implicit")
    plain = write(tmp_path / "plain.csv", "user_id,film_id,timestamp\n" + "".join(
        f"{u},{f},{t}\n" for u, f, _, t in rows))
    assert got.rating is None and got.fingerprint() == load(plain).fingerprint()
    with pytest.raises(DataError, match=r"no row has one: the rating column is optional, "
                                        r"leave it out, or give --blank-ratings implicit\)"):
        load(_log(tmp_path, rows))


def test_a_parquet_log_with_null_ratings(tmp_path: Path) -> None:
    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"user_id": ["u1", "u2", "u3", "u1"],
                             "film_id": ["f1", "f1", "f2", "f2"],
                             "rating": pa.array([4.0, None, 2.0, None], pa.float32())}), path)
    with pytest.raises(DataError) as info:
        load(path)
    assert info.value.line is None
    assert info.value.reason.startswith("row 2: empty rating; expected a number (2 of the 4 "
                                        "rows have none: rows 2 and 4; give --blank-ratings")
    got = pairs(load(path, blank_ratings="implicit"))
    assert got == {("u1", "f1"): (1.0, 4.0, None), ("u2", "f1"): (1.0, 3.0, None),
                   ("u3", "f2"): (1.0, 2.0, None), ("u1", "f2"): (1.0, 3.0, None)}
    assert pairs(load(path, blank_ratings="drop")) == {("u1", "f1"): (1.0, 4.0, None),
                                                       ("u3", "f2"): (1.0, 2.0, None)}


def test_a_recorded_view_and_a_blank_rating_follow_one_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-in rating was written twice (``implied_rating`` and ``event_rating``), kept
    equal by a test alone: ``event_rating`` asks ``implied_rating``, so a change to the rule
    reaches both (here a stand-in rule: the largest rating)."""
    rated = np.array([1.0, 2.0, 5.0])
    assert event_rating(rated, None) == 2.0 == blank_ratings.implied_rating(rated, None)
    assert event_rating(np.zeros(0), None) == 1.0 == blank_ratings.implied_rating(
        np.zeros(0), None)  # no rating at all: 1
    monkeypatch.setattr(blank_ratings, "implied_rating",
                        lambda r, floor: float(np.max(r)))
    assert event_rating(rated, 3.0) == 5.0
    assert event_rating(None, 3.0) is None  # a log without ratings: none
