"""The CLI's tables say what their numbers are: each ranked table's score and percentile has a
legend true to the model's arrays, and a breakdown says how many cells the minimum cell rule
hides (house rule: every number a person reads has a unit and a source)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import demo_model, synthetic_model
from helpers import run_cli as run

from recommender.model import artifact
from recommender.model.model import Model, Segments
from recommender.model.segments import MIN_GENRE_SHARE

PERCENTILE = "percentile: in (0, 100] among the ranked candidates, 100 = best"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Model, str]:
    """A model whose first film has, among its candidates, 3 users of gender X and 15 of
    gender F (the rest M), and among its viewers 3 of segment 0, the rest of segment 1 and
    none of segments 2 and 3: with the default minimum cell (10), the whole ranking's
    portrait hides X and then F (a lone hidden cell would be the total less the shown ones),
    and the film's viewer segments hide segment 0 and then an empty one (segment 2)."""
    m = synthetic_model(n_users=300, n_films=20, seed=3)
    f = 0
    viewers = np.asarray(m.seen_by_film[f].indices, np.int64)
    assert len(viewers) >= 16  # segment 1 keeps at least 10 viewers
    candidates = np.setdiff1d(np.arange(m.n_users), viewers)
    gender = np.full(m.n_users, "M", dtype="<U1")
    gender[candidates[:3]], gender[candidates[3:18]] = "X", "F"
    m.user_table.attributes["gender"] = gender
    labels = np.asarray(m.segments.labels, np.int16).copy()
    labels[viewers] = 1
    labels[viewers[:3]] = 0
    info = [{**s, "size": int((labels == s["segment"]).sum())} for s in m.segments.info]
    m.segments = Segments(labels, info)
    path = artifact.save(m, tmp_path_factory.mktemp("legends") / "model")
    return path, artifact.load(path), str(m.films.ids[f])


def first_row(out: str) -> list[str]:
    """The cells of a table's rank 1 row (ids and numbers hold no spaces)."""
    return next(line.split() for line in out.splitlines() if line.split()[:1] == ["1"])


