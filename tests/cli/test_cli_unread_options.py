"""Options the chosen mode would not read are refused (exit 2, the reason), never recorded
and ignored: ring sizes in --config, an option of another --model, --spark-master without
--engine spark."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from recommender.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_ring_sizes_cannot_be_set(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """They were saved in meta.json while every query used core/extended/broad 1/4/15%."""
    cfg = tmp_path / "t.json"
    cfg.write_text(json.dumps({"tiers": [["vip", 2], ["warm", 8], ["cool", 20]]}))
    code, err = run(capsys, "train", "--data", str(tmp_path / "none"), "--out",
                    str(tmp_path / "m"), "--config", str(cfg))
    assert code == 2 and "tiers cannot be set" in err and str(cfg) in err
    assert not (tmp_path / "m").exists()
    cfg.write_text(json.dumps({"tiers": [["core", 1], ["extended", 4], ["broad", 15]]}))
    code, err = run(capsys, "train", "--data", str(tmp_path / "none"), "--out",
                    str(tmp_path / "m"), "--config", str(cfg))
    assert "tiers" not in err  # the rings as they are: accepted (the data is what fails)


@pytest.mark.parametrize("argv, message", [
    (["--learning-rate", "0.5"], "--model als does not read --learning-rate"),
    (["--model", "bpr", "--alpha", "40"], "--model bpr does not read --alpha"),
    (["--model", "lmf", "--cg-steps", "5"], "--model lmf does not read --cg-steps"),
])
def test_an_option_of_another_model_is_refused(tmp_path: Path, argv: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                    "--no-tune", *argv)
    assert code == 2 and message in err


@pytest.mark.parametrize("argv", [
    ["train", "--data", "d", "--out", "m", "--spark-master", "yarn"],
    ["audiences", "m", "--all", "--out", "a.csv", "--spark-master", "yarn"],
    ["plan", "m", "--slate", "s.csv", "--out", "p.csv", "--spark-master", "yarn"],
])
def test_spark_master_needs_the_spark_engine(argv: list[str], tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, *argv)
    assert code == 2 and "--spark-master applies with --engine spark only" in err
    assert list(tmp_path.iterdir()) == []


def test_fewer_segments_than_asked_are_said(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--segments 1000 on 60 users gave about 60 segments, no word, and meta.json said 1000."""
    from recommender.io import demo
    from recommender.model import artifact

    data = demo.generate(tmp_path / "d", seed=1, n_users=60, n_films=20, n_interactions=300,
                         n_groups=3)
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune",
                 "--segments", "1000", "--factors", "8", "--iterations", "2"])
    err = capsys.readouterr().err
    model = artifact.load(tmp_path / "m")
    found = model.segments.n
    assert code == 0 and found <= 6  # 60 users, none in a segment of fewer than 10
    assert model.meta["segments"] == {"asked": 1000, "found": found, "min_size": 10}
    assert f"note: {found} segments, not the 1,000 asked for" in err
    assert "merges a segment of fewer than 10 users into the nearest" in err
    sizes = [s["size"] for s in model.segments.info]
    assert min(sizes) >= 10 and sum(sizes) == 60


