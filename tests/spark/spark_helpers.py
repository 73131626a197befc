"""What the Spark tests share besides fixtures: the small training config and the CSV files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from recommender.io.dataset import Interactions
from recommender.model.config import TrainConfig
from tests.service_fixtures import N_GROUPS

#: the JVM options of the Spark tests (``SPARK_SUBMIT_OPTS``, which spark-submit and pyspark's
#: launcher pass to the driver's JVM): the quick JIT tier only, for small jobs from a cold start
JIT_QUICK = "-XX:TieredStopAtLevel=1"
SMALL = TrainConfig(factors=8, iterations=4, segments=N_GROUPS, holdout=0.2, seed=3)


def write_csvs(inter: Interactions, folder: Path) -> tuple[Path, Path, Path]:
    """The interactions, catalog and user attributes as the CSV files users would have."""
    folder.mkdir(parents=True, exist_ok=True)
    events = pa.table({
        "userId": inter.users.ids[inter.user_idx],
        "movieId": inter.films.ids[inter.film_idx],  # MovieLens spelling is accepted too
        "weight": inter.weight.astype(np.float64),
    })
    pacsv.write_csv(events, folder / "interactions.csv")
    assert inter.catalog is not None and inter.user_table is not None
    cat = inter.catalog
    pacsv.write_csv(pa.table({"film_id": cat.film_ids, "title": cat.titles, "year": cat.years,
                              "genres": cat.genres}), folder / "films.csv")
    ut = inter.user_table
    pacsv.write_csv(pa.table({"user_id": ut.user_ids, **ut.attributes}), folder / "users.csv")
    return folder / "interactions.csv", folder / "films.csv", folder / "users.csv"

