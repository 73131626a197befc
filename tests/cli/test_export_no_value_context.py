"""A Parquet export cut by ``ATTR=(no value)`` records that filter as the export's line says it,
not as the model's ``""`` (which reads as a value nobody typed, and ``region=`` is refused)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from helpers import run_cli, synthetic_model

from recommender.model import artifact


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = synthetic_model(n_users=80, n_films=6, seed=3)
    region = model.user_table.attributes["region"].astype(object)
    region[::5] = ""  # every fifth user has no region
    model.user_table.attributes["region"] = region.astype(str)
    return artifact.save(model, tmp_path_factory.mktemp("no-value") / "model")


def _said_filters(line: str) -> dict[str, list[str]]:
    """The filters the export's line names (``region=North|(no value)``), by attribute."""
    cut = re.search(r"x top \d+, (.*)\) to ", line)
    assert cut is not None, line
    return {name: value.split("|") for name, value in
            (part.split("=", 1) for part in cut.group(1).split(", ") if "=" in part)}


@pytest.mark.parametrize("filters", [["region=(no value)"], ["region=(No Value)"],
                                     ["region=(no value)", "region=north"]])
def test_parquet_context_names_the_users_without_a_value_as_the_line_does(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        filters: list[str]) -> None:
    model = artifact.load(model_dir)
    films = tmp_path / "films.txt"
    films.write_text(f"{model.films.ids[1]}\n")
    out_path = tmp_path / "a.parquet"
    args = [a for f in filters for a in ("--filter", f)]
    code, out, err = run_cli(capsys, "audiences", model_dir, "--films", films, "--k", 50,
                             *args, "--out", out_path)
    assert code == 0, err
    context = json.loads(pq.read_schema(out_path).metadata[b"recommender"])
    said = _said_filters(out)
    assert said["region"][0] == "(no value)"
    assert context["parameters"]["filters"] == said
    # and the rows are the users the filter names: those without a region among them
    rows = pq.read_table(out_path).column("user_id").to_pylist()
    region = dict(zip(model.users.ids.tolist(), model.user_table.attributes["region"].tolist(),
                      strict=True))
    assert rows and {region[u] or "(no value)" for u in rows} <= set(said["region"])
    assert np.any([region[u] == "" for u in rows])
