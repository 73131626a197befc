"""A recommendation's reasons cite only the films its viewer's taste was fitted on: a model
trained with ``--min-rating`` keeps the films rated below it seen (never recommended) but never
gives one as the reason for a recommendation (it cited a film the viewer disliked). The model
folder records the pairs left out of the fit (``recommender.model.fitted``); a folder saved
before the record gives no reasons when it cannot tell.

Oracles: the planted ratings (every low-rated pair is known) and a numpy brute force of the
reasons (cosines of unit film vectors against the liked films alone, best first, ties to the
lower film index, each one's share of the positive cosines), on the library, the batched path,
HTTP, the CLI's ``--json`` and the live overlay's users.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli

from recommender.errors import ArtifactError
from recommender.io.dataset import Interactions
from recommender.model import artifact, fitted
from recommender.model.config import TrainConfig
from recommender.model.model import Model
from recommender.model.training import train
from recommender.query.recommend import recommend_many, recommend_user
from recommender.serving.overlay import Overlay
from service.app import create_app
from service.settings import Settings
from tests.service_fixtures import build_interactions

CONFIG = TrainConfig(factors=6, iterations=4, segments=2, holdout=0.0, tune=False, seed=2,
                     min_rating=3.0)


def rated() -> tuple[Interactions, set[tuple[str, str]]]:
    """The planted log with a rating per interaction, 1 for a seeded half, 5 otherwise; and
    the (user id, film id) pairs rated 1."""
    base = build_interactions(n_users=60, n_films=40, per_user=12, seed=5)
    low = np.random.default_rng(5).random(len(base)) < 1 / 2
    users, films = base.users.ids[base.user_idx], base.films.ids[base.film_idx]
    data = Interactions.from_columns(pa.array(users), pa.array(films),
                                     rating=np.where(low, 1.0, 5.0), catalog=base.catalog,
                                     source="rated")
    return data, set(zip(users[low].tolist(), films[low].tolist(), strict=True))


@pytest.fixture(scope="module")
def planted() -> tuple[Model, set[tuple[str, str]]]:
    data, low = rated()
    return train(data, CONFIG, progress=False), low


def oracle(model: Model, liked: list[int], films: np.ndarray, n: int = 3
           ) -> list[list[tuple[str, float, float]]]:
    """The reasons of each film from the liked films alone, brute force."""
    ff = np.asarray(model.film_factors, np.float32)
    units = ff / np.where((nr := np.linalg.norm(ff, axis=1)) > 0, nr, 1)[:, None]
    w = np.asarray(sorted(liked), np.int64)
    out = []
    for f in films.tolist():
        sim = (units[[f]].astype(np.float64) @ units[w].astype(np.float64).T)[0]
        keep = w != f
        ws, s = w[keep], sim[keep].astype(np.float32)
        total = np.float32(np.maximum(s, 0).sum())
        order = np.lexsort((ws, -s))[:n]
        out.append([(str(model.films.ids[ws[i]]), round(float(s[i]), 4),
                     round(float(np.float32(max(s[i], 0)) / total), 4))
                    for i in order if s[i] > 0])  # a film pointing away is no reason
    return out


def liked_of(model: Model, low: set[tuple[str, str]], u: int) -> list[int]:
    uid = str(model.users.ids[u])
    return [int(f) for f in model.user_films(u) if (uid, str(model.films.ids[f])) not in low]


def as_tuples(because: Any) -> list[list[tuple[str, float, float]]]:
    return [[(b["film_id"], b["similarity"], b["share"]) for b in row] for row in because]


def test_reasons_never_cite_a_film_rated_below_min_rating(planted: Any) -> None:
    model, low = planted
    cited = 0
    many = recommend_many(model, [(u, 8, True) for u in range(model.n_users)])
    for u in range(model.n_users):
        uid = str(model.users.ids[u])
        one = recommend_user(model, uid, k=8)
        assert as_tuples(one.because) == as_tuples(many[u].because)
        if one.note:
            continue
        for row in one.because or []:
            for b in row:
                assert (uid, b["film_id"]) not in low, (uid, b)
                cited += 1
        assert as_tuples(one.because) == oracle(model, liked_of(model, low, u), one.film_idx)
    assert cited > 100
    # watched films included: a disliked film may come back as a recommendation, no reason
    u = 3
    both = recommend_user(model, str(model.users.ids[u]), k=model.n_films, exclude_seen=False)
    assert as_tuples(both.because) == oracle(model, liked_of(model, low, u), both.film_idx)


def test_the_folder_keeps_the_record_and_http_equals_the_cli(
        planted: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, low = planted
    folder = artifact.save(model, tmp_path / "m")
    back = artifact.load(folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta[fitted.KEY] == len(low) == back.unfitted.nnz and meta["format_version"] == 3
    uid = str(model.users.ids[7])
    with TestClient(create_app(Settings(model_path=str(folder), warm_cache=False))) as client:
        body = client.get(f"/users/{uid}/recommendations", params={"k": 6}).json()
    code, out, err = run_cli(capsys, "recommend", folder, "--user", uid, "--k", 6, "--json")
    assert code == 0, err
    assert json.loads(out) == body
    cited = [(uid, b["film_id"]) for f in body["films"] for b in f["because"]]
    assert cited and not set(cited) & low
    # a record that does not match the model is refused, naming the file
    meta[fitted.KEY] += 1
    meta.pop("meta_sha256", None)  # edited: as written before its seal
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ArtifactError, match="unfitted_indptr"):
        artifact.load(folder)


def test_a_folder_saved_before_the_record(planted: Any, tmp_path: Path) -> None:
    """Where --min-rating left ratings out (``interactions_fitted``), it cannot tell a
    disliked film: no reasons rather than wrong ones; where it left none out (or was not
    given), every watched film was fitted: reasons as before."""
    model, _ = planted
    folder = Path(artifact.save(model, tmp_path / "m"))
    old = _strip_record(folder, format_version=1)
    assert old.unfitted is None
    uid = str(model.users.ids[2])
    films = recommend_user(old, uid, k=5)
    assert films.note == fitted.UNEXPLAINED and films.because == [[] for _ in range(5)]
    assert recommend_user(old, uid, k=5, explain_n=0).note is None  # no reasons asked for
    data = {k: v for k, v in old.meta["data"].items() if k != "interactions_fitted"}
    plain = replace(old, meta={**old.meta, "data": data})
    films = recommend_user(plain, uid, k=5)
    assert films.note is None
    assert as_tuples(films.because) == oracle(plain, plain.user_films(2).tolist(),
                                              films.film_idx)
    shutil.rmtree(folder)


def test_a_format_2_folder_with_min_rating_says_why_it_gives_no_reasons(
        planted: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An old model trained with --min-rating (format 2, before the record) answered every
    film with ``"because": []`` and ``"note": null``, and ``info`` said nothing: the answer
    (library, batched, HTTP, CLI) and ``info`` now say why, and to retrain."""
    model, _ = planted
    folder = Path(artifact.save(model, tmp_path / "m"))
    old = _strip_record(folder, format_version=2)
    assert old.meta["format_version"] == 2 and "interactions_fitted" in old.meta["data"]
    uid = str(old.users.ids[2])
    batched = recommend_many(old, [(2, 4, True), (3, 4, True)])
    assert [b.note for b in batched] == [fitted.UNEXPLAINED] * 2
    assert all(b.because == [[] for _ in range(4)] for b in batched)
    settings = Settings(model_path=str(folder), warm_cache=False, events_poll=0)
    with TestClient(create_app(settings)) as client:
        body = client.get(f"/users/{uid}/recommendations", params={"k": 4}).json()
    assert body["note"] == fitted.UNEXPLAINED and "retrain" in body["note"]
    assert [f["because"] for f in body["films"]] == [[]] * 4
    code, out, err = run_cli(capsys, "recommend", folder, "--user", uid, "--k", 4, "--json",
                             "--store", "none")
    assert code == 0, err
    assert json.loads(out)["note"] == fitted.UNEXPLAINED
    code, out, err = run_cli(capsys, "info", folder, "--store", "none")
    assert code == 0, err
    assert [x for x in out.splitlines() if x.startswith("reasons:")] == [
        f"reasons: {fitted.UNEXPLAINED} (users new to the live overlay still get them)"]
    # a model that records its fitted pairs says no such line
    code, out, err = run_cli(capsys, "info", Path(artifact.save(model, tmp_path / "n")),
                             "--store", "none")
    assert code == 0 and "reasons:" not in out, err


