"""A Parquet audience or recommendation export says what its numbers are (``units`` in its
context), as a plan's and a slate allocation's do: the rows' rank, score, percentile, tier
and segment came with nothing saying that the percentile runs to 100, not 1, or that a score
has no unit, and a reader of the file alone could not tell the tiers' shares.

Oracles: the file's own schema (every numeric column, and the tier column, has its entry),
the tier shares of ``DEFAULT_TIERS`` and the tiers the rows carry at their percentiles.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import synthetic_model

from recommender.model.config import DEFAULT_TIERS
from recommender.model.model import Model
from recommender.query.export import write_audiences, write_recommendations


@pytest.fixture(scope="module")
def model() -> Model:
    return synthetic_model(n_users=300, n_films=8, seed=5)


def context_of(path: Path) -> dict[str, object]:
    return dict(json.loads(pq.read_schema(path).metadata[b"recommender"]))


def described(schema: pa.Schema) -> set[str]:
    return {f.name for f in schema if pa.types.is_integer(f.type)
            or pa.types.is_floating(f.type) or f.name == "tier"}


@pytest.mark.parametrize("cut", [{}, {"tier": "extended"}])
def test_an_audience_export_says_what_its_numbers_are(model: Model, tmp_path: Path,
                                                      cut: dict[str, str]) -> None:
    out = tmp_path / "a.parquet"
    write_audiences(model, np.arange(3), 200, out, progress=False, **cut)
    units = context_of(out)["units"]
    assert isinstance(units, dict)
    assert set(units) == described(pq.read_schema(out)) == {
        "rank", "score", "percentile", "tier", "segment"}
    assert all(isinstance(v, str) and v for v in units.values())
    for name, share in DEFAULT_TIERS:
        assert f"{name} (the {'first' if name == 'core' else 'next'} {share:g}%" in units["tier"]
    rows = pq.read_table(out).to_pandas()
    assert rows.percentile.max() <= 100 and "100" in units["percentile"]


def test_a_recommendation_export_says_what_its_numbers_are(model: Model,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    write_recommendations(model, np.arange(5), 3, out, progress=False)
    units = context_of(out)["units"]
    assert isinstance(units, dict)
    assert set(units) == described(pq.read_schema(out)) == {"rank", "score"}
