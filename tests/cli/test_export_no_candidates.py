"""``audiences`` names the films it wrote no rows for because every user has watched them
(they have no candidates): the summary line counted them among its films without a word.

Oracle: the raw log (pandas: the films whose viewers are every user) and the written CSV.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import run_cli


def _log(path: Path) -> Path:
    rng = np.random.default_rng(3)
    rows = [(f"u{u}", "everyone's", 4, 1000) for u in range(40)]
    rows += [(f"u{u}", f"f{f}", int(rng.integers(1, 6)), int(rng.integers(1000, 9000)))
             for u in range(40) for f in rng.choice(12, 5, replace=False)]
    pd.DataFrame(rows, columns=["user_id", "film_id", "rating", "timestamp"]).to_csv(
        path, index=False)
    return path


def test_films_every_user_watched_are_named(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    data = _log(tmp_path / "log.csv")
    code, _, err = run_cli(capsys, "train", "--data", data, "--out", tmp_path / "m", "--no-tune")
    assert code == 0, err
    raw = pd.read_csv(data, dtype={"user_id": str, "film_id": str})
    viewers = raw.groupby("film_id")["user_id"].nunique()
    full = sorted(viewers[viewers == raw["user_id"].nunique()].index)
    assert full == ["everyone's"]
    films = tmp_path / "films.txt"
    films.write_text("everyone's\nf1\n", encoding="utf-8")
    out = tmp_path / "a.csv"
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--films", films, "--out", out)
    assert code == 0, err
    written = pd.read_csv(out, dtype={"film_id": str})
    assert set(written["film_id"]) == {"f1"}  # no rows for it: no candidates
    assert ("warning: 1 of the 2 films has no rows: every one of the 40 users has watched it, "
            "so none is a candidate (\"everyone's\"; --include-seen lists viewers too)") in err
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--films", films, "--out", out,
                           "--include-seen")
    assert code == 0 and "no rows" not in err
    assert set(pd.read_csv(out, dtype={"film_id": str})["film_id"]) == {"f1", "everyone's"}
    code, _, err = run_cli(capsys, "audiences", tmp_path / "m", "--all", "--out", out)
    assert code == 0 and "1 of the 13 films has no rows" in err


def test_an_export_whose_cut_matches_nobody_says_so(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`audiences --all --filter zip_zone=7 --filter region=Pacific` (valid values, no user
    with both) wrote 0 rows, exit 0, without a word, where `audience` says the filter
    matches no candidate."""
    from helpers import synthetic_model

    from recommender.model import artifact

    model = synthetic_model(n_users=60, n_films=6, seed=2)
    north = np.arange(model.n_users) < 30  # the oracle: North is zone 1, South zone 2
    model.user_table.attributes["region"] = np.where(north, "North", "South")
    model.user_table.attributes["zip_zone"] = np.where(north, "1", "2")
    path = artifact.save(model, tmp_path / "m")
    out = tmp_path / "a.csv"
    code, said, err = run_cli(capsys, "audiences", path, "--all", "--filter", "region=North",
                              "--filter", "zip_zone=2", "--out", out)
    assert code == 0, err
    assert len(out.read_text().splitlines()) == 1  # the header alone
    assert "wrote 0 rows" in said
    assert ("warning: the export has no rows: its cut (region=North, zip_zone=2) matches none "
            "of the ranked rows of the 6 films; why, film by film, below") in err, err
    assert ("warning: 6 of the 6 films have no rows for the cut (region=North, zip_zone=2): "
            f"{str(model.films.ids[0])!r}: the filter (region=North, zip_zone=2) matches no "
            "candidate;") in err, err
    code, said, err = run_cli(capsys, "audiences", path, "--all", "--filter", "region=North",
                              "--filter", "zip_zone=1", "--out", out)
    assert code == 0 and "wrote 0 rows" not in said and "no rows" not in err, err