def test_no_segment_is_smaller_than_the_minimum_cell(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A segment's size, representative films and label describe its members: ML-100K at
    --segments 60 gave 13 segments of fewer than 10 users, their films published in full.
    The minimum cell size in force at training ($RECOMMENDER_MIN_CELL) is each segment's
    least size, locally and in the segment table every answer reads."""
    from recommender.io import demo
    from recommender.model import artifact

    data = demo.generate(tmp_path / "d", seed=2, n_users=400, n_films=40, n_interactions=4000)
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "25")
    code = main(["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-tune",
                 "--segments", "40", "--factors", "8", "--iterations", "2"])
    assert code == 0, capsys.readouterr().err
    model = artifact.load(tmp_path / "m")
    sizes = np.bincount(np.asarray(model.segments.labels, np.int64))
    assert sizes.min() >= 25 and sizes.sum() == 400 and len(sizes) == model.segments.n
    assert [s["size"] for s in model.segments.info] == sizes.tolist()
    assert model.meta["segments"]["min_size"] == 25


def test_spark_cg_steps_and_evaluate_segments_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Spark's ALS has no conjugate-gradient steps: --cg-steps was accepted and dropped, and
    # evaluate's --segments moved no figure it reports while its report recorded it
    code, err = run(capsys, "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                    "--engine", "spark", "--cg-steps", "2")
    assert code == 2 and "does not read cg_steps (2)" in err
    config = tmp_path / "c.json"
    config.write_text(json.dumps({"cg_steps": 2}))
    code, err = run(capsys, "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                    "--engine", "spark", "--config", str(config))
    assert code == 2 and "does not read cg_steps (2)" in err
    code, err = run(capsys, "evaluate", "--data", str(tmp_path), "--segments", "3")
    assert code == 2 and "unrecognized arguments: --segments 3" in err
    code, err = run(capsys, "train", "--data", str(tmp_path), "--out", str(tmp_path / "m"),
                    "--engine", "spark", "--ease-lambda", "100")
    assert code == 2 and "without tuning (--engine spark) the family is ALS" in err


@pytest.mark.parametrize("argv", [
    ["plan", "m", "--slate", "s.csv", "--out", "p.csv", "--exclude", ""],
    ["plan", "m", "--slate", "s.csv", "--out", "p.csv", "--summary", " "],
    ["audience", "m", "f", "--store", ""],
    ["train", "--data", "d", "--out", "m", "--events", ""],
    ["distribution", "m", "f", "--by", "cinema", "--screens", "5", "--cinemas", ""],
    ["campaign", "report", "p", "--store", ""],
])
def test_an_empty_option_value_is_refused(argv: list[str], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """An empty value (``--exclude "$OPTOUTS"`` with the variable unset) read as no option:
    the opted-out users were planned, ``--store ''`` read $RECOMMENDER_STORE, ``--events ''``
    trained without the events, all with exit 0 and no word."""
    monkeypatch.chdir(tmp_path)
    code, err = run(capsys, *argv)
    option = next(a for a, v in zip(argv, argv[1:], strict=False) if not v.strip())
    assert code == 2 and f"argument {option}: the value is empty" in err
    assert list(tmp_path.iterdir()) == []


def test_an_empty_with_still_means_no_extra_column(capsys: pytest.CaptureFixture[str]
                                                   ) -> None:
    from recommender.cli import build_parser

    args = build_parser().parse_args(["audience", "m", "f", "--with", ""])
    assert args.with_ == [""]  # as HTTP with= (resolve_with: no column)


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """``main(argv)``'s stderr, asserting exit 2 (argparse's exit, where main does not catch
    it, or main's)."""
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    assert code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("argv, prefix", [
    (["audience", "MODEL", "1", "--inc"], "--inc"),  # --include-seen
    (["audiences", "MODEL", "--all", "--out", "a.csv", "--tie", "core"], "--tie"),  # --tier
    (["train", "--data", "D", "--out", "M", "--fact", "8"], "--fact"),  # --factors
])
def test_an_option_is_read_by_its_whole_name_only(argv: list[str], prefix: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """argparse read a prefix as the option it starts (``--inc`` as ``--include-seen``): a
    later option starting the same would change what a script's prefix means."""
    err = refused(argv, capsys)
    assert f"recommender {argv[0]}: error: unrecognized arguments: {prefix}" in err
    assert f"usage: recommender {argv[0]} " in err  # the command's own usage


@pytest.mark.parametrize("argv", [
    ["events", "--json", "status"],  # status's --json, given before the action
    ["campaign", "--bogus", "list"],
])
def test_an_unknown_option_before_an_action_is_said_with_the_commands_usage(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """An option before a command's action (``events --json status``) was said with the top
    level's usage, "recommender [-h] COMMAND", which names no action."""
    err = refused(argv, capsys)
    assert f"recommender {argv[0]}: error: unrecognized arguments: {argv[1]}" in err
    assert f"usage: recommender {argv[0]} [-h] ACTION" in err


@pytest.mark.parametrize("argv", [
    ["audiences", "m", "--all", "-k", "1", "--out", ""],
    ["train", "--data", "d", "--out", " "],
    ["plan", "m", "--slate", "s.csv", "--out", ""],
])
def test_an_empty_required_option_is_not_told_to_be_left_out(
        argv: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`audiences --out ""` was told "give one, or leave the option out", though --out is
    required: a required option (the parser's own flag, the oracle) is told it is."""
    from recommender.cli import build_parser

    monkeypatch.chdir(tmp_path)
    sub = next(a for a in build_parser()._actions if a.choices)  # the sub-commands
    option = next(a for a in sub.choices[argv[0]]._actions if "--out" in a.option_strings)
    assert option.required
    code, err = run(capsys, *argv)
    assert code == 2 and "argument --out: the value is empty; give one (it is required)" in err
    assert "leave the option out" not in err
    code, err = run(capsys, "recommend", "m", "--user", "u", "--out", "")  # --out optional
    assert code == 2 and "give one, or leave the option out" in err
