"""README's Listing paragraph says which cut a pseudonymised page or export refuses, as the
code applies it (``linkable.check_filtered``): a filter on values fewer than the minimum cell
of the model's users hold, counted over all of them, not over the cut. It said "a cut of
fewer than `min_cell` users", while a core-ring cut of 2 users with gender=F (100 users) was
answered, as the Security section's rule says.

Oracle: the planted attributes (gender F for every second user of 200; age 72 for 5), and
the core ring's size from the rings' shares (the first 1% of the candidates, rounded up).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from helpers import run_cli, synthetic_model

from recommender.model import artifact
from service.app import create_app
from service.settings import Settings

KEY = "cut-rule-pseudonym-key-0123456789"
MIN_CELL = 10


@pytest.fixture(scope="module", name="model_dir")
def _model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = synthetic_model(n_users=200, n_films=6, seed=4)
    users = np.arange(model.n_users)
    model.user_table.attributes["gender"] = np.where(users % 2 == 0, "F", "M")
    model.user_table.attributes["age"] = np.where(users < 5, "72", "30")
    return artifact.save(model, tmp_path_factory.mktemp("cut-rule") / "m")


def test_the_readme_says_the_rule_the_code_applies(
        model_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", str(MIN_CELL))
    text = " ".join((Path(__file__).resolve().parents[2] / "README.md")
                    .read_text(encoding="utf-8").split())
    assert ("a pseudonymised page or export refuses a filter on values fewer than `min_cell` "
            "of the model's users hold, counted over all of them, not over the cut: a ring or "
            "a segment beside the filter may leave fewer users, and they are listed") in text
    assert "refuses a cut of fewer than `min_cell` users" not in text
    model = artifact.load(model_dir)
    film = str(model.films.ids[0])
    candidates = model.n_users - len(model.film_viewers(0))
    core = int(np.ceil(candidates / 100))  # the core ring: the first 1%
    assert core < MIN_CELL <= model.n_users // 2  # F: every second user
    settings = Settings(model_path=str(model_dir), pseudonym_key=KEY, min_cell=MIN_CELL,
                        warm_cache=False, watch_interval=0)
    with TestClient(create_app(settings)) as client:
        small = client.get(f"/films/{film}/audience", params={
            "tier": "core", "filter": "gender=F", "pseudonymize": "true"})
        assert small.status_code == 200, small.text  # a cut under min_cell: answered
        body = small.json()
        assert 0 < body["total"] <= core and len(body["users"]) == body["total"]
        assert all(u["user_id"].startswith("p-") for u in body["users"])
        rare = client.get(f"/films/{film}/audience", params={
            "filter": "age=72", "pseudonymize": "true"})
        assert rare.status_code == 422, rare.text  # 5 users hold the value: refused
    key = tmp_path / "key"
    key.write_text(KEY, encoding="utf-8")
    films = tmp_path / "films.txt"
    films.write_text(film + "\n", encoding="utf-8")
    argv = ["audiences", model_dir, "--films", films, "--pseudonymize",
            "--pseudonym-key-file", key]
    code, said, err = run_cli(capsys, *argv, "--tier", "core", "--filter", "gender=F",
                              "--out", tmp_path / "a.csv")
    assert code == 0, err
    written = (tmp_path / "a.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert 0 < len(written) <= core
    code, _, err = run_cli(capsys, *argv, "--filter", "age=72", "--out", tmp_path / "b.csv")
    assert code == 2 and not (tmp_path / "b.csv").exists(), err
