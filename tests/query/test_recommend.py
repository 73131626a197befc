"""User -> films: recommendations, explanations, fold-in for new users, comparable films and
batch exports, against brute force."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from helpers import brute_order, demo_model, dense_seen, synthetic_model
from numpy.typing import NDArray

from recommender.errors import InvalidParameterError, UnknownFilmError, UnknownUserError
from recommender.model.model import Model
from recommender.query.export import write_recommendations
from recommender.query.recommend import (
    _best_per_row,
    _round_in_place,
    batch_recommendations,
    explain,
    fold_in,
    recommend_from_history,
    recommend_many,
    recommend_user,
    similar_films,
)


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=80, seed=4, density=0.1)


@pytest.fixture(scope="module")
def tie_model() -> Model:
    return synthetic_model(n_users=120, n_films=60, seed=5, ties=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Model:
    return demo_model(tmp_path_factory)[1]


def brute_recs(m: Model, u: int, exclude_seen: bool = True
               ) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    # exact dot products rounded once to float32, what the engine settles rankings on
    scores = (np.asarray(m.film_factors, np.float64)
              @ np.asarray(m.user_factors[u], np.float64)).astype(np.float32)
    cand = np.arange(m.n_films)
    if exclude_seen:
        cand = cand[~dense_seen(m)[u]]
    order = brute_order(scores, cand)
    return order, scores[order]


@pytest.mark.parametrize("which", ["model", "tie_model"])
def test_recommend_user_equals_brute_force(which: str, request: pytest.FixtureRequest) -> None:
    m: Model = request.getfixturevalue(which)
    seen = dense_seen(m)
    for u in np.random.default_rng(0).choice(m.n_users, size=10, replace=False).tolist():
        uid = str(m.users.ids[u])
        order, scores = brute_recs(m, u)
        got = recommend_user(m, uid, k=m.n_films)
        assert got.user_id == uid
        assert np.array_equal(got.film_idx, order)
        assert np.array_equal(got.score, scores)
        assert not seen[u, got.film_idx].any()
        top5 = recommend_user(m, uid, k=5)
        assert np.array_equal(top5.film_idx, order[:5])
        everything = recommend_user(m, uid, k=m.n_films, exclude_seen=False)
        assert np.array_equal(everything.film_idx, brute_recs(m, u, exclude_seen=False)[0])


@pytest.fixture(scope="module")
def wide_model() -> Model:
    """More films than ``ranking``'s prefilter threshold, so batched rows take that path."""
    return synthetic_model(n_users=24, n_films=21_000, seed=6, density=0.01)


@pytest.mark.parametrize("which", ["model", "tie_model", "wide_model"])
def test_recommend_many_equals_brute_force(which: str, request: pytest.FixtureRequest) -> None:
    """Concurrent requests scored with one product give each user the brute-force list, and
    the very list (explanations included) ``recommend_user`` gives."""
    m: Model = request.getfixturevalue(which)
    rng = np.random.default_rng(1)
    for size in (1, 2, 7, 16):
        requests = [(int(u), int(rng.integers(1, 30)), bool(rng.random() < 0.7))
                    for u in rng.integers(m.n_users, size=size)]
        got = recommend_many(m, requests)
        assert len(got) == size
        for (u, k, exclude_seen), films in zip(requests, got, strict=True):
            order, scores = brute_recs(m, u, exclude_seen)
            assert films.user_id == str(m.users.ids[u])
            assert np.array_equal(films.film_idx, order[:k])
            assert np.array_equal(films.score, scores[:k])
            alone = recommend_user(m, str(m.users.ids[u]), k, exclude_seen)
            assert films.rows(m) == alone.rows(m)
    assert recommend_many(m, []) == []
    with pytest.raises(InvalidParameterError):
        recommend_many(m, [(0, 5, True), (1, 0, True)])