def test_a_film_the_cut_leaves_without_rows_is_named_with_why(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audiences --films` of two films cut to the core ring and one value: one film's cut
    was empty (its `audience` said why) and the export wrote the other's rows without a word
    (its Parquet context counted the films only). Oracle: the core rings from numpy's scores
    (ring: the first ceil(1%) of the non-viewers by score), the planted attribute."""
    import json

    import pyarrow.parquet as pq
    from helpers import synthetic_model

    from recommender.model import artifact

    model = synthetic_model(n_users=200, n_films=4, seed=5)
    cores, candidates = [], []
    for f in (0, 1):
        scores = model.user_factors @ model.film_factors[f]
        free = np.setdiff1d(np.arange(model.n_users), model.film_viewers(f))
        order = free[np.argsort(-scores[free], kind="stable")]
        cores.append(set(order[:int(np.ceil(len(free) / 100))].tolist()))
        candidates.append(set(free.tolist()))
    # North: film 0's core users that are film 1's candidates outside its core ring
    north = sorted((cores[0] - cores[1]) & candidates[1])
    assert north  # the planted case exists
    model.user_table.attributes["region"] = np.where(
        np.isin(np.arange(model.n_users), north), "North", "South")
    path = artifact.save(model, tmp_path / "m")
    ids = [str(model.films.ids[f]) for f in (1, 0)]  # the empty one first
    films = tmp_path / "films.txt"
    films.write_text("\n".join(ids) + "\n", encoding="utf-8")
    why = (f"the filter (region=North) matches nobody in the core ring ({len(north)} "
           f"candidate{'s' if len(north) > 1 else ''} outside it "
           f"{'do' if len(north) > 1 else 'does'})")
    for name in ("a.parquet", "a.csv"):
        out = tmp_path / name
        code, said, err = run_cli(capsys, "audiences", path, "--films", films, "--tier", "core",
                                  "--filter", "region=North", "--out", out)
        assert code == 0, err
        assert f"wrote {len(north)} row" in said
        assert (f"warning: 1 of the 2 films has no rows for the cut (core ring, region=North): "
                f"{ids[0]!r}: {why} (a Parquet export's context lists them: "
                "films_without_rows)") in err, err
    table = pq.read_table(tmp_path / "a.parquet")
    assert set(table.column("film_id").to_pylist()) == {ids[1]}
    context = json.loads(table.schema.metadata[b"recommender"])
    assert context["films_asked"] == {"count": 2, "ids": ids}
    assert context["films_without_rows"] == {"count": 1,
                                             "films": [{"film_id": ids[0], "why": why}]}
    # the audience of that film says the same in its `empty`
    code, out_json, err = run_cli(capsys, "audience", path, ids[0], "--tier", "core",
                                  "--filter", "region=North", "--json")
    assert code == 0 and json.loads(out_json)["empty"] == why, err


def test_an_export_of_no_rows_gives_each_films_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`audiences --films` of two films cut to the core ring and one occupation, whose users
    are candidates of both films, all outside both core rings: the export said only that its
    cut "matches no candidate of the 2 films" (wrong: they are candidates), and not each
    film's reason, which its Parquet context (films_without_rows) gave. Oracle: the core rings
    from numpy's scores (the first ceil(1%) of the non-viewers by score), the planted value."""
    import json

    import pyarrow.parquet as pq
    from helpers import synthetic_model

    from recommender.model import artifact

    model = synthetic_model(n_users=300, n_films=4, seed=5)
    outside = np.ones(model.n_users, bool)
    for f in (0, 1):
        scores = model.user_factors @ model.film_factors[f]
        free = np.setdiff1d(np.arange(model.n_users), model.film_viewers(f))
        order = free[np.argsort(-scores[free], kind="stable")]
        ring = order[:int(np.ceil(len(free) / 100))]
        in_ring_or_viewer = np.zeros(model.n_users, bool)
        in_ring_or_viewer[ring] = True
        in_ring_or_viewer[model.film_viewers(f)] = True
        outside &= ~in_ring_or_viewer
    retired = np.flatnonzero(outside)[:7]  # candidates of both films, in neither core ring
    assert len(retired) == 7
    occupation = np.full(model.n_users, "clerk", dtype=object)
    occupation[retired] = "retired"
    model.user_table.attributes["occupation"] = occupation.astype(str)
    path = artifact.save(model, tmp_path / "m")
    ids = [str(model.films.ids[f]) for f in (0, 1)]
    films = tmp_path / "films.txt"
    films.write_text("\n".join(ids) + "\n", encoding="utf-8")
    why = ("the filter (occupation=retired) matches nobody in the core ring (7 candidates "
           "outside it do)")
    for name in ("nr.parquet", "nr.csv"):
        out = tmp_path / name
        code, said, err = run_cli(capsys, "audiences", path, "--films", films, "--tier", "core",
                                  "--filter", "occupation=retired", "--out", out)
        assert code == 0, err
        assert "wrote 0 rows" in said
        assert "matches no candidate of" not in err, err
        assert ("warning: the export has no rows: its cut (core ring, occupation=retired) "
                "matches none of the ranked rows of the 2 films; why, film by film, below"
                ) in err, err
        assert ("warning: 2 of the 2 films have no rows for the cut (core ring, "
                f"occupation=retired): {ids[0]!r}: {why}; {ids[1]!r}: {why} (a Parquet "
                "export's context lists them: films_without_rows)") in err, err
    context = json.loads(pq.read_table(tmp_path / "nr.parquet").schema.metadata[b"recommender"])
    assert context["films_without_rows"] == {
        "count": 2, "films": [{"film_id": i, "why": why} for i in ids]}
