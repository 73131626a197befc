"""``events import`` names the first bad line of a file in file order, whichever field is bad,
and the next bad lines after it: the fields were checked one after another, so a file with a
bad timestamp on line 4 and an empty film_id on line 5 named line 5, and once that was fixed,
line 4.

Oracle: the files are written with bad fields on chosen lines (an empty id, a timestamp in
milliseconds or in the future, a weight out of range), so which lines are bad is known by
construction, independently of the reader."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli as run

from recommender.campaigns.event_file import MORE_BAD, read_event_file
from recommender.errors import DataError

NOW = int(time.time()) - 3_600
#: a bad field for each kind of check, as the (user, film, timestamp, weight) of a line
BAD = {"user": ("", "f1", str(NOW), "1"), "film": ("u9", "", str(NOW), "1"),
       "millis": ("u9", "f1", str(NOW * 1000), "1"),
       "future": ("u9", "f1", str(NOW + 9 * 86_400), "1"),
       "weight": ("u9", "f1", str(NOW), "-2"), "early": ("u9", "f1", "5", "1")}


def _write(path: Path, n: int, bad: dict[int, str]) -> Path:
    """An events file of ``n`` data lines, the data line ``i`` (0-based) bad as ``bad[i]``
    says; data line i is the file's line i + 2 (the header is line 1)."""
    lines = ["user_id,film_id,timestamp,weight"]
    for i in range(n):
        fields = BAD[bad[i]] if i in bad else (f"u{i}", f"f{i % 4}", str(NOW - i), "1")
        lines.append(",".join(fields))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _expected_tail(lines: list[int]) -> str:
    """What follows the first bad line's problem: the next bad lines, up to MORE_BAD."""
    more = lines[1:]
    if not more:
        return ""
    count = (f"{len(more)} more bad line{'s' if len(more) > 1 else ''}"
             if len(more) <= MORE_BAD else "more bad lines")
    return (f"; and {count}: {', '.join(map(str, more[:MORE_BAD]))}"
            f"{', ...' if len(more) > MORE_BAD else ''}")


def test_the_walk_s_file_names_line_4_first(tmp_path: Path) -> None:
    path = _write(tmp_path / "e.csv", 4, {2: "millis", 3: "film"})  # lines 4 and 5
    with pytest.raises(DataError) as e:
        read_event_file(path)
    assert e.value.line == 4 and "timestamp" in e.value.reason
    assert e.value.reason.endswith("; and 1 more bad line: 5"), e.value.reason


@pytest.mark.parametrize("seed", range(6))
def test_the_first_bad_line_in_file_order_and_the_next(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    n = 40
    rows = sorted(rng.sample(range(n), rng.randint(1, 6)))
    bad = {r: rng.choice(sorted(BAD)) for r in rows}
    path = _write(tmp_path / "e.csv", n, bad)
    with pytest.raises(DataError) as e:
        read_event_file(path)
    lines = [r + 2 for r in rows]
    assert e.value.line == lines[0], (bad, str(e.value))
    assert e.value.reason.endswith(_expected_tail(lines)), (bad, str(e.value))
    # its own problem comes first: the one that line alone has
    alone = _write(tmp_path / "one.csv", n, {rows[0]: bad[rows[0]]})
    with pytest.raises(DataError) as one:
        read_event_file(alone)
    assert one.value.line == lines[0] and e.value.reason.startswith(one.value.reason)


def test_a_parquet_file_names_rows(tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    pq.write_table(pa.table({"user_id": ["a", "b", "c", "d"], "film_id": ["x", "y", "", "z"],
                             "timestamp": [NOW, 5, NOW, NOW * 1000]}), path)
    with pytest.raises(DataError) as e:
        read_event_file(path)
    assert e.value.line is None
    assert e.value.reason.startswith("row 2: timestamp 5 ")
    assert e.value.reason.endswith("; and 2 more bad rows: 3, 4"), e.value.reason


def test_events_import_says_so_and_stores_nothing(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path / "e.csv", 10, {6: "film", 2: "weight"})  # lines 8 and 4
    store = tmp_path / "s.db"
    code, _, err = run(capsys, "events", "import", path, "--store", store)
    assert code != 0 and f"{path}, line 4: weight -2.0" in err, err
    assert "; and 1 more bad line: 8; nothing of the file was stored" in err
    assert not store.exists()


@pytest.mark.parametrize(("weights", "said"), [
    (["", "2", "3"], "1 of the 3 rows has none: fill it in or leave that row out"),
    (["1", "", "3", "4", "5"], "1 of the 5 rows has none: fill it in or leave that row out"),
    (["1", "", " ", "4", ""], "3 of the 5 rows have none: fill them in or leave those rows out"),
    (["", "", ""], "no row has one: the weight column is optional, leave it out")])
def test_empty_weights_are_counted_over_the_whole_file(tmp_path: Path, weights: list[str],
                                                       said: str) -> None:
    """The count of empty weights, and the advice, are the whole file's: the problem was
    worded on the rows up to the first bad one, so a file whose line 2 alone was empty was
    told no row had a weight and to leave the column out (throwing lines 3 and 4's away)."""
    text = "user_id,film_id,timestamp,weight\n" + "".join(
        f"u{i},f1,{NOW},{w}\n" for i, w in enumerate(weights))
    first = next(i for i, w in enumerate(weights) if not w.strip()) + 2  # the header: line 1
    for path in (tmp_path / "e.csv", tmp_path / "e.parquet"):
        if path.suffix == ".csv":
            path.write_text(text, encoding="utf-8")
        else:  # a float column with nulls
            pq.write_table(pa.table({
                "user_id": [f"u{i}" for i in range(len(weights))],
                "film_id": ["f1"] * len(weights), "timestamp": [NOW] * len(weights),
                "weight": pa.array([float(w) if w.strip() else None for w in weights],
                                   pa.float64())}), path)
        with pytest.raises(DataError) as e:
            read_event_file(path)
        assert f"empty weight; expected a number ({said}" in e.value.reason, e.value.reason
        if path.suffix == ".csv":
            assert e.value.line == first
        else:
            assert e.value.reason.startswith(f"row {first - 1}: ")