def test_rows_and_because_lists_watched_films_only(model: Model) -> None:
    ff = np.asarray(model.film_factors, np.float64)
    unit = ff / np.linalg.norm(ff, axis=1, keepdims=True)
    for u in (0, 7, 150):
        uid = str(model.users.ids[u])
        watched = set(model.films.ids[model.user_films(u)].tolist())
        assert watched
        recs = recommend_user(model, uid, k=10)
        rows = recs.rows(model)
        assert [r["rank"] for r in rows] == list(range(1, 11))
        for r, f in zip(rows, recs.film_idx.tolist(), strict=True):
            assert r["film_id"] == str(model.films.ids[f]) and r["film_id"] not in watched
            assert r["title"] == f"Film {f}"
            assert r["year"] == int(model.catalog.years[f])
            assert r["genres"] == str(model.catalog.genres[f]).split("|")
            because = r["because"]
            assert 1 <= len(because) <= 3 and len(because) == min(3, len(watched))
            assert {b["film_id"] for b in because} <= watched
            # the most similar watched films (cosine of taste vectors), best first
            sims = {str(model.films.ids[w]): float(unit[f] @ unit[w])
                    for w in model.user_films(u)}
            best = sorted(sims.values(), reverse=True)[: len(because)]
            assert [b["similarity"] for b in because] == pytest.approx(best, abs=1e-3)
            for b in because:
                assert b["similarity"] == pytest.approx(sims[b["film_id"]], abs=1e-3)
                assert 0 <= b["share"] <= 1


def test_a_watched_film_recommended_again_is_not_its_own_reason(model: Model) -> None:
    """With exclude_seen false a watched film can be recommended; it was explained by itself
    (similarity 1.0). The reasons are the other watched films, most similar first."""
    ff = np.asarray(model.film_factors, np.float64)
    unit = ff / np.linalg.norm(ff, axis=1, keepdims=True)
    for u in (0, 7, 150):
        recs = recommend_user(model, str(model.users.ids[u]), k=20, exclude_seen=False)
        watched = model.user_films(u)
        again = [(r, f) for r, f in zip(recs.rows(model), recs.film_idx.tolist(), strict=True)
                 if f in set(watched.tolist())]
        for r, f in again:
            others = [w for w in watched.tolist() if w != f]
            assert r["film_id"] not in {b["film_id"] for b in r["because"]}
            best = sorted((float(unit[f] @ unit[w]) for w in others), reverse=True)[:3]
            best = [b for b in best if b > 0]  # a film pointing away is no reason
            assert len(r["because"]) == len(best)
            assert [b["similarity"] for b in r["because"]] == pytest.approx(best, abs=1e-3)
    assert any(f in set(model.user_films(u).tolist())
               for u in (0, 7, 150) for f in recommend_user(
                   model, str(model.users.ids[u]), k=20, exclude_seen=False).film_idx.tolist())


def test_json_rows_follow_the_contract_rules_byte_for_byte(model: Model) -> None:
    """Oracle: the body written out by hand from the catalog (field order; score rounded to
    6 digits; year 0 is null; genres split on ``|``, empty ones dropped)."""
    cat = dataclasses.replace(model.catalog, years=np.where(
        np.arange(model.n_films) % 3 == 0, 0, model.catalog.years).astype(np.int32),
        genres=np.array(["" if f % 4 == 0 else "A|B" if f % 4 == 1 else "C" for f in
                         range(model.n_films)]))
    m = dataclasses.replace(model, catalog=cat, _film_labels=None)
    uid = str(m.users.ids[3])
    for films in (recommend_user(m, uid, k=12), similar_films(m, str(m.films.ids[2]), k=5)):
        rows = []
        for r, (f, s) in enumerate(zip(films.film_idx.tolist(), films.score.tolist(),
                                       strict=True)):
            year = int(cat.years[f])
            row: dict[str, Any] = {
                "film_id": str(m.films.ids[f]), "rank": r + 1, "score": round(float(s), 6),
                "title": str(cat.titles[f]), "year": year if year else None,
                "genres": [g for g in str(cat.genres[f]).split("|") if g]}
            if films.because is not None:
                row["because"] = films.because[r]
            rows.append(row)
        want = {"user_id": films.user_id, "films": rows, "note": None,
                "known_from": None if films.user_id is None else "training"}
        assert json.dumps(films.to_json(m)) == json.dumps(want)
        assert any(r["year"] is None for r in rows) and any(r["genres"] == [] for r in rows)


