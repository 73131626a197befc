"""Starting Spark (``recommender.spark.session``): when pyspark or Java is missing, the error
says what to install, and the CLI exits 2 with that hint. No Spark session is needed."""

from __future__ import annotations

import json
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
    with pytest.raises(SparkUnavailableError, match=r"pip install 'film-audience-engine\[spark\]'"):
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


@pytest.mark.parametrize("master", ["nonsense", "local[0]", "local[x]", "spark:/h:1", "",
                                    "mesos://h:5050"])
def test_a_bad_master_is_refused_before_the_jvm(master: str) -> None:
    # each one started the JVM, printed its stack trace and blamed Java
    from recommender.spark.session import SparkUnavailableError, check_master

    with pytest.raises(SparkUnavailableError, match="is not a Spark master URL"):
        check_master(master)
    for good in ("local", "local[2]", "local[*]", "local[4,2]", "spark://h:7077", "yarn",
                 "k8s://https://h:443", "local-cluster[2,1,1024]", "local[2, 1]", "local[04]",
                 "local-cluster[2, 1, 1024]", "spark://h1:7077,h2:7077"):
        check_master(good)


def test_a_film_id_too_long_for_a_partition_folder_is_refused(tmp_path: Path) -> None:
    # Spark's write failed midway on it ([TASK_WRITE_FAILED]); Hive escapes '/' as %2F
    import numpy as np

    from recommender.errors import InvalidParameterError
    from recommender.spark.scoring import _partition_names_fit
    from tests.helpers import synthetic_model

    model = synthetic_model(n_users=20, n_films=3, seed=0)
    from recommender.io.ids import IdMap

    model.films = IdMap(["a" * 247, "/" * 82, "é" * 123])  # 255, 254 and 254 bytes: fit
    _partition_names_fit(model, np.arange(3))
    for too_long in ("a" * 248, "/" * 83, "é" * 124):
        model.films = IdMap([too_long, "b", "c"])
        with pytest.raises(InvalidParameterError, match="partition folder name"):
            _partition_names_fit(model, np.arange(3))


def test_a_film_id_that_reads_back_as_null_is_refused() -> None:
    # Spark wrote film_id=__HIVE_DEFAULT_PARTITION__ unescaped: read_audiences (and Spark,
    # pyarrow) read that film's rows back with a null film_id
    import numpy as np

    from recommender.errors import InvalidParameterError
    from recommender.io.ids import IdMap
    from recommender.spark.scoring import _partition_names_fit
    from tests.helpers import synthetic_model

    model = synthetic_model(n_users=20, n_films=3, seed=0)
    model.films = IdMap(["__HIVE_DEFAULT_PARTITION__", "b", "__hive_default_partition__"])
    _partition_names_fit(model, np.arange(1, 3))  # the others are written as they are
    with pytest.raises(InvalidParameterError, match="null partition value"):
        _partition_names_fit(model, np.arange(3))


@pytest.mark.spark
def test_a_session_the_caller_started_is_used_and_left_running(spark: Any) -> None:
    """``session_scope(None, ...)`` on the main thread finds the caller's active session (the
    JVM keeps it per thread: asked on the thread that starts a new one, it read as none, and
    the scope stopped the caller's context at its end). Oracle: the session still runs."""
    from recommender.spark.session import session_scope

    with session_scope(None, "local[2]") as inside:
        assert inside.sparkContext is spark.sparkContext
        assert inside.range(4).count() == 4
    assert spark.range(3).count() == 3


def test_a_failing_spark_task_is_said_in_one_line_without_java_stack_traces(
        tmp_path: Path) -> None:
    """A malformed CSV row fails a Spark task: Spark's log printed the task's Java stack trace
    (``ERROR Executor: Exception in task``, ~90 lines, once per reading attempt) before the
    command's one-line error; an unreachable master printed each retry's. The driver the CLI
    starts now logs nowhere (Spark's own configuration, when there is one, is kept)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    csv = tmp_path / "events.csv"
    csv.write_text("user_id,film_id,rating\nu1,f1,3\nu2,f1\nu3,f2,4\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET", "SPARK_CONF_DIR")}
    proc = subprocess.run(
        [sys.executable, "-m", "recommender", "train", "--engine", "spark", "--spark-master",
         "local[1]", "--data", str(csv), "--out", str(tmp_path / "model")],
        env=env, capture_output=True, text=True, timeout=300,
        cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[-1].startswith(f"error: {csv}: Spark could not parse it"), proc.stderr
    assert not [line for line in lines if line.startswith("\tat ") or " ERROR " in line
                or " WARN " in line or "log level" in line or "log4j" in line], proc.stderr
    assert not (tmp_path / "model").exists()


_SPY = """
import json, os, sys, traceback
from recommender.model.config import TrainConfig
from recommender.spark import training
seen = []
real = training._train
def spy(session, *rest):
    seen.append(session.conf.get("spark.ui.showConsoleProgress"))
    return real(session, *rest)
training._train = spy
config = TrainConfig(factors=4, iterations=1, popularity=0.0)
for case in sys.argv[2:]:
    setting, progress = case.split("-")
    os.environ["RECOMMENDER_PROGRESS"] = setting  # read when each call starts its session
    seen.clear()
    try:
        training.train_spark(sys.argv[1], config, master="local[1]", progress=progress == "on")
        print(json.dumps({"case": case, "seen": repr(seen)}), flush=True)
    except Exception:
        print(json.dumps({"case": case, "error": traceback.format_exc()[-3000:]}), flush=True)
