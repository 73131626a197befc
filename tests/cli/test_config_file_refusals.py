"""A ``--config`` file that cannot mean one thing is refused, exit 2, naming the file and the
key, before anything is read or written: a key given twice in one object (Python's json kept
the last copy without a word), a misspelt option (said with the option it nearly names) and
an empty file (said as empty, not as a JSON parser's position)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recommender.cli import main
from recommender.model.config import TrainConfig


def train(tmp_path: Path, config_text: str, capsys: pytest.CaptureFixture[str]
          ) -> tuple[int, str]:
    """``train --config`` with a file of ``config_text`` on a log that does not exist (what is
    refused is refused before the log is read)."""
    config = tmp_path / "c.json"
    config.write_text(config_text, encoding="utf-8")
    code = main(["train", "--data", str(tmp_path / "no-log"), "--out", str(tmp_path / "m"),
                 "--no-tune", "--config", str(config)])
    err = capsys.readouterr().err
    assert not (tmp_path / "m").exists()
    return code, err


@pytest.mark.parametrize("text, key, times", [
    ('{"factors": 8, "seed": 1, "factors": 64}', "factors", 2),
    ('{"params": {"alpha": 1, "alpha": 2, "alpha": 3}}', "alpha", 3),  # a meta.json's params
])
def test_a_key_given_twice_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      text: str, key: str, times: int) -> None:
    code, err = train(tmp_path, text, capsys)
    assert code == 2
    assert f"c.json: the key {key!r} is given {times} times in one object" in err
    once = json.dumps(dict(json.loads(text)))  # the oracle: the same file, each key once
    code, err = train(tmp_path, once, capsys)
    assert code == 2 and "times in one object" not in err and "no-log: no such" in err  # the log


@pytest.mark.parametrize("typed", ["factor", "regularisation", "learning-rate", "Seed"])
def test_a_misspelt_option_names_the_one_it_nearly_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], typed: str) -> None:
    known = set(TrainConfig.__dataclass_fields__)
    meant = next(n for n in known if n.replace("_", "").replace("z", "s")
                 == typed.lower().replace("-", "").replace("_", "").replace("z", "s")
                 or n == typed.lower() + "s")
    code, err = train(tmp_path, json.dumps({typed: 1}), capsys)
    assert code == 2
    assert f"unknown training option {typed!r} (did you mean {meant!r}?)" in err


def test_an_option_near_none_is_refused_without_a_guess(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = train(tmp_path, '{"colour": "blue"}', capsys)
    assert code == 2 and "unknown training option 'colour'; the options are: alpha" in err


@pytest.mark.parametrize("text", ["", "\n  \n", "\ufeff"])
def test_an_empty_file_is_said_to_be_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           text: str) -> None:
    code, err = train(tmp_path, text, capsys)
    assert code == 2 and "c.json: the file is empty: expected a JSON object" in err


@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_the_help_of_config_states_which_wins(command: str) -> None:
    """A value given both in --config and typed: the typed one wins (config_typed.py), which
    the README said and --help did not."""
    import argparse

    from recommender.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    config = next(a for a in sub.choices[command]._actions if a.dest == "config")
    assert config.help is not None
    assert "typed on the command line replaces the file's value" in config.help
    assert "meta.json" in config.help  # what else it reads


@pytest.mark.parametrize("text, got", [
    ("[]", "an array"), ('[{"factors": 8}]', "an array"), ("42", "a number"),
    ("4.5", "a number"), ('"factors"', "a string"), ("null", "null"), ("true", "true"),
    ('{"params": [1]}', "an array"), ('{"params": null}', "null"),
])
def test_a_file_of_no_object_says_what_it_holds_as_json_names_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, got: str) -> None:
    """It said Python's names: "got list", "got NoneType", "got int"."""
    code, err = train(tmp_path, text, capsys)
    assert code == 2
    assert f"c.json: expected a JSON object of training options, got {got}\n" in err