def test_audience_score_is_the_dot_product(planted: tuple[Path, Model, str],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path, m, film = planted
    code, out, err = run(capsys, "audience", path, film, "--k", 3)
    assert code == 0, err
    user, score = first_row(out)[1:3]
    expected = float(m.user_factors[m.user_index(user)] @ m.film_factors[m.film_index(film)])
    assert float(score) == pytest.approx(expected, abs=2e-6)
    assert out.splitlines()[-1] == (
        "score: the model's taste score, the dot product of the user's and the film's taste "
        "vectors, for ordering only (not comparable between films; no popularity prior, which "
        f"recommend's score+prior adds when the model has one); {PERCENTILE}")


def test_lookalike_score_is_the_mean_cosine_to_the_seeds(
        planted: tuple[Path, Model, str], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path, m, _ = planted
    seeds = [str(u) for u in m.users.ids[[4, 9, 30]]]
    (tmp_path / "seeds.txt").write_text("\n".join(seeds) + "\n")
    code, out, err = run(capsys, "lookalike", path, "--seeds", tmp_path / "seeds.txt", "--k", 3)
    assert code == 0, err
    user, score = first_row(out)[1:3]
    uf = np.asarray(m.user_factors, np.float64)
    u = uf[m.user_index(user)]
    cosines = [u @ uf[m.user_index(s)] / np.linalg.norm(u) / np.linalg.norm(uf[m.user_index(s)])
               for s in seeds]
    assert float(score) == pytest.approx(float(np.mean(cosines)), abs=2e-6)
    assert out.splitlines()[-1] == (
        "score: the mean cosine similarity of the user's taste vector to the seed users' "
        f"(-1 to 1, 1 = the same taste); {PERCENTILE}")


def test_cold_start_score_is_the_dot_product_with_the_weighted_mean(
        planted: tuple[Path, Model, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, m, _ = planted
    a, b = (str(i) for i in m.films.ids[[2, 5]])
    code, out, err = run(capsys, "cold-start", path, "--like", a, f"{b}=3", "--k", 3)
    assert code == 0, err
    user, score = first_row(out)[1:3]
    ff = np.asarray(m.film_factors, np.float64)
    vector = (ff[m.film_index(a)] + 3 * ff[m.film_index(b)]) / 4
    expected = float(np.asarray(m.user_factors, np.float64)[m.user_index(user)] @ vector)
    assert float(score) == pytest.approx(expected, abs=2e-6)
    assert out.splitlines()[-1].startswith(
        "score: the dot product of the user's taste vector and the new film's (the weighted "
        "mean of its comparable films' vectors")
    assert out.splitlines()[-1].endswith(f"for ordering only; {PERCENTILE}")


def test_similar_score_is_the_cosine_between_films(planted: tuple[Path, Model, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, m, film = planted
    code, out, err = run(capsys, "similar", path, film, "--k", 3)
    assert code == 0, err
    other, score = first_row(out)[1:3]
    ff = np.asarray(m.film_factors, np.float64)
    x, y = ff[m.film_index(film)], ff[m.film_index(other)]
    assert float(score) == pytest.approx(x @ y / np.linalg.norm(x) / np.linalg.norm(y),
                                         abs=1e-4)
    assert out.splitlines()[-1] == (f"score: the cosine similarity of the film's taste vector "
                                    f"to film {film}'s (-1 to 1, 1 = the same taste)")


def test_summary_portrait_says_what_it_hides(planted: tuple[Path, Model, str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path, _, film = planted
    code, out, err = run(capsys, "summary", path, film, "--tier", "all")
    assert code == 0, err
    gender = out.split("Portrait: gender\n")[1].split("\n\n")[0].splitlines()
    assert [line.split()[0] for line in gender[2:-1]] == ["M"]  # X and F left out
    assert gender[-1] == (
        "hidden: 2 gender values (18 users in all), each of fewer than 10 users (or leaving "
        "fewer than 10 outside them) or hidden "
        "with one so that it is not the total less the shown ones (the minimum cell size: "
        "$RECOMMENDER_MIN_CELL, default 10)")
    assert out.splitlines()[-1] == (
        "share: the value's share of the pictured users (0-1); base_share: its share of all "
        "users (0-1); lift = share / base_share")


def test_summary_tiers_say_what_share_pct_and_scores_are(
        planted: tuple[Path, Model, str], capsys: pytest.CaptureFixture[str]) -> None:
    """The tier table's share_pct (1.0, 4.0, 15.0) and scores columns had no legend; the
    conversion and lift columns had one."""
    path, m, film = planted
    code, out, err = run(capsys, "summary", path, film)
    assert code == 0, err
    body = json.loads(run(capsys, "summary", path, film, "--json")[1])
    lines = out.splitlines()
    legend = lines.index(next(line for line in lines if line.startswith("share_pct:")))
    assert lines[legend] == (
        f"share_pct: the ring's width, in % of the {body['candidates']:,} candidates (its "
        "ranks); size: the ring's users; scores: the model's raw scores at the ring's ends, "
        "for ordering only")
    for tier in body["tiers"]:  # size: the users of its ranks
        if tier["rank_range"] is not None:
            low, high = tier["rank_range"]
            assert tier["size"] == high - low + 1
    assert lines[legend - 1].split()[0] == body["tiers"][-1]["tier"]  # right under the table


def test_film_says_how_many_viewers_its_hidden_segments_hold(
        planted: tuple[Path, Model, str], capsys: pytest.CaptureFixture[str]) -> None:
    path, m, film = planted
    code, out, err = run(capsys, "film", path, film)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-2] == (
        "hidden: 2 segments (3 viewers in all), each of fewer than 10 viewers (or leaving "
        "fewer than 10 outside them) or hidden with one so that it is not the total less the "
        "shown ones (the minimum cell size: $RECOMMENDER_MIN_CELL, default 10)")
    # the JSON stays the endpoint's body: no new field
    code, body_text, _ = run(capsys, "film", path, film, "--json")
    body = json.loads(body_text)
    assert [r["segment"] for r in body["viewer_segments"]] == [1, 3]
    assert "hidden" not in body_text and "min_cell" not in body


def test_distribution_prints_the_units_of_its_json(planted: tuple[Path, Model, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, _, film = planted
    code, out, err = run(capsys, "distribution", path, film, "--by", "region", "--json")
    assert code == 0, err
    units = json.loads(out)["units"]
    code, out, err = run(capsys, "distribution", path, film, "--by", "region")
    assert code == 0, err
    for column in ("share", "index_vs_users", "index_vs_viewing", "user_share",
                   "viewing_share"):
        assert f"{column}: {units[column]}" in out


def test_users_without_a_value_are_named_in_the_portrait(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Users whom the users file gives no region are the value "": the portrait printed a row
    with a blank first cell (the Studio a bar without a name). They show as "(no value)"; the
    JSON keeps the value as it is ("")."""
    m = synthetic_model(n_users=300, n_films=20, seed=3)
    region = np.array(["North", "South", ""], dtype="<U5")[np.arange(m.n_users) % 3]
    m.user_table.attributes["region"] = region
    path = artifact.save(m, tmp_path / "model")
    film = str(m.films.ids[0])
    code, out, err = run(capsys, "summary", path, film, "--tier", "all")
    assert code == 0, err
    rows = out.split("Portrait: region\n")[1].split("\n\n")[0].splitlines()[2:]
    assert "(no value)" in {line.split("  ")[0].strip() for line in rows}
    code, out, err = run(capsys, "summary", path, film, "--tier", "all", "--json")
    assert "" in {r["value"] for r in json.loads(out)["portrait"]["region"]}


def test_an_empty_by_is_refused_not_read_as_region(planted: tuple[Path, Model, str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """``--by ''`` printed the region breakdown (the default) while ``?by=`` is a 422; and
    with --slate it was not counted among the options a slate does not read."""
    path, _, film = planted
    code, out, err = run(capsys, "distribution", path, film, "--by", "", "--json")
    assert code == 2 and out == "" and "argument --by: the value is empty" in err
    slate = path.parent / "slate-by.csv"
    slate.write_text(f"film_id\n{film}\n")
    code, out, err = run(capsys, "distribution", path, "--slate", str(slate), "--by", "")
    assert code == 2 and "argument --by: the value is empty" in err


def test_recommend_score_says_it_holds_the_popularity_prior(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a popularity prior, a recommendation's score is the taste score plus the film's
    prior (on the demo, most of the top film's score); the legend called it "the model's raw
    score", beside "because you watched" films that explain the taste part only."""
    from dataclasses import replace

    m = synthetic_model(n_users=60, n_films=12, seed=5)
    plain = artifact.save(m, tmp_path / "plain")
    prior = np.linspace(0.0, 2.0, m.n_films).astype(np.float32)
    with_prior = artifact.save(
        replace(m, film_prior=prior, meta={**m.meta, "params": {**m.meta.get("params", {}),
                                                                 "popularity": 3.0}}),
        tmp_path / "prior")
    user = str(m.users.ids[0])
    code, out, err = run(capsys, "recommend", with_prior, "--user", user, "--k", 3)
    assert code == 0, err
    film, score = first_row(out)[1:3]
    u, f = m.user_index(user), m.film_index(film)
    assert float(score) == pytest.approx(float(m.user_factors[u] @ m.film_factors[f])
                                         + float(prior[f]), abs=1e-4)
    legend = out.splitlines()[-1]
    assert legend.startswith("score+prior: the model's taste score (the dot product of the "
                             "user's and the film's taste vectors: the user's score in the "
                             "film's audience) plus the film's popularity prior (weight 3: ")
    header = next(line for line in out.splitlines() if line.startswith("rank "))
    assert header.split()[2] == "score+prior"  # the header says it too
    code, out, err = run(capsys, "recommend", plain, "--user", user, "--k", 3)
    assert code == 0, err
    assert out.splitlines()[-1].startswith("score: the model's taste score (the dot product ")
    header = next(line for line in out.splitlines() if line.startswith("rank "))
    assert header.split()[2] == "score"  # the audience's name: without a prior, the same number


def test_segments_say_what_size_share_and_lift_are(tmp_path_factory: pytest.TempPathFactory,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The segments table printed size, share and each genre's lift with no legend."""
    path = artifact.save(demo_model(tmp_path_factory)[1], tmp_path_factory.mktemp("seg") / "m")
    m = artifact.load(path)
    code, out, err = run(capsys, "segments", path)
    assert code == 0, err
    legend = out.splitlines()[-1]
    assert legend.startswith("size: the segment's users; share: its share of all users (0-1); "
                             "top_genres: lift = the genre's share of the genres of the films "
                             "the segment's users watched / its share over all users")
    body = json.loads(run(capsys, "segments", path, "--json")[1])["segments"]
    labels = np.asarray(m.segments.labels)
    seen = (m.seen.tocsr() > 0).astype(np.float64)
    names = sorted({g for row in m.catalog.genres.tolist() for g in str(row).split("|") if g})
    tags = np.array([[g in str(row).split("|") for g in names]
                     for row in m.catalog.genres.tolist()], np.float64)  # films x genres
    every = np.asarray(seen.sum(axis=0)).ravel() @ tags
    for s in body:  # the legend's formulas give the numbers printed
        assert s["size"] == int((labels == s["segment"]).sum())
        assert s["share"] == pytest.approx(s["size"] / m.n_users, abs=5e-5)
        watched = np.asarray(seen[labels == s["segment"]].sum(axis=0)).ravel() @ tags
        for g in s["top_genres"]:
            i = names.index(g["genre"])
            lift = (watched[i] / watched.sum()) / (every[i] / every.sum())
            assert g["lift"] == pytest.approx(lift, abs=1e-3)
        # the floor the legend states: a genre under it is never listed, however high its lift
        listed = {g["genre"] for g in s["top_genres"]}
        assert all(watched[names.index(g)] / watched.sum() >= MIN_GENRE_SHARE for g in listed)
    floor = (f"(above 1); genres under {MIN_GENRE_SHARE:.0%} of the segment's genre views are "
             "left out, however high their lift; ")
    assert floor in legend, legend


def test_search_says_what_viewers_counts(planted: tuple[Path, Model, str],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path, m, film = planted
    code, out, err = run(capsys, "search", path, film)
    assert code == 0, err
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == [film])
    assert int(row[1]) == len(m.film_viewers(m.film_index(film)))
    assert out.splitlines()[-1] == "viewers: users who watched it in the training data"


def test_a_summary_without_user_attributes_says_there_is_no_portrait(
        tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    """A log without a users file (MovieLens latest, FilmTrust): the summary printed the
    portrait's scope ("Portrait of core + extended tiers (...)") and then nothing."""
    m = synthetic_model(n_users=200, n_films=10, seed=4)
    m.user_table.attributes.clear()
    path = artifact.save(m, tmp_path_factory.mktemp("no-attributes") / "model")
    code, out, err = run(capsys, "summary", path, str(m.films.ids[0]))
    assert code == 0, err
    # the model's meta does not say whether a users file was read: both causes named
    assert out.rstrip().splitlines()[-1].startswith(
        "Portrait: none. The model's users have no attributes: no users file was given to "
        "train, or the one given held user_id alone")
    assert "Portrait of" not in out