def test_film_units_and_labels(tie_model: Model) -> None:
    ff = np.array(tie_model.film_factors)
    ff[[2, 5]] = 0  # zero taste vectors stay zero (their norm counts as 1)
    m = dataclasses.replace(tie_model, film_factors=ff, _film_norms=None, _film_units=None,
                            _film_labels=None)
    norms = np.linalg.norm(ff, axis=1).astype(np.float32)
    assert np.array_equal(m.film_units, ff / np.where(norms > 0, norms, 1)[:, None])
    assert m.film_units.dtype == np.float32 and not m.film_units[[2, 5]].any()
    unit = np.linalg.norm(m.film_units, axis=1)
    np.testing.assert_allclose(unit[norms > 0], 1, rtol=1e-6)
    ids, titles = m.film_labels
    assert ids == [str(x) for x in m.films.ids]
    assert titles == [f"Film {i}" for i in range(m.n_films)]
    assert all(type(x) is str for x in ids + titles)


def test_best_per_row_is_the_stable_descending_sort() -> None:
    """Oracle: Python's stable sort by (-value, position); ties, +0.0 == -0.0, rows shorter
    and longer than the cut-offs between the sort and the argmax passes."""
    rng = np.random.default_rng(3)
    for h in (1, 2, 3, 7, 32, 33, 90, 600):
        for kind in ("normal", "ties", "zeros"):
            sim = rng.normal(size=(6, h)).astype(np.float32)
            if kind == "ties":
                sim = np.round(sim).astype(np.float32)
            elif kind == "zeros":
                sim[rng.random(sim.shape) < 0.6] = 0.0
                sim[rng.random(sim.shape) < 0.5] *= -1  # -0.0 among the zeros
            for n in (1, 3, 8, 9):
                want = [sorted(range(h), key=lambda j, row=row: (-row[j], j))[:n]
                        for row in sim.tolist()]
                assert _best_per_row(sim, n).tolist() == want


def test_round_in_place_equals_round() -> None:
    rng = np.random.default_rng(4)
    halves = (np.arange(-4000, 4000) / 2.0 ** np.arange(12)[:, None]).ravel()  # exact ties
    bits = rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32).view(np.float32)
    values = np.concatenate([rng.uniform(-1, 1, 20_000), halves, bits[np.isfinite(bits)],
                             [0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45]]).astype(np.float32)
    for digits in (4, 6):
        got = values.astype(np.float64)
        _round_in_place(got, digits)
        want = [round(v, digits) for v in values.tolist()]
        # compared as JSON text: -0.0 and 0.0 differ there
        assert json.dumps(got.tolist()) == json.dumps(want)


def reference_explain(m: Model, watched: NDArray[np.integer], films: NDArray[np.integer],
                      n: int) -> list[list[dict[str, Any]]]:
    """The explanation computed the plain way: normalised factors, a Python sort per film,
    Python rounding, shares divided in float32."""
    ff = np.asarray(m.film_factors)
    norms = np.linalg.norm(ff, axis=1).astype(np.float32)
    norms = np.where(norms > 0, norms, 1).astype(np.float32)
    a = (ff[films] / norms[films, None]).astype(np.float64)
    b = (ff[watched] / norms[watched, None]).astype(np.float64)
    # exact float32 products, summed in float64 without BLAS, rounded to float32
    sim = (a[:, None, :] * b[None, :, :]).sum(axis=2).astype(np.float32)
    out = []
    for film, row in zip(films.tolist(), sim, strict=True):
        # a watched film recommended again is no reason for itself
        others = [j for j in range(len(watched)) if watched[j] != film]
        total = np.float32(sum(max(row[j], np.float32(0)) for j in others))
        best = [j for j in sorted(others, key=lambda j, row=row: (-row[j], j))[:n]
                if row[j] > 0]  # a film pointing away (or with nothing fitted) is no reason
        out.append([{"film_id": str(m.films.ids[watched[j]]),
                     "title": str(m.catalog.titles[watched[j]]),
                     "similarity": round(float(row[j]), 4),
                     "share": round(float(max(row[j], np.float32(0)) / total), 4)
                     if total > 0 else 0.0} for j in best])
    return out


