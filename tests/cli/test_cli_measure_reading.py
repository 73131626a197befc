"""``evaluate`` and ``tune`` read their log as ``train`` does: ``--blank-ratings`` (a partly
rated log was refused there and told to give that option, which only ``train`` took) and
``--data -`` (standard input, copied once to a file; it was "no such file"). A pipe given as
a path (``/dev/stdin``, a shell's ``<(zcat log.csv.gz)``) is refused pointing to ``-``. The
oracle is ``readers.load`` of the same log with the same choice."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from helpers import run_cli as run

from recommender.io.readers import load

ENGINE = ("--no-tune", "--factors", "4", "--iterations", "2")


def _text(blank: bool = True) -> str:
    return "user_id,film_id,rating\n" + "".join(
        f"u{u},f{(u * 7 + k) % 20},{'' if blank and (u + k) % 4 == 0 else 1 + (u + k) % 5}\n"
        for u in range(80) for k in range(6))


def _log(tmp_path: Path, blank: bool = True) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(_text(blank))
    return path


def _evaluate(capsys: pytest.CaptureFixture[str], data: object, *more: str
              ) -> tuple[int, dict[str, object], str]:
    code, out, err = run(capsys, "evaluate", "--data", data, "--k", "5", "--json", *ENGINE,
                         *more)
    return code, (json.loads(out) if code == 0 else {}), err


def _timeless(report: dict[str, object]) -> dict[str, object]:
    """``report`` without its source and its wall-clock seconds (the run's, not the data's)."""
    def strip(v: object) -> object:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if "seconds" not in k}
        return v
    return {k: strip(v) for k, v in report.items() if k != "dataset"}


def test_evaluate_reads_blank_ratings_as_chosen(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path)
    code, _, err = _evaluate(capsys, log)
    assert code == 2 and "empty rating" in err and "--blank-ratings drop" in err
    for choice in ("drop", "implicit"):
        code, report, err = _evaluate(capsys, log, "--blank-ratings", choice)
        assert code == 0, err
        read = load(log, blank_ratings=choice)
        assert (report["interactions"], report["users"], report["films"]) == (
            len(read), read.n_users, read.n_films)
        assert report["dataset"] == str(log)
        assert f"(--blank-ratings {choice})" in err  # the note train prints
    code, _, err = run(capsys, "evaluate", "--data", log, "--blank-ratings", "keep")
    assert code == 2 and "invalid choice: 'keep'" in err


def test_tune_reads_blank_ratings_as_chosen(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    log, out = _log(tmp_path), tmp_path / "tuned.json"
    tune = ("tune", "--data", log, "--out", out, "--trials", "1", "--k", "5")
    code, _, err = run(capsys, *tune)
    assert code == 2 and "--blank-ratings implicit" in err and not out.exists()
    code, _, err = run(capsys, *tune, "--blank-ratings", "drop")
    assert code == 0, err
    result = json.loads(out.read_text())
    split, read = result["split"], load(log, blank_ratings="drop")
    assert split["train_interactions"] + split["test_interactions"] == len(read)
    code, text, _ = run(capsys, "tune", "--help")
    assert "--blank-ratings" in text and "--min-rating" not in text  # tune takes none


def test_evaluate_and_tune_read_standard_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    log = _log(tmp_path, blank=False)

    def feed(text: str) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))

    code, want, err = _evaluate(capsys, log)
    assert code == 0, err
    feed(_text(blank=False))
    code, got, err = _evaluate(capsys, "-")
    assert code == 0, err
    assert got["dataset"] == "<stdin>" and want["dataset"] == str(log)
    assert _timeless(got) == _timeless(want)  # the same figures as the file's
    feed(_text())  # blank ratings: refused naming <stdin> and the line, then read as asked
    code, _, err = _evaluate(capsys, "-")
    assert code == 2 and "<stdin>, line 2" in err and "--blank-ratings" in err
    feed(_text())
    out = tmp_path / "tuned.json"
    code, _, err = run(capsys, "tune", "--data", "-", "--out", out, "--trials", "1", "--k", "5",
                       "--blank-ratings", "implicit")
    assert code == 0, err
    assert json.loads(out.read_text())["dataset"] == "<stdin>"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("command", ["train", "evaluate", "tune"])
def test_a_pipe_given_as_a_path_is_told_to_use_standard_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    pipe = tmp_path / "log.csv"
    os.mkfifo(pipe)  # as /dev/stdin or <(zcat log.csv.gz) are: never opened here
    more = ("--out", tmp_path / "m") if command != "evaluate" else ()
    code, _, err = run(capsys, command, "--data", pipe, *more)
    assert code == 2, err
    assert f"{pipe}: is a pipe or a device, not a file" in err
    assert "give --data - instead, which reads standard input" in err
    # the example names the command that reads it (evaluate and tune were shown `train`'s)
    assert f"`zcat log.csv.gz | recommender {command} --data - ...`" in err, err
