"""The JVM a Spark run starts: the lines it prints on every start (the JDK's incubator-module
warning, netlib's failed ``dlopen`` of the system BLAS and LAPACK) do not reach stderr, while
anything else it says (why it could not start) does, before the command's one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from recommender.spark.jvm import NoiseFilter

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
INCUBATOR = "WARNING: Using incubator modules: jdk.incubator.vector"
BLAS = ("netlib-blas: JNI_OnLoad: dlopen(libblas.so.3) failed: libblas.so.3: cannot open "
        "shared object file: No such file or directory")
LAPACK = "netlib-lapack: JNI_OnLoad: dlopen(liblapack.so.3) failed: liblapack.so.3: oops"


def _filtered(stream: bytes, piece: int) -> bytes:
    noise = NoiseFilter()
    return b"".join(noise.feed(stream[i:i + piece])
                    for i in range(0, len(stream), piece)) + noise.flush()


@pytest.mark.parametrize("piece", [1, 7, 10_000])
def test_only_the_start_up_lines_are_dropped(piece: int) -> None:
    said = (f"{INCUBATOR}\nError: Could not create the Java Virtual Machine.\n"
            f"\r[Stage 0:>   (0 + 1) / 1]\r      \r{BLAS}\n{LAPACK}\n"
            f"{INCUBATOR}, jdk.incubator.foreign\n  netlib-blas: quoted\n"
            "netlib-blas: JNI_OnLoad: dlopen(libblas.so.3) failed: no end").encode()
    assert _filtered(said, piece).decode() == (
        "Error: Could not create the Java Virtual Machine.\n"
        "\r[Stage 0:>   (0 + 1) / 1]\r      \r"
        f"{INCUBATOR}, jdk.incubator.foreign\n  netlib-blas: quoted\n"
        "netlib-blas: JNI_OnLoad: dlopen(libblas.so.3) failed: no end")
    # a progress bar is passed on as it comes, not when its line ends
    noise = NoiseFilter()
    assert noise.feed(b"\r[Stage 1:=>  (1 + 1) / 4]") == b"\r[Stage 1:=>  (1 + 1) / 4]"
    assert noise.feed(b"\rnetlib-") == b"\r"  # a line's start that may be noise waits
    assert noise.feed(b"x\n") == b"netlib-x\n"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYSPARK_GATEWAY_PORT", "PYSPARK_GATEWAY_SECRET", "SPARK_CONF_DIR")}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def test_a_spark_run_prints_its_progress_and_none_of_the_jvm_start_up_lines(
        tmp_path: Path) -> None:
    """Every ``--engine spark`` run printed the three lines before its own (from the JVM
    itself, not its log)."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    csv = tmp_path / "events.csv"
    csv.write_text("user_id,film_id\n" + "".join(
        f"u{u},f{(u * 7 + k) % 12}\n" for u in range(30) for k in range(4)))
    code = ("import sys; from recommender.model.config import TrainConfig; "
            "from recommender.spark.training import train_spark; "
            "m = train_spark(sys.argv[1], TrainConfig(factors=2, iterations=1, segments=2, "
            "holdout=0), master='local[1]', progress=True); print(len(m.films))")
    proc = subprocess.run([sys.executable, "-c", code, str(csv)], env=_env(),
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "12"
    assert "fitting MLlib ALS (2 factors, 1 iterations)" in proc.stderr, proc.stderr
    assert "reading" in proc.stderr.splitlines()[0], proc.stderr  # the engine's own first
    assert "incubator" not in proc.stderr and "netlib" not in proc.stderr, proc.stderr
    assert "JNI_OnLoad" not in proc.stderr, proc.stderr


def _train(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    csv = tmp_path / "events.csv"
    csv.write_text("user_id,film_id\nu1,f1\n")
    return subprocess.run(
        [sys.executable, "-m", "recommender", "train", "--engine", "spark", "--spark-master",
         "local[1]", "--data", str(csv), "--out", str(tmp_path / "model")],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)


def test_a_java_that_fails_still_says_why_before_the_error(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\necho 'this java cannot run here' >&2\nexit 3\n")
    java.chmod(0o755)
    proc = _train(tmp_path, _env(JAVA_HOME=str(tmp_path / "jdk")))
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert "this java cannot run here" in lines, proc.stderr
    assert lines[-1].startswith("error: could not start Spark on local[1]"), proc.stderr
    assert not (tmp_path / "model").exists()


def test_a_bad_driver_option_still_says_why(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text("spark.driver.memory 12q\n")
    proc = _train(tmp_path, {**_env(), "SPARK_CONF_DIR": str(conf)})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert any("12q" in line for line in lines[:-1]), proc.stderr  # the JVM's own words
    assert lines[-1].startswith("error: could not start Spark on local[1]"), proc.stderr
    assert INCUBATOR not in lines, proc.stderr


def test_what_the_jvm_says_while_it_runs_still_shows_when_it_dies(tmp_path: Path) -> None:
    """Its stderr comes through this process now: what a JVM that ended under it said (a
    crash) is passed on before this process exits."""
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
    code = ("import contextlib; from recommender.spark.session import get_session; "
            "spark, _ = get_session('local[1]', {'spark.driver.memory': '512m'}); "
            "jvm = spark.sparkContext._jvm; jvm.java.lang.System.err.println('JVM: going'); "
            "print('python: halting', flush=True)\n"
            "with contextlib.suppress(Exception): jvm.java.lang.Runtime.getRuntime().halt(7)")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert proc.stdout == "python: halting\n", proc.stderr
    assert "JVM: going" in proc.stderr.splitlines(), proc.stderr
    assert INCUBATOR not in proc.stderr, proc.stderr
