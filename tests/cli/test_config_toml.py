"""A ``--config`` file written by hand may be TOML (``.toml``: comments allowed): it sets what
its JSON twin sets, and what cannot mean one thing is refused as a JSON file's is, exit 2,
naming the file (and, for what does not parse, the line) before the log is read. Oracle: the
same options written as JSON, read by the JSON path."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from recommender.cli import build_parser, main
from recommender.cli.training import _train_config


def _config(path: Path) -> dict[str, Any]:
    args = build_parser().parse_args(["train", "--data", "log.csv", "--out", "m",
                                      "--config", str(path)])
    assert isinstance(args, argparse.Namespace)
    return _train_config(args).to_dict()


@pytest.mark.parametrize(("toml", "twin"), [
    ('# tuned by hand\nfactors = 32  # fewer\nregularization = 100.0\nalpha = 10\n'
     'weighting = "bm25"\ntune = false\nseed = 7\n',
     {"factors": 32, "regularization": 100.0, "alpha": 10, "weighting": "bm25",
      "tune": False, "seed": 7}),
    ('fixed = ["alpha"]\nsegments = 4\nholdout = 0.2\nmin_rating = 3.5\n',
     {"fixed": ["alpha"], "segments": 4, "holdout": 0.2, "min_rating": 3.5}),
    ('[params]  # a meta.json\'s params, as a table\nfamily = "ease"\nease_lambda = 300.0\n',
     {"params": {"family": "ease", "ease_lambda": 300.0}}),
])
def test_a_toml_config_sets_what_its_json_twin_sets(tmp_path: Path, toml: str,
                                                    twin: dict[str, Any]) -> None:
    (tmp_path / "c.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps(twin), encoding="utf-8")
    got, want = _config(tmp_path / "c.toml"), _config(tmp_path / "c.json")
    assert got == want
    # and the file did set something: the twin differs from the defaults
    (tmp_path / "none.json").write_text("{}", encoding="utf-8")
    assert want != _config(tmp_path / "none.json")


@pytest.mark.parametrize(("text", "said"), [
    ("factors = 8\nseed = 1\nfactors = 64\n", "expected a TOML table of training options "
                                              "(Cannot overwrite a value (at line 3"),
    ("factors = \n", "expected a TOML table of training options (Invalid value (at line 1"),
    # no newline after the last value: tomllib said "(at end of document)", naming no line
    ("seed = 1\nfactors = ", "expected a TOML table of training options (Invalid value (at "
                            "line 2, the end of the file)"),
    ("seed = 1\nfactors = [1,\n", "expected a TOML table of training options (Invalid value "
                                  "(at line 2, the end of the file)"),
    ("", "the file holds no option: expected a TOML table of training options"),
    ("# only a comment\n\n", "the file holds no option"),
    ("factor = 8\n", "unknown training option 'factor' (did you mean 'factors'?)"),
    ('factors = "64"\n', "factors must be a whole number, got '64'"),
    ("factors = 2020-01-31\n", "factors must be a whole number, got datetime.date(2020, 1, 31)"),
    ("params = 3\n", "expected a TOML table of training options, got a number"),
    ("params = 2020-01-31\n", "expected a TOML table of training options, got a date or time"),
])
def test_a_toml_config_that_cannot_mean_one_thing_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(text, encoding="utf-8")
    code = main(["train", "--data", str(tmp_path / "no-log"), "--out", str(tmp_path / "m"),
                 "--no-tune", "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"c.toml: {said}" in err, err
    assert not (tmp_path / "m").exists()
