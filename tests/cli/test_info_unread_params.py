"""``info`` lists the options the model reads, as the Studio's overview does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli


def _params_line(out: str) -> list[str]:
    line = next(s for s in out.splitlines() if s.startswith("parameters: "))
    return [p.split(" ")[0] for p in line.removeprefix("parameters: ").split(", ")]


def test_info_of_an_ease_model_lists_no_als_option(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # an EASE model's info read "model als, ..., iterations 15, regularization 30, alpha 3,
    # cg_steps 3" beside "family ease": options its fit never read, read as its own
    log = tmp_path / "log.csv"
    log.write_text("user_id,film_id\n" + "".join(
        f"u{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8)))
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "ease",
                           "--no-tune", "--family", "ease", "--factors", 8)
    assert code == 0, err
    meta = json.loads(next((tmp_path / "ease").rglob("meta.json")).read_text())
    assert {"model", "regularization", "alpha", "iterations"} <= set(meta["params"])
    code, out, err = run_cli(capsys, "info", tmp_path / "ease")
    assert code == 0, err
    names = _params_line(out)
    assert "ease_lambda" in names and "family" in names and "factors" in names
    for unread in ("model", "iterations", "regularization", "alpha", "cg_steps",
                   "learning_rate", "warm_iterations", "bm25_k1", "bm25_b"):
        assert unread not in names, out
    assert "(ease, rank " in out.splitlines()[0], out
    # an ALS model lists ALS's options, not EASE's or BPR's
    code, _, err = run_cli(capsys, "train", "--data", log, "--out", tmp_path / "als",
                           "--no-tune", "--factors", 4)
    assert code == 0, err
    code, out, err = run_cli(capsys, "info", tmp_path / "als")
    assert code == 0, err
    names = _params_line(out)
    assert {"model", "iterations", "regularization", "alpha", "cg_steps"} <= set(names)
    assert not {"ease_lambda", "learning_rate", "bm25_k1", "bm25_b"} & set(names), out
    assert "(als, 4 factors, " in out.splitlines()[0], out
