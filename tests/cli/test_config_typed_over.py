"""An option typed on the command line over a ``--config`` file's value says so on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli


def test_a_typed_option_that_replaces_a_config_value_is_said(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``train --config c.json --factors 3`` with ``"factors": 4`` in the file trained 3
    factors and said nothing of the file's 4 (a value of the file silently ignored). Oracle:
    the model's ``meta.json`` (the typed value wins) and the file's own value."""
    rows = "".join(f"u{u},f{(u * 7 + j) % 30}\n" for u in range(60) for j in range(8))
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + rows)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"tune": False, "factors": 4, "iterations": 2,
                                  "regularization": 0.5, "segments": 2}))
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--config", config, "--factors", 3,
                           "--regularization", "0.50")
    assert code == 0, err
    meta = json.loads(next((tmp_path / "m").rglob("meta.json")).read_text())
    assert meta["params"]["factors"] == 3
    assert f"note: --factors 3 replaces factors 4 of --config {config}" in err
    assert "replaces regularization" not in err  # the same value (0.50 typed): none replaced
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m2", "--config", config, "--factors", 4)
    assert code == 0 and "replaces" not in err
