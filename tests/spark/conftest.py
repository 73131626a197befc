"""Fixtures of the Spark tests: one small ``local[2]`` SparkSession (512 MB driver) shared by
every test, planted interactions as CSV files, and a model trained from them by Spark."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from spark_helpers import JIT_QUICK, SMALL, write_csvs

from recommender.io.dataset import Interactions
from recommender.model import artifact
from tests.service_fixtures import build_interactions

# Every JVM these tests start (the shared session's, each child command's, spark-submit's) runs
# small jobs from a cold start, where the JIT's optimising compiler only competes for the two
# cores: C1 alone ran a first training 1.5x and later ones 2x as fast (measured, 12-14 s vs
# 19 s cold). It changes no result; a user's own SPARK_SUBMIT_OPTS is kept.
os.environ.setdefault("SPARK_SUBMIT_OPTS", JIT_QUICK)


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    from recommender.spark.session import get_session

    session, created = get_session("local[2]", {
        "spark.driver.memory": "512m",
        "spark.sql.shuffle.partitions": "4",
        "spark.default.parallelism": "2",
        "spark.ui.enabled": "false",
    })
    yield session
    if created:
        session.stop()


@pytest.fixture(scope="session")
def planted() -> Interactions:
    return build_interactions(n_users=240, n_films=60, per_user=12, seed=1)


@pytest.fixture(scope="session")
def csv_files(planted: Interactions, tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[Path, Path, Path]:
    return write_csvs(planted, tmp_path_factory.mktemp("csv"))


@pytest.fixture(scope="session")
def spark_model_dir(spark: Any, csv_files: tuple[Path, Path, Path],
                    tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained by Spark from a CSV file read by Spark (catalog and users from CSV)."""
    from recommender.spark.training import train_spark

    inter_csv, films_csv, users_csv = csv_files
    model = train_spark(str(inter_csv), SMALL, films=str(films_csv), users=str(users_csv),
                        spark=spark, progress=False)
    return artifact.save(model, tmp_path_factory.mktemp("models") / "spark-model")
