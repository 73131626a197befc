"""An id a log held with spaces around it (' f3 ', 'u03 ': a log written with ' , '
separators, which train warns of and keeps as written) is named as the id meant when its plain
form is asked for, in every way a CLI command takes ids: it was answered only "unknown
film_id 'f3'", though the reverse (' f3 ' typed for 'f3') was named. Oracle: the ids planted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli


@pytest.fixture(scope="module")
def padded_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("padded")
    rows = [f"u{u:02d} , f{(u + k) % 12} " for u in range(30) for k in range(4)]
    log = root / "log.csv"
    log.write_text("user_id,film_id\n" + "\n".join(rows) + "\n", encoding="utf-8")
    from recommender.cli import main
    assert main(["train", "--data", str(log), "--out", str(root / "m"), "--no-tune",
                 "--factors", "4", "--iterations", "2"]) == 0
    return root / "m"


def test_a_film_argument_names_the_padded_film(padded_model: Path, capsys: Any) -> None:
    code, _, err = run_cli(capsys, "audience", padded_model, "f3")
    assert code == 2
    assert "unknown film_id 'f3'; did you mean ' f3 '?" in err


def test_a_user_argument_names_the_padded_user(padded_model: Path, capsys: Any) -> None:
    code, _, err = run_cli(capsys, "recommend", padded_model, "--user", "u03")
    assert code == 2
    assert "unknown user_id 'u03'; did you mean 'u03 '?" in err


def test_a_seed_file_names_the_padded_users(padded_model: Path, tmp_path: Path,
                                            capsys: Any) -> None:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("u03\nu04\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "lookalike", padded_model, "--seeds", seeds)
    assert code == 2
    assert "did you mean 'u03 ' for 'u03', 'u04 ' for 'u04'?" in err


def test_a_users_file_names_the_padded_user(padded_model: Path, tmp_path: Path,
                                            capsys: Any) -> None:
    users = tmp_path / "users.txt"
    users.write_text("u05\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "recommend", padded_model, "--users", users,
                           "--out", tmp_path / "r.csv")
    assert code == 2
    assert "line 1: unknown user_id 'u05'" in err and "did you mean 'u05 '?" in err
