"""``train --data -`` and ``events import -`` read standard input (a CSV or TSV log, plain or
gzip-compressed, or Parquet): ``-`` was "no such file". Standard input is read once (copied
to a temporary file, removed after), its errors name ``<stdin>`` and the same line as the
file's, and the model records ``<stdin>`` as its source. The oracle is the same log given as
a file."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import run_cli as run

import recommender
from recommender.errors import DataError
from recommender.io.stdin import spooled

LOG = "user_id,film_id,rating\n" + "".join(
    f"u{u},f{(u * 7 + k) % 12},{1 + (u + k) % 5}\n" for u in range(30) for k in range(4))
Feed = Callable[[bytes], None]
TRAIN = ("--no-tune", "--factors", "4", "--iterations", "2")


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Feed:
    """Feed bytes to ``sys.stdin`` (a pipe, not a terminal); temporary files under
    ``tmp_path/tmp`` (to see the copy removed)."""
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))

    def feed(data: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    return feed


def _fingerprint(model: Path) -> tuple[str, str]:
    data = json.loads((model / "meta.json").read_text())["data"]
    return data["fingerprint"], data["source"]


@pytest.mark.parametrize("form", ["csv", "gzip", "parquet"])
def test_train_reads_a_log_on_standard_input(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             stdin: Feed, form: str) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "a", *TRAIN)
    assert code == 0, err
    if form == "parquet":
        pq.write_table(pa.table({"user_id": [r.split(",")[0] for r in LOG.splitlines()[1:]],
                                 "film_id": [r.split(",")[1] for r in LOG.splitlines()[1:]],
                                 "rating": [float(r.split(",")[2])
                                            for r in LOG.splitlines()[1:]]}),
                       tmp_path / "log.parquet")
    stdin({"csv": LOG.encode(), "gzip": gzip.compress(LOG.encode()),
           "parquet": (tmp_path / "log.parquet").read_bytes() if form == "parquet" else b""
           }[form])
    code, _, err = run(capsys, "train", "--data", "-", "--out", tmp_path / "b", *TRAIN)
    assert code == 0, err
    assert _fingerprint(tmp_path / "b") == (_fingerprint(tmp_path / "a")[0], "<stdin>")
    assert not list((tmp_path / "tmp").iterdir())  # the copy removed


def test_a_bad_line_on_standard_input_is_named_as_in_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], stdin: Feed) -> None:
    bad = LOG + "u1,f1,4,9\n"  # line 122: four fields
    (tmp_path / "log.csv").write_text(bad)
    code, _, err = run(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                       tmp_path / "a", *TRAIN)
    assert code == 2 and f"{tmp_path / 'log.csv'}, line 122: " in err
    in_file = err.split("line 122: ", 1)[1]
    stdin(bad.encode())
    code, _, err = run(capsys, "train", "--data", "-", "--out", tmp_path / "b", *TRAIN)
    assert code == 2 and err.endswith(f"error: <stdin>, line 122: {in_file}"), err
    assert not (tmp_path / "b").exists()  # nothing written
    assert not list((tmp_path / "tmp").iterdir())  # the copy removed after an error too


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_empty_standard_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         stdin: Feed, engine: str,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Spark is not started for it (``train --engine spark --data -``: tests/spark/)
    monkeypatch.setattr("recommender.spark.training.session_scope", _no_spark)
    stdin(b"")
    code, _, err = run(capsys, "train", "--data", "-", "--out", tmp_path / "m", *TRAIN,
                       "--engine", engine)
    assert code == 2 and "error: <stdin>: standard input is empty; expected a CSV or TSV " \
        "log with a header line (plain or gzip-compressed) or a Parquet file" in err
    with pytest.raises(DataError, match="standard input is a terminal"):
        with spooled("-", stream=_Terminal()):
            pass


def _no_spark(*_: object, **__: object) -> None:
    raise AssertionError("Spark was started")


@pytest.mark.parametrize("engine", ["local", "spark"])
def test_a_pipe_given_as_a_path_is_told_to_give_data_dash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Spark sent it to the local reader, whose refusal said to give --data -, which Spark
    # refused in turn; now both engines read --data -, and Spark refuses a pipe before it starts
    monkeypatch.setattr("recommender.spark.training.session_scope", _no_spark)
    read, write = os.pipe()
    try:
        os.write(write, LOG.encode()[:100])
        code, _, err = run(capsys, "train", "--data", f"/dev/fd/{read}", "--out",
                           tmp_path / "m", *TRAIN, "--engine", engine)
    finally:
        os.close(read)
        os.close(write)
    assert code == 2 and f"error: /dev/fd/{read}: is a pipe or a device, not a file" in err, err
    assert "give --data - instead, which reads standard input" in err
    assert not (tmp_path / "m").exists()


def test_spark_reads_standard_inputs_copy_on_a_local_master_only(tmp_path: Path) -> None:
    """The decision, without Spark: standard input's copy is read by a local master (its
    executors share this machine's temporary folder), refused for a cluster's, naming the fix;
    a file given by its path is never refused so."""
    from recommender.spark.stdin_data import check_spool_master, refuse_pipe_path

    log = tmp_path / "log.csv"
    log.write_text(LOG)
    for given in ("-", str(log), str(tmp_path), "hdfs://nn/logs/", str(tmp_path / "none.csv")):
        refuse_pipe_path(given)  # a file, folder, URI or missing path: the reader's to say
    with spooled("-", stream=io.BytesIO(LOG.encode())) as copy:
        assert copy.read_text() == LOG
        for master in ("local[*]", "local[2]", "local", "local-cluster[2,1,1024]"):
            check_spool_master(str(copy), master)
        for master in ("spark://head:7077", "yarn", "k8s://https://api:6443"):
            with pytest.raises(DataError, match=r"^<stdin>: standard input is copied to a "
                               r"temporary file on this machine, which the executors of the "
                               rf"Spark master {re.escape(master)} cannot read; put the log "
                               r"where they can \(hdfs://"):
                check_spool_master(str(copy), master)
            check_spool_master(str(log), master)  # a path the user gave: theirs to share
    assert not copy.exists()  # removed after


@pytest.mark.parametrize("master", ["spark://head:7077", "yarn", "k8s://https://api:6443"])
def test_a_cluster_master_for_standard_input_is_refused_before_spark_starts(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], master: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``train --engine spark --spark-master spark://... --data -``: the refusal was decided
    in the Spark session, after standard input was copied and Spark started (an unreachable
    master failed first, never saying it); now before either, in the same words."""
    from recommender.spark.stdin_data import refuse_stdin_master

    monkeypatch.setattr("recommender.spark.training.session_scope", _no_spark)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    fed = io.BytesIO(LOG.encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(fed))
    code, out, err = run(capsys, "train", "--data", "-", "--out", tmp_path / "m", *TRAIN,
                         "--engine", "spark", "--spark-master", master)
    assert code == 2 and out == "", err
    assert err.strip().splitlines()[-1] == (
        f"error: <stdin>: standard input is copied to a temporary file on this machine, which "
        f"the executors of the Spark master {master} cannot read; put the log where they can "
        "(hdfs://..., s3a://..., or a folder they share) and give --data its URI or path, or "
        "use a local master (--spark-master local[*])")
    assert fed.tell() == 0 and not list((tmp_path / "tmp").iterdir())  # nothing read
    assert not (tmp_path / "m").exists()
    for given, where in (("-", "local[2]"), ("-", "local-cluster[2,1,1024]"),
                         (str(tmp_path / "log.csv"), master), ("hdfs://nn/log/", master)):
        refuse_stdin_master(given, where)  # a local master, or a path the user gave: read
    monkeypatch.setenv("PYSPARK_GATEWAY_PORT", "1")  # spark-submit's master: the session's
    refuse_stdin_master("-", master)


