"""Starting Spark (``recommender.spark.session``): when pyspark or Java is missing, the error
says what to install, and the CLI exits 2 with that hint. No Spark session is needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recommender.model import artifact
from recommender.model.config import TrainConfig
from tests.service_fixtures import build_interactions

pytestmark = pytest.mark.spark


def test_missing_java_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    from recommender.spark.session import SparkUnavailableError, check_java

    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SparkUnavailableError, match="default-jre-headless") as e:
        check_java()
    assert "JAVA_HOME" in str(e.value)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-jdk"))
    with pytest.raises(SparkUnavailableError, match=r"no-jdk has no bin/java"):
        check_java()
    fake = tmp_path / "jdk" / "bin"
    fake.mkdir(parents=True)
    (fake / "java").write_text("#!/bin/sh\n")
    (fake / "java").chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk"))
    assert check_java() == str(fake / "java")


def test_cli_without_java_exits_2_with_the_install_hint(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    csv = tmp_path / "events.csv"
    csv.write_text("user_id,film_id\nu1,f1\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("JAVA_HOME", "PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET")}
    env["PATH"] = str(tmp_path)  # no java anywhere
    proc = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "train", "--engine", "spark", "--data",
         str(csv), "--out", str(tmp_path / "model")],
        env=env, capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and "default-jre-headless" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "model").exists()


def test_missing_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    from recommender.spark.scoring import batch_audiences_spark
    from recommender.spark.session import SparkUnavailableError
    from recommender.spark.training import train_spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # makes `import pyspark` fail
    with pytest.raises(SparkUnavailableError, match=r"pip install '\.\[spark\]'"):
        train_spark(str(tmp_path / "x.csv"), TrainConfig())
    model_dir = tmp_path / "m"
    artifact.save(_tiny_model(), model_dir)
    with pytest.raises(SparkUnavailableError, match="pyspark"):
        batch_audiences_spark(model_dir, 5, tmp_path / "a.parquet")


def _tiny_model() -> Any:
    from recommender.model.training import train

    inter = build_interactions(n_users=20, n_films=8, per_user=4)
    return train(inter, TrainConfig(factors=2, iterations=1, segments=2, holdout=0),
                 progress=False)
