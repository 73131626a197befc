"""``--spark-master`` under ``spark-submit`` (README "On a cluster"): the master is
``spark-submit``'s, and a ``--spark-master`` given to the command is said to be unused on
stderr (it was dropped without a word: a run meant for ``yarn`` went to ``local``, or back).

Oracle: the master the model's ``meta.json`` records (``engine.master``, Spark's own) and the
command's output, from a real ``spark-submit`` of README's ``"$CLI"``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]  # this checkout: its CLI file, as README's "$CLI"


def test_a_spark_master_spark_submit_overrides_is_said_unused(tmp_path: Path) -> None:
    submit = Path(sys.executable).parent / "spark-submit"
    if not submit.is_file():
        pytest.skip("no spark-submit beside this interpreter")
    data = tmp_path / "log.csv"
    data.write_text("user_id,film_id\n" + "".join(
        f"u{u},f{(u * 7 + k) % 12}\n" for u in range(30) for k in range(4)))
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable,
           "PYSPARK_DRIVER_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1",
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        # a small job's settings, as a user submitting one would pass them: spark-submit's
        # session keeps Spark's defaults (200 shuffle partitions: every join and MLlib stage
        # ran 200 tasks on one core; the web UI started), the note and master are the same
        [str(submit), "--master", "local[1]", "--conf", "spark.sql.shuffle.partitions=2",
         "--conf", "spark.ui.enabled=false",
         str(ROOT / "recommender" / "cli" / "__init__.py"),
         "train", "--engine",
         "spark", "--spark-master", "local[2]", "--data", str(data), "--out",
         str(tmp_path / "m"), "--no-tune", "--factors", "4", "--iterations", "2",
         "--holdout", "0", "--segments", "2"],
        capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["engine"]["master"] == "local[1]"
    assert ("note: --spark-master local[2] is not used under spark-submit: this runs on "
            "spark-submit's master (local[1])") in done.stdout  # spark-submit's PythonRunner
    # merges the driver's stderr into its stdout