def test_the_overlay_keeps_the_record_and_explains_new_users(planted: Any) -> None:
    model, low = planted
    overlay = Overlay(model)
    u = 4
    uid = str(model.users.ids[u])
    disliked = [f for (v, f) in low if v == uid]
    unwatched = [str(model.films.ids[f]) for f in range(model.n_films)
                 if f not in set(model.user_films(u).tolist())]
    new_films = unwatched[:3]
    # a known user watches a new film and (again) one they rated low; a user new to the model
    users = [uid, uid, "newcomer", "newcomer", "newcomer"]
    films = [unwatched[5], disliked[0], *new_films]
    overlay.apply(np.array(users), np.array(films), np.ones(5), seq=1)
    derived = overlay.model()
    liked = [f for f in liked_of(model, low, u)] + [derived.film_index(unwatched[5])]
    mine = recommend_user(derived, uid, k=6)
    assert as_tuples(mine.because) == oracle(derived, liked, mine.film_idx)
    assert not {b["film_id"] for row in mine.because for b in row} & set(disliked)
    new = recommend_user(derived, "newcomer", k=6)
    assert new.note is None
    assert as_tuples(new.because) == oracle(
        derived, [derived.film_index(f) for f in new_films], new.film_idx)


def test_a_folder_saved_before_the_record_explains_a_user_new_to_the_overlay(
        planted: Any, tmp_path: Path) -> None:
    """It cannot tell its trained users' disliked films, but a user new to the live overlay
    was fitted on their events alone: their reasons are those of the same watch list (they
    had none)."""
    model, _ = planted
    old = _strip_record(Path(artifact.save(model, tmp_path / "m")))
    overlay = Overlay(old)
    films = [str(old.films.ids[f]) for f in (1, 5, 9)]
    overlay.apply(np.array(["newcomer"] * 3), np.array(films), np.ones(3), seq=1)
    derived = overlay.model()
    trained = recommend_user(derived, str(old.users.ids[2]), k=4)
    assert trained.because == [[] for _ in range(4)]  # cannot tell: none rather than wrong
    new = recommend_user(derived, "newcomer", k=4)
    assert new.note is None
    assert as_tuples(new.because) == oracle(derived, [1, 5, 9], new.film_idx)
    assert any(new.because)


