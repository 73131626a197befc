"""The quality report records each dataset by its name relative to the datasets folder
(``ml-100k``, ``ml-100k (sparse5)``), not by the path it was read from on one machine; the
stored results were rewritten that way by ``--normalise-paths``, which touches nothing else.

Oracles: the folder and name a dataset was read from; the committed results, their names put
back under a path, then normalised again (every other value compared as loaded)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from helpers import load_benchmark

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
STORED = ("quality", "quality_unseen", "quality_unseen_before")


def test_a_dataset_read_from_a_folder_is_named_as_in_it(tmp_path: Path) -> None:
    q = load_benchmark("quality")
    folder = tmp_path / "some" / "datasets"
    folder.mkdir(parents=True)
    (folder / "tiny.csv").write_text("user_id,film_id\nu1,f1\nu2,f1\nu2,f2\n")
    data = q.load_named(folder, "tiny.csv")
    assert data.source == "tiny.csv" and len(data) == 3
    assert q.variant(data, "sparse5", 0).source == "tiny.csv (sparse5)"


@pytest.mark.parametrize("name", STORED)
def test_stored_results_name_their_datasets_and_normalise_changes_only_those(
        name: str) -> None:
    q = load_benchmark("quality")
    stored = json.loads((RESULTS / f"{name}.json").read_text(encoding="utf-8"))
    reps = [r for per in stored["reports"].values() for r in per.values() if "dataset" in r]
    assert reps and all(not r["dataset"].startswith("/") for r in reps)
    assert {r["dataset"] for r in reps} == {
        r["base_dataset"] + ("" if r["variant"] == "full" else f" ({r['variant']})")
        for r in reps}
    assert q.normalise_paths(copy.deepcopy(stored)) == 0  # already names: nothing to rewrite
    as_paths = copy.deepcopy(stored)
    for per in as_paths["reports"].values():
        for r in per.values():
            if "dataset" in r:
                r["dataset"] = "/somewhere/datasets/" + r["dataset"]
    assert as_paths != stored
    assert q.normalise_paths(as_paths) == len(reps)
    assert as_paths == stored


def test_a_path_that_is_not_its_reports_dataset_is_refused_and_nothing_rewritten() -> None:
    q = load_benchmark("quality")
    result = {"reports": {"ml-100k": {
        "random": {"dataset": "/d/ml-100k", "base_dataset": "ml-100k", "variant": "full"},
        "time": {"dataset": "/d/other", "base_dataset": "ml-100k", "variant": "full"}}}}
    before = copy.deepcopy(result)
    with pytest.raises(SystemExit, match=r"'/d/other' does not end in its dataset's name"):
        q.normalise_paths(result)
    assert result == before
