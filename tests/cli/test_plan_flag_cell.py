"""A plan's film table fills its flag column for every film ("none" where nothing is flagged:
the cell was blank in every row of a plan whose budgets all fit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import run_cli as run
from helpers import synthetic_model

from recommender.model import artifact


def test_every_flag_cell_says_something(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RECOMMENDER_STORE", raising=False)
    model = synthetic_model(n_users=60, n_films=6, seed=8)
    folder = artifact.save(model, tmp_path / "m")
    films = [str(f) for f in model.films.ids[[0, 2]]]
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget\n{films[0]},5\n{films[1]},500\n")  # the second too big
    args = ("plan", folder, "--slate", slate, "--out", tmp_path / "p.csv")
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    flagged = {f["film_id"]: f["budget_exceeds_eligible"]
               for f in json.loads(out)["summary"]["films"]}
    assert sorted(flagged.values()) == [False, True]
    (tmp_path / "p.csv").unlink()
    code, out, err = run(capsys, *args)
    assert code == 0, err
    lines = out.splitlines()
    dashes = next(i for i, line in enumerate(lines) if set(line.replace(" ", "")) == {"-"})
    flag_at = lines[dashes - 1].index("flag")
    for line in lines[dashes + 1:dashes + 1 + len(flagged)]:
        cell = line[flag_at:].strip()
        want = ("budget + control > eligible users" if flagged[line.split()[0]] else "none")
        assert cell == want, line
