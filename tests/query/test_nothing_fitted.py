"""Answers with nothing fitted behind them say so instead of passing index order off as a
ranking. A viewer with no fitted taste (every rating below ``--min-rating``, or a watch list of
films with nothing fitted) gets recommendations with a ``note``; a film with nothing fitted, or
lookalikes and cold start from such seeds and films, get audience pages with one. On the
library, the serving cache, HTTP and the CLI alike.

Oracles: the planted ratings (the viewer's every rating is low, two films only they watched),
the model's own zero vectors, a brute-force order of the popularity prior, and the CLI's
``--json`` against the HTTP body.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.distribution.demand import UNRANKED_DEMAND, cold_start_demand
from recommender.io.dataset import Interactions, UserTable
from recommender.model import artifact
from recommender.model.config import MODEL_REGULARIZATION, TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query.audience import (
    audience_summary,
    cold_start_audience,
    film_audience,
    lookalikes,
)
from recommender.query.pages import UNRANKED, UNRANKED_LOOKALIKE, UNRANKED_QUERY
from recommender.query.recommend import (
    BY_BIAS,
    BY_BIAS_AND_POPULARITY,
    BY_POPULARITY,
    NOT_SIMILAR,
    UNRANKED_FILMS,
    recommend_for_watched,
    recommend_many,
    recommend_user,
    similar_films,
)
from recommender.serving.engine import Engine
from service.app import create_app
from service.settings import Settings
from tests.service_fixtures import build_interactions

CONFIG = TrainConfig(factors=6, iterations=4, segments=2, holdout=0.0, tune=False, seed=2,
                     min_rating=3.0)
LOW = "lowly"  # the viewer whose every rating is below min_rating
ONLY_LOW = ("x1", "x2")  # films only LOW watched: nothing fitted either


def log() -> Interactions:
    base = build_interactions(n_users=80, n_films=30, per_user=8, seed=3)
    users = np.r_[base.users.ids[base.user_idx], [LOW] * 5]
    films = np.r_[base.films.ids[base.film_idx], base.films.ids[:3], list(ONLY_LOW)]
    rating = np.r_[np.full(len(base), 5.0), np.full(5, 1.0)]
    ids = np.r_[base.users.ids, [LOW]].astype(str)  # a region each, for distribution
    table = UserTable(ids, {"region": np.array([f"R{i % 3}" for i in range(len(ids))])})
    return Interactions.from_columns(pa.array(users), pa.array(films), rating=rating,
                                     user_table=table, source="taste-note")


@pytest.fixture(scope="module")
def plain() -> Model:
    return train(log(), CONFIG, progress=False)


@pytest.fixture(scope="module")
def with_prior() -> Model:
    return train(log(), replace(CONFIG, popularity=1.0), progress=False)


def test_a_viewer_with_nothing_fitted_is_told_the_list_is_no_ranking(plain: Model) -> None:
    u = plain.user_index(LOW)
    assert not plain.user_factors[u].any()  # nothing of theirs reached the fit
    films = recommend_user(plain, LOW, k=5)
    assert films.note == UNRANKED_FILMS and not films.score.any()
    others = [str(i) for i in plain.users.ids[:20] if i != LOW]
    assert all(recommend_user(plain, o, k=5).note is None for o in others)
    # the batched path (concurrent HTTP requests) says the same of the same users
    many = recommend_many(plain, [(plain.user_index(i), 5, True) for i in [LOW, *others]])
    assert [m.note for m in many] == [UNRANKED_FILMS] + [None] * len(others)
    assert films.to_json(plain)["note"] == UNRANKED_FILMS
    # no reasons: the watched films did not bring these films (they were brought by nothing)
    assert films.because == [[] for _ in films.film_idx] and many[0].because == films.because
    assert all(recommend_user(plain, o, k=5).because[0] for o in others[:3])


def test_with_a_prior_the_list_is_by_popularity_and_says_so(with_prior: Model) -> None:
    films = recommend_user(with_prior, LOW, k=8)
    assert films.note == BY_POPULARITY
    prior = np.asarray(with_prior.film_prior, np.float64)
    candidates = np.setdiff1d(np.arange(with_prior.n_films),
                              with_prior.user_films(with_prior.user_index(LOW)))
    # brute force: the prior alone, ties in catalog order
    order = candidates[np.lexsort((candidates, -prior[candidates]))][:8]
    assert films.film_idx.tolist() == order.tolist()


def test_a_watch_list_of_films_with_nothing_fitted_is_said(plain: Model) -> None:
    films, unknown = recommend_for_watched(plain, list(ONLY_LOW), k=5)
    assert unknown == [] and films.note == UNRANKED_FILMS
    fitted = [str(plain.films.ids[f]) for f in range(3)]
    assert recommend_for_watched(plain, fitted, k=5)[0].note is None


def test_http_and_the_cli_carry_the_note(plain: Model, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    folder = artifact.save(plain, tmp_path / "m")
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        body = client.get(f"/users/{LOW}/recommendations", params={"k": 4}).json()
        assert body["note"] == UNRANKED_FILMS
        other = str(plain.users.ids[0])
        assert client.get(f"/users/{other}/recommendations").json()["note"] is None
        watched = client.post("/recommendations", json={"film_ids": list(ONLY_LOW), "k": 4})
        assert watched.json()["note"] == UNRANKED_FILMS
    code, out, err = run_cli(capsys, "recommend", folder, "--user", LOW, "--k", 4, "--json")
    assert code == 0, err
    assert json.loads(out) == body
    code, out, _ = run_cli(capsys, "recommend", folder, "--user", LOW, "--k", 4)
    assert code == 0 and f"warning: {UNRANKED_FILMS}" in out
    ids = tmp_path / "watched.txt"
    ids.write_text("\n".join(ONLY_LOW) + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "recommend", folder, "--watched", ids, "--k", 4, "--json")
    assert code == 0 and json.loads(out) == watched.json()


def test_a_film_with_nothing_fitted_has_an_unranked_audience(plain: Model) -> None:
    x = ONLY_LOW[0]
    assert not plain.film_factors[plain.film_index(x)].any()
    page = film_audience(plain, x, k=10)
    assert page.note == UNRANKED and page.to_json()["note"] == UNRANKED
    assert len(set(page.score.tolist())) == 1  # what the note says: one score for all
    ranked = str(plain.films.ids[0])
    assert film_audience(plain, ranked, k=10).note is None
    # the serving cache's pages (cut from batched ranking prefixes) say the same
    engine = Engine(plain)
    assert engine.audience(x, k=10).note == UNRANKED
    assert engine.audience(ranked, k=10).note is None
    assert engine.cached_audience(x, k=5) is not None and engine.cached_audience(x, k=5).note \
        == UNRANKED
    # a filtered page is ranked the same way
    assert film_audience(plain, x, k=10, segment=0).note == UNRANKED


def test_the_summary_of_a_film_with_nothing_fitted_expects_its_mean_p_in_every_ring() -> None:
    """Its rings held users in no meaningful order, yet expected their ranks' rates: core
    4.4x the base on ML-100K at --min-rating 4, where the planner and distribution give every
    such user the film's mean p. Oracle: the mean over every candidate of
    calibration.p_in_order on the (all equal) scores."""
    from recommender.model import calibration

    model = train(log(), replace(CONFIG, holdout=0.2), progress=False)
    x = ONLY_LOW[0]
    f = model.film_index(x)
    body = audience_summary(model, x)
    assert body["note"] == UNRANKED
    n = body["candidates"]
    mean = float(calibration.p_in_order(model.calibration, f, np.zeros(n)).mean())
    assert mean > 0 and body["base_conversion"] == round(mean, 5)
    for tier in body["tiers"]:
        assert tier["expected_conversion"] == round(mean, 5)
        assert tier["conversion_lift"] == 1.0
    # what the rings expected before: their ranks' rates, far from the mean here
    assert calibration.mean_p(model.calibration, f, 1, 1, n) > 1.5 * mean
    assert audience_summary(model, str(model.films.ids[0]))["note"] is None


def test_lookalikes_and_cold_start_from_nothing_fitted_say_so(plain: Model) -> None:
    page, unknown = lookalikes(plain, [LOW], k=10)
    assert unknown == [] and page.note == UNRANKED_LOOKALIKE
    assert lookalikes(plain, [str(plain.users.ids[0])], k=10)[0].note is None
    # beside a fitted seed, one with nothing fitted has no taste to be like: the scores are
    # the cosines to the fitted seed (it counted as cosine 0 to everyone: every score halved)
    one = str(plain.users.ids[0])
    both, _ = lookalikes(plain, [LOW, one], k=plain.n_users)
    taste = np.asarray(plain.user_factors, np.float64)
    unit = taste / np.maximum(np.linalg.norm(taste, axis=1), 1e-30)[:, None]
    cosine = unit @ unit[plain.user_index(one)]
    assert repr(LOW) in both.note and {LOW, one}.isdisjoint(both.user_ids.tolist())
    np.testing.assert_allclose(both.score, cosine[both.user_idx], atol=1e-5)
    assert cold_start_audience(plain, list(ONLY_LOW), k=10).note == UNRANKED_QUERY
    assert cold_start_audience(plain, [str(plain.films.ids[0])], k=10).note is None


def test_the_audience_page_note_over_http_and_the_cli(plain: Model, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    folder = artifact.save(plain, tmp_path / "m")
    x = ONLY_LOW[0]
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=True))) as client:
        body = client.get(f"/films/{x}/audience", params={"k": 5}).json()
        assert body["note"] == UNRANKED
        ranked = str(plain.films.ids[0])
        assert client.get(f"/films/{ranked}/audience", params={"k": 5}).json()["note"] is None
        look = client.post("/audiences/lookalike", json={"seed_user_ids": [LOW], "k": 5})
        assert look.json()["note"] == UNRANKED_LOOKALIKE
        # the CSV download carries the note in a header (a row has no place for it)
        csv = client.get(f"/films/{x}/audience.csv", params={"k": 5})
        assert csv.status_code == 200 and csv.headers["x-audience-note"] == UNRANKED
        ranked_csv = client.get(f"/films/{ranked}/audience.csv", params={"k": 5})
        assert "x-audience-note" not in ranked_csv.headers
    code, out, err = run_cli(capsys, "audience", folder, x, "--k", 5, "--json")
    assert code == 0, err
    assert json.loads(out) == body
    code, out, _ = run_cli(capsys, "audience", folder, x, "--k", 5)
    assert code == 0 and f"warning: {UNRANKED}" in out
    code, out, err = run_cli(capsys, "audience", folder, x, "--k", 5, "--csv")
    assert code == 0 and f"warning: {UNRANKED}" in err and "warning" not in out
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(LOW + "\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "lookalike", folder, "--seeds", seeds, "--k", 5)
    assert code == 0 and f"warning: {UNRANKED_LOOKALIKE}" in out
    # a page past the last user still says so (the table, and the note, were skipped)
    code, out, _ = run_cli(capsys, "lookalike", folder, "--seeds", seeds, "--offset", 500)
    assert code == 0 and f"warning: {UNRANKED_LOOKALIKE}" in out
    code, out, _ = run_cli(capsys, "cold-start", folder, "--like", x, "--offset", 500)
    assert code == 0 and f"warning: {UNRANKED_QUERY}" in out


def test_comparable_films_of_a_film_with_nothing_fitted_say_so(
        plain: Model, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = ONLY_LOW[0]
    films = similar_films(plain, x, k=5)
    assert films.note == NOT_SIMILAR and len(set(films.score.tolist())) == 1
    assert similar_films(plain, str(plain.films.ids[0]), k=5).note is None
    folder = artifact.save(plain, tmp_path / "m")
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        body = client.get(f"/films/{x}/similar", params={"k": 5}).json()
    assert body["note"] == NOT_SIMILAR
    code, out, err = run_cli(capsys, "similar", folder, x, "--k", 5, "--json")
    assert code == 0, err
    assert json.loads(out) == body


@pytest.mark.parametrize("family", ["ease", "bpr", "lmf"])
def test_the_other_models_say_so_too(family: str) -> None:
    """EASE leaves films with no fitted interaction at exact zero (its decomposition left
    noise of norm ~1e-17 there, which passed for a direction: no note, and cosines of 0.3 for
    comparable films); BPR's and LMF's bias columns are no taste (a user with nothing fitted
    is [0, ..., 1] there: the note keyed on a zero row never came)."""
    # replace() keeps CONFIG's regularization (ALS's 30, which leaves BPR degenerate): the
    # model's own is given with it
    config = (replace(CONFIG, family="ease", factors=8) if family == "ease"
              else replace(CONFIG, model=family, iterations=3,
                           regularization=MODEL_REGULARIZATION[family]))
    model = train(log(), config, progress=False)
    from recommender.query.catalog import model_info

    assert model_info(model)["factors"] == config.factors  # not counting bias columns
    if family == "bpr":  # a ranking model, not a degenerate one: its fitted films' audiences
        assert not any(film_audience(model, str(f), k=5).note for f in model.films.ids[:20])
    x = ONLY_LOW[0]
    assert model.nothing_fitted(model.film_factors[model.film_index(x)], "films")
    assert model.nothing_fitted(model.user_factors[model.user_index(LOW)], "users")
    assert not model.nothing_fitted(model.user_factors[:50], "users").any()
    want = BY_BIAS if family in ("bpr", "lmf") else UNRANKED_FILMS
    assert recommend_user(model, LOW, k=5).note == want
    assert recommend_user(model, str(model.users.ids[0]), k=5).note is None
    # LMF ranks a film with nothing fitted by each user's own bias: no tie, still no ranking
    assert film_audience(model, x, k=5).note == UNRANKED
    assert Engine(model).audience(x, k=5).note == UNRANKED
    assert similar_films(model, x, k=5).note == NOT_SIMILAR
    if family in ("bpr", "lmf"):  # comparable films by taste, the bias columns left out
        films = similar_films(model, x, k=5)
        assert len(set(films.score.tolist())) == 1  # LMF's bias made one 1.0 similar
        f0 = str(model.films.ids[0])
        taste = np.asarray(model.film_factors, np.float64)[:, :-model.bias_columns]
        norms = np.linalg.norm(taste, axis=1)  # films with nothing fitted: 0, not NaN
        cos = np.where(norms > 0, taste @ taste[0], 0.0) / np.where(norms > 0, norms, 1.0) \
            / norms[0]
        got = similar_films(model, f0, k=3)
        assert np.allclose(got.score, np.sort(np.delete(cos, 0))[::-1][:3], atol=1e-5)
    # a vector folded in from films with nothing fitted: the note says what ranks the list
    # (BPR's fold-in leaves the bias column at 0 too: then nothing does)
    watched, _ = recommend_for_watched(model, list(ONLY_LOW), k=5)
    tied = len(set(watched.score.tolist())) == 1
    assert watched.note == (UNRANKED_FILMS if tied else BY_BIAS)
    # lookalikes of a seed and cold start from films with nothing fitted: under LMF the cold
    # start comes by the users' own bias, no tie, and no ranking either (the note came only
    # from a tie); lookalikes leave the bias columns out (test_lookalike_taste.py) and tie
    page, _ = lookalikes(model, [LOW], k=5)
    assert page.note == UNRANKED_LOOKALIKE
    assert cold_start_audience(model, list(ONLY_LOW), k=5).note == UNRANKED_QUERY
    assert cold_start_demand(model, list(ONLY_LOW), [], by="region")["note"] == UNRANKED_DEMAND
    fitted = [str(f) for f in model.films.ids[:3]]
    assert lookalikes(model, [str(model.users.ids[0])], k=5)[0].note is None
    assert cold_start_audience(model, fitted, k=5).note is None
    assert cold_start_demand(model, fitted, [], by="region")["note"] is None
    if family == "ease":
        assert not model.film_factors[model.film_index(x)].any()
        assert not np.asarray(model.fold_in_projection)[model.film_index(x)].any()


def test_exports_warn_of_rows_with_nothing_fitted(plain: Model, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    folder = artifact.save(plain, tmp_path / "m")
    code, _, err = run_cli(capsys, "recommend", folder, "--all", "--out", tmp_path / "r.csv")
    assert code == 0 and "warning: 1 of the 81 users have no fitted taste" in err
    code, _, err = run_cli(capsys, "audiences", folder, "--all", "--out", tmp_path / "a.csv")
    assert code == 0 and f"warning: {len(ONLY_LOW)} of the 32 films have nothing fitted" in err
    # a Parquet export names them in its context, against the model's own zero vectors
    import pyarrow.parquet as pq

    def context(path: Path) -> dict[str, object]:
        return json.loads(pq.read_schema(path).metadata[b"recommender"])  # type: ignore[no-any-return]

    unfitted_films = [str(f) for f in plain.films.ids
                      if not plain.film_factors[plain.film_index(str(f))].any()]
    assert sorted(unfitted_films) == sorted(ONLY_LOW)
    code, _, err = run_cli(capsys, "audiences", folder, "--all", "--out", tmp_path / "a.parquet")
    assert code == 0 and "nothing_fitted_films" in err
    assert context(tmp_path / "a.parquet")["nothing_fitted_films"] == {
        "count": len(unfitted_films), "ids": unfitted_films}
    code, _, err = run_cli(capsys, "recommend", folder, "--all", "--out", tmp_path / "r.parquet")
    assert code == 0 and "nothing_fitted_users" in err
    assert context(tmp_path / "r.parquet")["nothing_fitted_users"] == {"count": 1, "ids": [LOW]}
    films = tmp_path / "films.txt"  # a ranked film alone: an empty list
    films.write_text(str(plain.films.ids[0]) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "audiences", folder, "--films", films, "--out",
                           tmp_path / "b.parquet")
    assert code == 0 and "warning" not in err
    assert context(tmp_path / "b.parquet")["nothing_fitted_films"] == {"count": 0, "ids": []}
    # the listed ids stop at LISTED_IDS (a footer of millions could not be read back); the
    # count does not; read in chunks, the same rows as at once
    from recommender.query import export

    monkeypatch.setattr(export, "LISTED_IDS", 1)
    every = np.arange(plain.n_films)
    got = export.unfitted_ids(plain, "films", every, plain.films, chunk=5)
    assert got == {"count": len(unfitted_films), "ids": unfitted_films[:1]}


def test_bias_and_prior_together_are_named_together() -> None:
    """A BPR model with a popularity prior ranks a viewer with nothing fitted by the films'
    bias and the prior: the note named the bias alone. Oracle: the list is the order of bias
    plus the prior's term, by brute force."""
    model = train(log(), replace(CONFIG, model="bpr", iterations=3, popularity=1.0,
                                 regularization=MODEL_REGULARIZATION["bpr"]), progress=False)
    assert model.film_prior is not None
    films = recommend_user(model, LOW, k=5)
    assert films.note == BY_BIAS_AND_POPULARITY
    taste = np.asarray(model.rec_tastes(model.user_factors[[model.user_index(LOW)]]))[0]
    scores = np.asarray(model.rec_films, np.float64) @ taste
    seen = set(model.user_films(model.user_index(LOW)).tolist())
    expected = [f for f in np.argsort(-scores, kind="stable").tolist() if f not in seen][:5]
    assert films.film_idx.tolist() == expected