"""

_PROGRESS_CASES = [("always", "off", "false"), ("never", "on", "true"),
                   ("sometimes", "off", "false")]


@pytest.fixture(scope="module")
def progress_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """Each case's outcome, ``{"seen": ...}`` or ``{"error": traceback}``, by
    ``"setting-progress"``: one child process trains once per case, each call starting (and
    stopping) its own session with that case's ``RECOMMENDER_PROGRESS`` set, as separate
    processes did; the JVM, whose start-up was most of each run's time, is started once."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    csv = tmp_path_factory.mktemp("progress") / "events.csv"
    csv.write_text("user_id,film_id,timestamp\n" + "".join(
        f"u{u},f{(u * 7 + j) % 9},{1000 + u * 10 + j}\n" for u in range(12) for j in range(4)))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET", "RECOMMENDER_PROGRESS")}
    proc = subprocess.run([sys.executable, "-c", _SPY, str(csv),
                           *(f"{setting}-{progress}" for setting, progress, _ in _PROGRESS_CASES)],
                          env=env, capture_output=True, text=True, timeout=840,
                          cwd=Path(__file__).resolve().parents[2])
    runs = {run["case"]: run for run in map(json.loads, proc.stdout.splitlines()
                                            if proc.stdout.startswith("{") else [])}
    for run in runs.values():
        run["stderr"] = proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stderr[-3000:]
    return runs


# the fixture's child starts the JVM and trains once per case: over the suite's 300 s on a
# loaded host (three setups timed out at a load average of 10), so its first test waits longer
@pytest.mark.timeout(900)
@pytest.mark.parametrize(("setting", "progress", "drawn"), _PROGRESS_CASES)
def test_spark_draws_its_stages_as_the_caller_s_progress_says(
        progress_runs: dict[str, dict[str, str]], setting: str, progress: str,
        drawn: str) -> None:
    """``train_spark(progress=False)`` hid its own lines but started Spark with its stage bars
    as ``RECOMMENDER_PROGRESS`` said, and a value that setting does not take stopped it though
    the caller had said. Oracle: the started session's ``spark.ui.showConsoleProgress``."""
    run = progress_runs.get(f"{setting}-{progress}")
    assert run is not None, progress_runs
    assert "error" not in run, run["error"]
    assert run["seen"] == repr([drawn]), run


def _settings_built_into_a_log(monkeypatch: pytest.MonkeyPatch,
                               mininterval: str | None) -> dict[str, Any]:
    """The settings ``get_session`` builds a new session with under
    ``RECOMMENDER_PROGRESS=always`` into a log (stderr not a terminal) and this
    ``TQDM_MININTERVAL`` (``None``: unset); the session is never started."""
    from pyspark.sql import SparkSession

    from recommender.spark import session as module

    built: list[dict[str, Any]] = []

    def record(self: Any) -> Any:
        built.append(dict(self._options))
        raise RuntimeError("not started here")

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.setattr(SparkSession.Builder, "getOrCreate", record)
    monkeypatch.setattr(module, "_start_jvm", lambda master, settings: None)
    monkeypatch.setenv("RECOMMENDER_PROGRESS", "always")
    if mininterval is None:
        monkeypatch.delenv("TQDM_MININTERVAL", raising=False)
    else:
        monkeypatch.setenv("TQDM_MININTERVAL", mininterval)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with pytest.raises(module.SparkUnavailableError):
        module.get_session("local[1]")
    return built[0]


@pytest.mark.parametrize(("mininterval", "seconds"), [("30", 30.0), ("0.5", 0.5), (None, 10.0),
                                                      ("soon", 10.0)])
def test_sparks_stage_bar_into_a_log_keeps_tqdm_s_pace(
        spark: Any, monkeypatch: pytest.MonkeyPatch, mininterval: str | None,
        seconds: float) -> None:
    """Under ``RECOMMENDER_PROGRESS=always`` into a log, Spark's stage bar redrew every 0.2 s
    (its default), whatever ``TQDM_MININTERVAL`` thinned tqdm's bars to. Now its interval is
    that setting, or tqdm's default ``maxinterval`` (10 s) into a log. Oracle: the settings a
    new session is built with, read by Spark's own time parser."""
    built = _settings_built_into_a_log(monkeypatch, mininterval)
    interval = built["spark.ui.consoleProgress.update.interval"]
    parse = spark.sparkContext._jvm.org.apache.spark.network.util.JavaUtils.timeStringAsMs
    assert parse(interval) == seconds * 1000
    assert built["spark.ui.showConsoleProgress"] == "true"


@pytest.mark.parametrize("mininterval", ["0", "0.05"])
def test_sparks_stage_bar_is_never_faster_than_its_own_pace(
        spark: Any, monkeypatch: pytest.MonkeyPatch, mininterval: str) -> None:
    """``TQDM_MININTERVAL=0`` (tqdm's every update) set Spark's interval to 1 ms: its timer
    asked the status store for the active stages a thousand times a second, where it asks
    five by default. Thinned, never thickened. Oracle: Spark's own default, read from its
    config entry, and its time parser."""
    built = _settings_built_into_a_log(monkeypatch, mininterval)
    jvm = spark.sparkContext._jvm
    own = jvm.org.apache.spark.internal.config.UI.UI_CONSOLE_PROGRESS_UPDATE_INTERVAL()
    parse = jvm.org.apache.spark.network.util.JavaUtils.timeStringAsMs
    interval = built.get("spark.ui.consoleProgress.update.interval", "")
    assert parse(interval) == own.defaultValue().get() > float(mininterval) * 1000


def test_sparks_stage_bar_on_a_terminal_keeps_its_pace(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal without ``TQDM_MININTERVAL``, and with progress hidden, Spark's own pace
    stands (no interval is set)."""
    from recommender.io.progress import update_interval_s

    monkeypatch.delenv("TQDM_MININTERVAL", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert update_interval_s() is None
