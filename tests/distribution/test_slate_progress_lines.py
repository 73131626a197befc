"""The slate's screen allocation says on stderr, where progress is on, when it starts solving
and the seconds the solve took: it said its start line alone and then nothing for 29 s (200
films at 252 cinemas), while README lists it among the work that draws progress."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import run_cli as run
from service_fixtures import save_model

from recommender.model import layout

CINEMAS = {"c1": 3, "c2": 4, "c3": 2}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = save_model(tmp_path_factory.mktemp("slate-progress") / "model",
                        cinemas=list(CINEMAS))
    (layout.resolve(folder) / "cinemas.csv").write_text(
        "cinema_id,city,region,screens,seats\n" + "".join(
            f"{c},X,Y,{n},100\n" for c, n in CINEMAS.items()))
    return folder


def _slate(tmp_path: Path, bounded: bool) -> Path:
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,min_screens,max_screens\n" + (
        "00003,1,\n00002,,3\n" if bounded else "00003,,\n00002,,\n"), encoding="utf-8")
    return slate


@pytest.mark.parametrize(("bounded", "solver"), [
    (True, "HiGHS dual simplex"), (False, "each cinema's cheapest pieces")])
def test_the_solve_is_said_as_it_starts_and_ends(
        model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], bounded: bool, solver: str) -> None:
    monkeypatch.setenv("RECOMMENDER_PROGRESS", "always")
    code, _, err = run(capsys, "distribution", model_dir, "--slate", _slate(tmp_path, bounded))
    assert code == 0, err
    lines = err.splitlines()
    starts = [i for i, ln in enumerate(lines) if ln.startswith("sharing 9 screens of 3 "
                                                                "cinemas among 2 films ...")]
    solving = [i for i, ln in enumerate(lines) if re.fullmatch(
        r"each cinema's demand: \d+\.\d s; fitting each film's targets and solving the "
        r"allocation of "
        r"3 cinemas x 2 films \.\.\.", ln)]
    solved = [i for i, ln in enumerate(lines) if re.fullmatch(
        r"allocation solved in \d+\.\d s by " + re.escape(solver) + r".*; \d+\.\d s in all",
        ln)]
    assert len(starts) == len(solving) == len(solved) == 1, err
    assert starts[0] < solving[0] < solved[0], err


def test_silent_where_progress_is_off(model_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RECOMMENDER_PROGRESS", "never")
    code, _, err = run(capsys, "distribution", model_dir, "--slate", _slate(tmp_path, True))
    assert code == 0, err
    assert "solv" not in err and "sharing" not in err, err