def test_the_planner_gives_a_film_with_nothing_fitted_its_mean_p(plain: Model) -> None:
    """Its candidates tie: the planner took them in index order at the best ranks' p (an 8x
    overstatement on the demo data); they now share the film's mean p, as distribution does."""
    from recommender.campaigns.probabilities import slate_candidates
    from recommender.model import calibration

    plain.calibration = {"bins": 10, "hits": [9, 5, 3, 2, 1, 1, 1, 0, 0, 0],
                         "candidates": [100] * 10}
    f = plain.film_index(ONLY_LOW[0])
    cands = slate_candidates(plain, np.array([f]))
    p = cands.p[0][~np.isnan(cands.p[0])]
    n = int(cands.n_candidates[0])
    mean = calibration.p_at(plain.calibration, f, np.arange(n) / n).mean()
    assert len(p) == n and np.allclose(p, mean)
    # and the plan's row for it says so (the Studio's Note column shows it)
    from recommender.campaigns.plan import plan_slate
    from recommender.campaigns.plan_summary import UNRANKED_PLAN
    from recommender.campaigns.slate import SlateFilm

    ranked = str(plain.films.ids[0])
    plan = plan_slate(plain, [SlateFilm(ONLY_LOW[0], 5), SlateFilm(ranked, 5)], cap=2,
                      holdout=0.0, progress=False)
    assert [row["note"] for row in plan.summary["films"]] == [UNRANKED_PLAN, None]


