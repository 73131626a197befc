"""Reports: ``write_json`` writes exactly ``json.dump``'s bytes (NaN as null) atomically, and the
evaluate command reports bad input as exit 2 without a traceback."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from recommender.cli import main
from recommender.evaluation.report import write_json


def test_write_json_bytes_nan_as_null_and_nothing_left_behind(tmp_path: Path) -> None:
    obj = {"a": float("nan"), "b": [1, np.float32(0.5), (np.int64(3), math.nan)],
           "c": {"é": "ü"}, "d": None}
    path = write_json(obj, tmp_path / "sub" / "r.json")
    assert path == tmp_path / "sub" / "r.json"
    # the oracle: the standard library's own encoding of the cleaned object
    want = json.dumps({"a": None, "b": [1, 0.5, [3, None]], "c": {"é": "ü"}, "d": None},
                      indent=2) + "\n"
    assert path.read_bytes() == want.encode("utf-8")
    assert sorted(p.name for p in path.parent.iterdir()) == ["r.json"]


def test_write_json_failure_keeps_the_previous_file(tmp_path: Path) -> None:
    path = write_json({"ok": 1}, tmp_path / "r.json")
    before = path.read_bytes()
    with pytest.raises(TypeError):
        write_json({"bad": object()}, path)  # not JSON-serialisable, fails mid-write
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]


def test_evaluate_command_rejects_time_protocol_without_timestamps(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "events.csv"
    rows = [f"u{u},f{(u * 7 + j) % 30}" for u in range(40) for j in range(6)]
    path.write_text("user_id,film_id\n" + "\n".join(rows) + "\n")
    assert main(["evaluate", "--data", str(path), "--protocol", "time"]) == 2
    err = capsys.readouterr().err
    assert "timestamps" in err and "Traceback" not in err