def _strip_record(folder: Path, *keys: str, format_version: int | None = None) -> Model:
    """The folder as saved before the record (and before ``keys`` of meta.json; of
    ``format_version`` if given), loaded."""
    version = artifact.layout.resolve(folder)
    meta = json.loads((version / "meta.json").read_text(encoding="utf-8"))
    for name in fitted.FILES:
        if name in meta["files"]:
            (version / name).unlink()
            del meta["files"][name]
    for key in (fitted.KEY, *keys):
        del meta[key]
    if format_version is not None:
        meta["format_version"] = format_version
    meta.pop("meta_sha256", None)  # edited: as written before its seal
    (version / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return artifact.load(folder)


def test_a_folder_saved_before_refit_was_recorded_with_warm_iterations_0(
        tmp_path: Path) -> None:
    """Before meta.json's ``refit`` (Dec 2026), ``warm_iterations`` 0 made the calibration fit
    the model as it does now: the holdout was never fitted, and such a folder cannot tell it
    apart (its reasons cited held-out films)."""
    data, _ = rated()
    config = replace(CONFIG, min_rating=None, holdout=0.3, warm_iterations=0)
    model = train(data, config, progress=False)
    assert model.unfitted is not None and model.unfitted.nnz  # the holdout, not fitted
    old = _strip_record(artifact.save(model, tmp_path / "m"), "refit")
    lists = recommend_many(old, [(u, 5, True) for u in range(old.n_users)])
    assert all(not any(films.because or []) for films in lists)
    # warm_iterations 1: the refit had every interaction, reasons as before
    warm = train(data, replace(config, warm_iterations=1), progress=False)
    old = _strip_record(artifact.save(warm, tmp_path / "w"), "refit")
    assert any(recommend_user(old, str(old.users.ids[2]), k=5).because)


def test_explaining_films_are_the_watched_films_less_the_record(planted: Any) -> None:
    """Per user, brute force from the planted ratings (a search on sorted rows, not np.isin);
    a record row whose films are not all watched (never written) is still read right."""
    model, low = planted
    for u in range(model.n_users):
        assert fitted.explaining_films(model, u).tolist() == liked_of(model, low, u)
    u = int(np.flatnonzero(np.diff(model.unfitted.indptr))[0])
    extra = [f for f in range(model.n_films) if f not in set(model.user_films(u).tolist())]
    # a film the user never watched, added to the record (lil: no sparsity-structure warning)
    lil = model.unfitted.tolil()
    lil[u, extra[-1]] = 1.0
    left = lil.tocsr()
    left.sort_indices()
    odd = replace(model, unfitted=left)
    assert fitted.explaining_films(odd, u).tolist() == liked_of(model, low, u)