def test_explain_equals_reference() -> None:
    """Histories short and long (the argmax path), repeated films and zero taste vectors
    (exact ties, zero similarity, rows without positive mass), compared as JSON text."""
    m = synthetic_model(n_users=20, n_films=700, seed=6, ties=True)
    ff = np.array(m.film_factors)
    ff[:40] = 0
    m = dataclasses.replace(m, film_factors=ff)
    rng = np.random.default_rng(7)
    for h in (1, 2, 5, 40, 300):
        for _ in range(3):
            watched = rng.integers(m.n_films, size=h)
            watched[: h // 3] = watched[0]  # the same film several times
            films = np.concatenate([rng.integers(40, size=2), rng.integers(m.n_films, size=8)])
            for n in (1, 3, 9):
                got = explain(m, watched, films, n)
                assert json.dumps(got) == json.dumps(reference_explain(m, watched, films, n))
    assert explain(m, watched[:0], films) == [[]] * len(films)
    assert explain(m, watched, films[:0]) == []
    assert explain(m, watched, films, 0) == [[]] * len(films)


def test_recommend_errors(model: Model) -> None:
    with pytest.raises(UnknownUserError, match="who") as e:
        recommend_user(model, "who")
    assert e.value.ids == ["who"]
    with pytest.raises(InvalidParameterError):
        recommend_user(model, str(model.users.ids[0]), k=0)
    with pytest.raises(UnknownFilmError, match="zzz") as e2:
        recommend_from_history(model, [str(model.films.ids[0]), "zzz"])
    assert e2.value.ids == ["zzz"]
    with pytest.raises(InvalidParameterError):
        recommend_from_history(model, [])
    with pytest.raises(UnknownFilmError, match="nope"):
        similar_films(model, "nope")
    with pytest.raises(InvalidParameterError):
        similar_films(model, str(model.films.ids[0]), k=-1)


def test_fold_in_solves_the_als_half_step(model: Model) -> None:
    """The returned vector zeroes the gradient of the one-user ALS objective
    sum_i c_i (p_i - u.y_i)^2 + lambda |u|^2 (p = 1 on watched films, c = alpha there, as
    implicit trains with c = alpha x value; 1 elsewhere)."""
    watched = np.array([3, 9, 40, 41])
    alpha = model.meta["params"]["alpha"]
    lam = model.meta["params"]["regularization"]
    u = fold_in(model, watched).astype(np.float64)
    Y = np.asarray(model.film_factors, np.float64)
    p = np.zeros(model.n_films)
    p[watched] = 1.0
    c = np.ones(model.n_films)
    c[watched] = alpha
    grad = -2 * (c * (p - Y @ u)) @ Y + 2 * lam * u
    assert np.abs(grad).max() < 1e-3 * max(1.0, np.abs(Y.T @ (c * p)).max())


def test_recommend_from_history_matches_known_user_recommendations(demo: Model) -> None:
    overlaps = []
    for u in range(0, demo.n_users, 150):
        uid = str(demo.users.ids[u])
        history = demo.films.ids[demo.user_films(u)].tolist()
        known = recommend_user(demo, uid, k=10)
        new = recommend_from_history(demo, history, k=10)
        assert new.user_id is None
        assert not set(new.film_idx.tolist()) & set(demo.user_films(u).tolist())
        for row in new.rows(demo):
            assert {b["film_id"] for b in row["because"]} <= set(history)
        overlaps.append(len(set(known.film_idx.tolist()) & set(new.film_idx.tolist())) / 10)
    # measured: mean overlap 0.77-0.835 over these 20 users (minimum 0.5) across library
    # revisions; 10 random unseen films would overlap ~0.03. The fold-in weighs every watched
    # film alike while training used BM25 confidences, hence not 1.0.
    assert np.mean(overlaps) >= 0.6
    assert min(overlaps) >= 0.3


def test_similar_films_equals_brute_force(model: Model, tie_model: Model) -> None:
    for m in (model, tie_model):
        ff = np.asarray(m.film_factors, np.float64)
        norms = np.linalg.norm(ff, axis=1)
        for f in (0, 13, 29):
            cos = ff @ ff[f] / (np.where(norms > 0, norms, 1) * (norms[f] or 1))
            want = brute_order(cos, np.setdiff1d(np.arange(m.n_films), [f]))
            got = similar_films(m, str(m.films.ids[f]), k=m.n_films)
            assert f not in got.film_idx.tolist() and len(got.film_idx) == m.n_films - 1
            np.testing.assert_allclose(got.score, cos[want], atol=1e-5)
            np.testing.assert_allclose(cos[got.film_idx], cos[want], atol=1e-5)
            assert [r["film_id"] for r in got.rows(m)[:3]] == m.films.ids[got.film_idx[:3]
                                                                         ].tolist()


def test_batch_recommendations_equal_single_user(model: Model, tie_model: Model,
                                                wide_model: Model) -> None:
    for m in (model, tie_model, wide_model):
        users = np.arange(m.n_users)
        done = []
        for batch_users, films, scores, counts in batch_recommendations(m, users, k=15, batch=32):
            for r, u in enumerate(batch_users.tolist()):
                single = recommend_user(m, str(m.users.ids[u]), k=15, explain_n=0)
                assert counts[r] == len(single.film_idx)
                assert np.array_equal(films[r, : counts[r]], single.film_idx)
                assert np.array_equal(scores[r, : counts[r]], single.score)  # settled, exact
                done.append(u)
        assert done == users.tolist()


def _read(path: Any) -> dict[str, list[Any]]:
    if str(path).endswith(".parquet"):
        return pq.read_table(path).to_pydict()
    types = {"user_id": pa.string(), "film_id": pa.string(), "title": pa.string()}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types)
                          ).to_pydict()


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_write_recommendations_equals_single_user(model: Model, tmp_path: Any, ext: str) -> None:
    out = tmp_path / f"recs.{ext}"
    users = np.array([0, 3, 299, 42])
    n = write_recommendations(model, users, 6, out, batch=3, progress=False)
    got = _read(out)
    assert list(got)[:4] == ["user_id", "film_id", "rank", "score"]
    assert n == len(got["user_id"]) == 6 * len(users)
    for u in users.tolist():
        uid = str(model.users.ids[u])
        sel = [i for i, x in enumerate(got["user_id"]) if x == uid]
        single = recommend_user(model, uid, k=6, explain_n=0)
        assert [got["film_id"][i] for i in sel] == model.films.ids[single.film_idx].tolist()
        assert [got["rank"][i] for i in sel] == list(range(1, 7))
        np.testing.assert_allclose([got["score"][i] for i in sel], single.score, rtol=1e-6)
        if "title" in got:
            assert [got["title"][i] for i in sel] == [f"Film {f}" for f in single.film_idx]
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]
    if ext == "parquet":  # the file says where it came from
        import json

        import pyarrow.parquet as pq
        context = json.loads(pq.read_schema(out).metadata[b"recommender"])
        assert context["model_version"] == model.version
        assert context["parameters"] == {"kind": "recommendations", "k": 6,
                                         "exclude_seen": True, "users": 4}