def test_under_lmf_a_film_with_nothing_fitted_gets_its_mean_p_everywhere() -> None:
    """LMF orders such a film's users by their own bias, so their scores do not tie: the
    planner and distribution gave its best ranks their rates (2.6x the mean on ML-100K)
    while its summary expected the mean in every ring. All now give the mean. Oracle: the
    mean of p_at over the candidates' rank fractions."""
    from recommender.campaigns.probabilities import slate_candidates
    from recommender.campaigns.spark_plan import rank_table
    from recommender.distribution.demand import film_probabilities
    from recommender.model import calibration

    model = train(log(), replace(CONFIG, model="lmf", iterations=3,
                                 regularization=MODEL_REGULARIZATION["lmf"]), progress=False)
    model.calibration = {"bins": 10, "hits": [9, 5, 3, 2, 1, 1, 1, 0, 0, 0],
                         "candidates": [100] * 10}
    f = model.film_index(ONLY_LOW[0])
    scores = model.user_factors @ model.film_factors[f]
    viewers = model.film_viewers(f)
    assert len(set(np.delete(scores, viewers).tolist())) > 1  # no tie: the bias orders them
    n = model.n_users - len(np.unique(viewers))
    mean = float(calibration.p_at(model.calibration, f, np.arange(n) / n).mean())
    cands = slate_candidates(model, np.array([f]))
    assert np.allclose(cands.p[0][~np.isnan(cands.p[0])], mean)
    p = film_probabilities(model, scores, f, viewers, True)
    assert np.allclose(np.delete(p, viewers), mean)
    assert np.allclose(rank_table(model, f, 5), mean)
    body = audience_summary(model, ONLY_LOW[0])
    assert all(t["expected_conversion"] == round(mean, 5) for t in body["tiers"])
