"""Duplicate (user, film) rows of a log are counted where they are merged: train says "N rows
read, M duplicate (user, film) rows merged" and meta.json records ``rows_read`` and
``duplicate_rows_merged`` beside ``interactions``, so a ``wc -l`` of the log adds up (they
were merged without a word); the merged interaction's weight is the rows' sum, its rating the
latest row's and its timestamp the first's (README).

Oracle: the rows written, grouped here with a dict in plain Python."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from helpers import run_cli

from recommender.io import readers


def _log(tmp_path: Path) -> tuple[Path, list[tuple[str, str, float, float, int]]]:
    rng = random.Random(7)
    rows = [(f"u{u:02d}", f"f{(u + k) % 12}", float(rng.randint(1, 5)), float(rng.randint(1, 3)),
             1_600_000_000 + rng.randint(0, 10**6)) for u in range(30) for k in range(4)]
    rows += [(u, f, float(rng.randint(1, 5)), 2.0, t + rng.randint(-5000, 5000))
             for u, f, _, _, t in rng.sample(rows, 25)]  # each sampled pair once or more
    rows += rows[:3]  # and three rows repeated as they are
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id,rating,weight,timestamp\n" + "".join(
        f"{u},{f},{r:g},{w:g},{t}\n" for u, f, r, w, t in rows), encoding="utf-8")
    return log, rows


def test_duplicate_rows_are_counted_and_merged_as_the_readme_says(tmp_path: Path,
                                                                   capsys: Any) -> None:
    log, rows = _log(tmp_path)
    pairs: dict[tuple[str, str], list[tuple[float, float, int, int]]] = {}
    for i, (u, f, r, w, t) in enumerate(rows):
        pairs.setdefault((u, f), []).append((r, w, t, i))
    merged = len(rows) - len(pairs)
    assert merged > 25  # the oracle's own check: the log does hold duplicates
    code, out, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                             "--no-tune", "--factors", 4, "--iterations", 2, "--holdout", 0)
    assert code == 0, err
    assert (f"log: {len(rows)} rows read, {merged} duplicate (user, film) rows merged "
            "(weights summed") in out
    data = json.loads((tmp_path / "m" / "current" / "meta.json").read_text())["data"]
    assert (data["rows_read"], data["duplicate_rows_merged"], data["interactions"]) == (
        len(rows), merged, len(pairs))
    d = readers.load(log)  # the merge itself, on the reader's Interactions
    users, films = d.users.to_ids(d.user_idx), d.films.to_ids(d.film_idx)
    for i, (u, f) in enumerate(zip(users.tolist(), films.tolist(), strict=True)):
        group = pairs[(u, f)]
        assert d.weight[i] == sum(w for _, w, _, _ in group)
        latest = max(group, key=lambda g: (g[2], g[3]))  # by time, ties by file order
        assert d.rating is not None and d.rating[i] == latest[0]
        assert d.timestamp is not None and d.timestamp[i] == min(t for _, _, t, _ in group)


def test_a_log_without_duplicates_says_nothing_of_them(tmp_path: Path, capsys: Any) -> None:
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "".join(f"u{u},f{(u + k) % 9}\n" for u in range(30)
                                                  for k in range(3)), encoding="utf-8")
    code, out, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "m",
                             "--no-tune", "--factors", 4, "--iterations", 2)
    assert code == 0, err
    assert "duplicate (user, film)" not in out
    data = json.loads((tmp_path / "m" / "current" / "meta.json").read_text())["data"]
    assert (data["rows_read"], data["duplicate_rows_merged"]) == (90, 0)


def test_the_merge_names_only_the_columns_the_log_has(tmp_path: Path, capsys: Any) -> None:
    """A log without times (FilmTrust: user, film, rating) or without ratings was told "the
    latest rating and the first timestamp kept" of its merge."""
    pairs = [(f"u{u}", f"f{(u + k) % 9}") for u in range(30) for k in range(3)]
    said = {}
    for header, row, in (("user_id,film_id", "{u},{f}"),
                         ("user_id,film_id,rating", "{u},{f},{r}"),
                         ("user_id,film_id,timestamp", "{u},{f},{t}"),
                         ("user_id,film_id,rating,timestamp", "{u},{f},{r},{t}")):
        log = tmp_path / f"{header.count(',')}{'rating' in header}.csv"
        log.write_text(header + "\n" + "".join(
            row.format(u=u, f=f, r=1 + i % 5, t=1_600_000_000 + i) + "\n"
            for i, (u, f) in enumerate(pairs + pairs[:4])), encoding="utf-8")
        code, out, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / log.stem,
                                 "--no-tune", "--factors", 4, "--iterations", 2)
        assert code == 0, err
        line = next(x for x in out.splitlines() if "duplicate (user, film)" in x)
        said[header] = line.partition("without a weight column")[2]
    assert said == {"user_id,film_id": ")",
                    "user_id,film_id,rating": "; the last rating in file order kept)",
                    "user_id,film_id,timestamp": "; the first timestamp kept)",
                    "user_id,film_id,rating,timestamp":
                        "; the latest rating and the first timestamp kept)"}
