"""A slate line whose film_id is in our own spreadsheet-safe form (``'=cmd|x``, as our CSV
files write an id beginning = + - @) is read as the id it quotes, as the id lists read it,
and a note says so; it was refused as an unknown film_id with no hint. An id the model
holds as written (``'-7`` beside ``-7``) is kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli
from unicode_fixtures import save_unicode_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("slate-quoted") / "model")


def _planned(capsys: pytest.CaptureFixture[str], model_dir: Path, tmp_path: Path,
             lines: str) -> tuple[int, list[str], str]:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,budget\n" + lines)
    summary = tmp_path / "summary.json"
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", slate, "--out",
                           tmp_path / "p.csv", "--summary", summary)
    films = ([f["film_id"] for f in json.loads(summary.read_text())["films"]]
             if code == 0 else [])
    return code, films, err


def test_a_quoted_film_id_is_read_as_the_id_it_quotes(model_dir: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code, films, err = _planned(capsys, model_dir, tmp_path, "f003,5\n'=cmd|x,5\n")
    assert code == 0, err
    assert films == ["f003", "=cmd|x"]
    assert "line 3: film_id \"'=cmd|x\" read as '=cmd|x'" in err, err


def test_an_id_the_model_holds_as_written_is_kept(model_dir: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, films, err = _planned(capsys, model_dir, tmp_path, "'-7,5\n-7,5\n")
    assert code == 0, err
    assert films == ["'-7", "-7"] and "read as" not in err


def test_an_unknown_quoted_id_is_still_refused(model_dir: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _planned(capsys, model_dir, tmp_path, "'=nothing,5\n")
    assert code != 0 and "'=nothing" in err and "read as" not in err
