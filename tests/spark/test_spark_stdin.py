"""``train --engine spark --data -``: standard input copied once to a temporary file that
Spark (a local master) reads, removed after; it was refused ("works with the local engine
only") while the refusal of ``--data /dev/stdin`` told Spark users to give ``--data -``.

Oracle: the same log trained by Spark from a file: the same data fingerprint and counts; the
model names ``<stdin>`` as its source, and so does the warning read after the fit.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli as run

pytestmark = pytest.mark.spark

LOG = "user_id,film_id,stars\n" + "".join(
    f"u{u},f{(u * 7 + k) % 12},{1 + (u + k) % 5}\n" for u in range(30) for k in range(4))
TRAIN = ("--engine", "spark", "--spark-master", "local[2]", "--factors", "4", "--iterations",
         "2", "--holdout", "0", "--segments", "2")


def test_spark_trains_on_standard_input(spark: Any, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "a", *TRAIN)
    assert code == 0, err
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LOG.encode())))
    code, _, err = run(capsys, "train", "--data", "-", "--out", tmp_path / "b", *TRAIN)
    assert code == 0, err
    # the unread column is said of <stdin>, read after the fit from the copy still there
    assert "warning: <stdin>: column 'stars' not read: ratings are read from a column named " \
        "rating" in err, err
    assert not list((tmp_path / "tmp").iterdir())  # the copy removed
    a, b = (json.loads((tmp_path / m / "meta.json").read_text())["data"] for m in "ab")
    assert b["source"] == "<stdin>" and a["source"] == str(log)
    assert a["fingerprint"] == b["fingerprint"]
    assert (b["users"], b["films"], b["interactions"]) == (30, 12, 120) == (
        a["users"], a["films"], a["interactions"])
