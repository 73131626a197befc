"""The Spark export's ``_recommender.json`` lists its films in the order asked, as the local
Parquet export's context (its schema metadata) lists them: ``films_asked.ids``,
``films_without_rows`` and ``nothing_fitted_films`` came in the model's film order
(``np.unique`` of the films asked). Spark itself is not needed to see the context written.

Oracles: the local export's context of the same films file, and the lists made by hand from
the file's order and the films made watched by every user, or made of zero factors."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from helpers import synthetic_model

from recommender.cli import main
from recommender.model import artifact
from recommender.model.model import Model

WATCHED_BY_ALL = (9, 2)  # no row: every user watched them
NOTHING_FITTED = (7, 4)  # zero factors
ASKED = (9, 0, 7, 11, 4, 2)  # not the model's order


def _model() -> Model:
    model = synthetic_model(n_users=30, n_films=12, seed=3)
    dense = np.asarray(model.seen.toarray() > 0)
    dense[:, list(WATCHED_BY_ALL)] = True
    seen = sp.csr_matrix(dense.astype(np.float32))
    seen.sort_indices()
    model.seen, model.seen_by_film = seen, seen.T.tocsr()
    model.film_factors[list(NOTHING_FITTED)] = 0.0
    return model


def _ids(model: Model, idx: tuple[int, ...]) -> list[str]:
    return [str(model.films.ids[i]) for i in idx]


@pytest.fixture()
def spark_context(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The contexts the Spark export would write (its scoring left out)."""
    from recommender.spark import scoring

    said: list[dict[str, Any]] = []
    monkeypatch.setattr(scoring, "session_scope", lambda *a: nullcontext(None))
    monkeypatch.setattr(scoring, "_batch", lambda *a: said.append(a[-1]) or 0)
    return said


def test_the_spark_context_lists_films_in_the_order_asked(
        tmp_path: Path, spark_context: list[dict[str, Any]]) -> None:
    model = _model()
    folder = artifact.save(model, tmp_path / "model")
    films = tmp_path / "films.txt"
    films.write_text("".join(f"{f}\n" for f in _ids(model, ASKED)), encoding="utf-8")
    assert main(["audiences", str(folder), "--films", str(films), "--k", "3", "--out",
                 str(tmp_path / "local.parquet")]) == 0
    assert main(["audiences", str(folder), "--films", str(films), "--k", "3", "--out",
                 str(tmp_path / "spark.parquet"), "--engine", "spark"]) == 0
    local = json.loads(pq.read_schema(tmp_path / "local.parquet").metadata[b"recommender"])
    got = spark_context[0]
    for key in ("films_asked", "films_without_rows", "nothing_fitted_films"):
        assert got[key] == local[key], key
    # by hand: the file's order
    assert got["films_asked"] == {"count": len(ASKED), "ids": _ids(model, ASKED)}
    assert [f["film_id"] for f in got["films_without_rows"]["films"]] == \
        _ids(model, WATCHED_BY_ALL)
    assert got["nothing_fitted_films"] == {"count": 2, "ids": _ids(model, NOTHING_FITTED)}


def test_a_films_file_given_to_the_api_keeps_its_order(
        tmp_path: Path, spark_context: list[dict[str, Any]]) -> None:
    from recommender.spark.scoring import batch_audiences_spark

    model = _model()
    films = tmp_path / "films.txt"
    asked = (*ASKED, 0)  # a repeat is dropped where it comes again
    films.write_text("".join(f"{f}\n" for f in _ids(model, asked)), encoding="utf-8")
    batch_audiences_spark(model, 3, tmp_path / "a.parquet", films_file=films, progress=False)
    batch_audiences_spark(model, 3, tmp_path / "b.parquet", films=_ids(model, asked),
                          progress=False)
    for got in spark_context:
        assert got["films_asked"]["ids"] == _ids(model, ASKED)
        assert got["nothing_fitted_films"]["ids"] == _ids(model, NOTHING_FITTED)
