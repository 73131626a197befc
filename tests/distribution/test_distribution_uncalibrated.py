"""A model whose calibration measured nothing forecasts no new viewer: the CLI says so.

Its breakdown read "+ 0.0 expected new (users; calibration horizon: the held-out slice)", a
forecast of nobody over a horizon it does not have, and a slate shared every cinema's screens
equally among the films "by expected new viewers" without a word; the JSON's horizon said
"no calibration in this model", the text did not (``summary`` says "conversion: none").
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, synthetic_model

from recommender.model import artifact


@pytest.fixture(scope="module")
def uncalibrated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    m = synthetic_model(n_users=200, n_films=10, seed=2)
    m.calibration = {"bins": 1000, "hits": [0] * 1000, "candidates": [50] * 1000}
    cinema = np.asarray([f"c{i % 4}" for i in range(m.n_users)])
    m.user_table.attributes["cinema"] = cinema
    path = artifact.save(m, tmp_path_factory.mktemp("uncalibrated") / "model")
    return path, str(m.films.ids[0])


OTHER_FILM = "0001037"  # synthetic_model's second film


def test_a_breakdown_says_no_new_viewer_is_forecast(uncalibrated: tuple[Path, str],
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    path, film = uncalibrated
    code, out, err = run_cli(capsys, "distribution", path, film, "--by", "region",
                             "--screens", 5)
    assert code == 0, err
    assert "calibration horizon: the held-out slice" not in out
    assert "expected new (users; no calibration)" in out.splitlines()[0]
    assert ("warning: no new viewer is forecast (expected_new is 0 everywhere): no "
            "calibration in this model") in err
    code, out, err = run_cli(capsys, "distribution", path, film, "--by", "region", "--json")
    assert code == 0 and "warning: no new viewer is forecast" in err


def test_a_slate_says_its_screens_follow_no_demand(uncalibrated: tuple[Path, str],
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path, film = uncalibrated
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id\n{film}\n{OTHER_FILM}\n")
    screens = tmp_path / "screens.csv"
    screens.write_text("cinema_id,screens\nc0,4\nc1,2\n")
    code, out, err = run_cli(capsys, "distribution", path, "--slate", slate,
                             "--screens-per-cinema", screens)
    assert code == 0, err
    assert ("warning: no new viewer is forecast (expected_new is 0 everywhere): no "
            "calibration in this model") in err
    assert "each cinema's screens are shared equally among the films" in err
    # the headline says what the screens were shared by: equally, not "by expected new
    # viewers" (every one 0), and the body says so too (shared_by, as HTTP's)
    assert out.splitlines()[0] == (
        "6 screens of 2 cinemas shared equally among 2 films within their bounds (no cinema "
        "has any expected new viewer to share them by; total deviation from the targets, "
        "each cinema's screens in equal shares with a film its max_screens holds back "
        "scaled down: 0.000 screens)"), out
    assert "by expected new viewers" not in out
    code, out, err = run_cli(capsys, "distribution", path, "--slate", slate,
                             "--screens-per-cinema", screens, "--json")
    assert code == 0, err
    assert json.loads(out)["shared_by"] == "equally"
