"""The plan notes (``plan``, ``campaign show``) and ``distribution --slate``'s cinema note
name film and cinema ids escaped as the tables do (``shown_cell``): an id holding a line break
or a direction override broke the stderr line in two or reordered it, where the tables and the
headings (tests/cli/test_heading_titles_escaped.py) showed ``\\u2028``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import run_cli
from service_fixtures import save_model

from recommender.cli.campaigns import print_notes
from recommender.io.text import shown_cell

FILM = "film\u2028two\u202e"
CINEMA = "c\u2028x"


def test_plan_notes_escape_the_film_ids(capsys: pytest.CaptureFixture[str]) -> None:
    u = {"estimate": 0.001, "low": -0.01, "high": 0.012}
    print_notes({"films": [{"film_id": FILM, "note": "nothing fitted",
                            "measured_uplift": {"absolute_uplift": u}}],
                 "no_effect": {"films": [FILM]},
                 "left_out": [{"film_id": FILM, "why": "asked", "budget_left": 3}],
                 "optimality": {}, "horizon": {}})
    err = capsys.readouterr().err
    lines = err.splitlines()
    # the oracle: the tables' escaping of the same id
    assert [x.split(": ")[0:2] for x in lines] == [
        ["warning", f"film {shown_cell(FILM)}"], ["note", f"film {shown_cell(FILM)}"],
        ["note", f"film {shown_cell(FILM)} left out from this wave on (asked)"]], err
    assert "\u2028" not in err and "\u202e" not in err


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_model(tmp_path_factory.mktemp("ids-escaped") / "model", cinemas=["c1", "c2"])


def test_the_slate_names_a_cinema_no_user_names_escaped(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    screens = tmp_path / "screens.csv"
    screens.write_text(f"cinema_id,screens\nc1,2\nc2,2\n{CINEMA},1\n", encoding="utf-8")
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,max_screens\n00000,3\n00002,3\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "distribution", model_dir, "--slate", slate,
                             "--screens-per-cinema", screens)
    assert code == 0, err
    said = next(x for x in out.splitlines() if "named by no user" in x)
    assert said.endswith(f"check the id): {shown_cell(repr(CINEMA))}"), said  # quoted
    assert "\u2028" not in out