class _Terminal(io.BytesIO):
    def isatty(self) -> bool:
        return True


def test_events_import_reads_standard_input_through_a_pipe(tmp_path: Path) -> None:
    """A real pipe (a child process): what is stored, and a bad line named with nothing of
    the file stored."""
    env = {**os.environ, "PYTHONPATH": str(Path(recommender.__file__).parent.parent)}
    env.pop("RECOMMENDER_STORE", None)
    store = tmp_path / "c.db"
    events = "user_id,film_id,timestamp\nu1,f1,1700000100\nu2,f1,1700000101\n"

    def imported(text: bytes, file: str = "-") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "recommender", "events", "import",
                               "--store", str(store), file], input=text.decode(), env=env,
                              capture_output=True, text=True, timeout=120)
    bad = imported((events + "u3,f2,yesterday\n").encode())
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "error: <stdin>, line 4: timestamp 'yesterday' is not valid; expected unix seconds or "
        "an ISO 8601 date or time in the extended form (2017-06-21 or 2017-06-21T07:17:25Z); "
        "nothing of the file was stored")
    done = imported(events.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("read 2 events from <stdin>: stored 2, already stored 0")
    (tmp_path / "e.csv").write_text(events)
    again = imported(b"", str(tmp_path / "e.csv"))  # the file's events: the ones stored
    assert again.returncode == 0 and "stored 0, already stored 2" in again.stdout


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_events_import_of_a_pipe_given_as_a_path_is_told_to_use_dash(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``events import <(cat events.csv)`` (a pipe named as a path, a writer waiting on it)
    said "save it to a file", and a pipe's other message named ``recommender train``: it
    names ``-``, as ``train``'s names ``--data -``. Its writer, a thread, is left unread (the
    refusal opens nothing), then read here to its end, so that it finishes."""
    pipe = tmp_path / "events.csv"
    os.mkfifo(pipe)
    events = b"user_id,film_id,timestamp\nu1,f1,1700000100\n"

    def write() -> None:
        with open(pipe, "wb") as w:  # waits for a reader, as `cat` in <(cat events.csv) does
            w.write(events)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    code, out, err = run(capsys, "events", "import", pipe, "--store", tmp_path / "c.db")
    with open(pipe, "rb") as r:  # the writer's reader: all it wrote is still there
        left = r.read()
    writer.join(timeout=60)
    assert not writer.is_alive() and left == events
    assert code == 2 and out == "", err
    assert f"{pipe}: is a pipe or a device, not a file" in err
    assert "give - instead, which reads standard input" in err
    assert "`zcat log.csv.gz | recommender events import - ...`" in err
    assert "recommender train" not in err