def test_explain_similarities_do_not_depend_on_blas() -> None:
    """Each reason's similarity is the film pair's cosine rounded to 4 decimals from the exact
    dot product (float32 products summed in float64, rounded to float32), not from a float32
    BLAS product, whose last bits depend on the thread count and the block shape: the CLI
    (threaded BLAS) and the service (RECOMMENDER_BLAS_THREADS=1) printed 0.6173 and 0.6174
    for the same reason of MovieLens 100K's user 1."""
    m = synthetic_model(n_users=20, n_films=3000, factors=64, seed=11)
    units = np.asarray(m.film_units, np.float64)
    rng = np.random.default_rng(3)
    watched = rng.choice(m.n_films, size=400, replace=False)
    films = np.setdiff1d(np.arange(m.n_films), watched)
    got = explain(m, watched, films, 3)
    position = {int(f): j for j, f in enumerate(watched.tolist())}
    ids = {str(m.films.ids[f]): int(f) for f in watched.tolist()}
    bad = 0
    for film, reasons in zip(films.tolist(), got, strict=True):
        for r in reasons:
            w = watched[position[ids[r["film_id"]]]]
            exact = np.float32((units[film] * units[w]).sum())
            bad += r["similarity"] != round(float(exact), 4)
    assert bad == 0
