"""A breakdown's and a slate's screens counts carry thousands separators wherever they are
said (capped_by, the refusals, the CLI's tables), as the pool's note and the slate's head line
did; "the cinemas in the city values users name" reads "the cinemas in the cities users name";
and one wording says how ids and names are compared, the warning's and the refusal's alike
(one said "case and spaces included", the other "spaces included"). Oracle: a table written
here with thousands of screens."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import run_cli, synthetic_model
from service_fixtures import save_model

from recommender.distribution.demand import demand_by_place
from recommender.distribution.place_screens import EXACTLY
from recommender.errors import InvalidParameterError
from recommender.io.places import Cinemas
from recommender.model import layout

SAID = "compared exactly (case, surrounding spaces, Unicode form and leading zeros included)"


def test_counts_are_separated_and_the_wording_is_one() -> None:
    m = synthetic_model(n_users=200, n_films=6, seed=4)
    m.user_table.attributes["city"] = np.where(np.arange(200) % 2, "Lyon", "Nice")
    m.user_table.attributes["region"] = np.full(200, "East")
    m.user_table.attributes["cinema"] = np.where(np.arange(200) % 2, "c1", "c2")
    table = Cinemas(np.array(["c1", "c2", "c9"]), np.array(["Lyon", "Nice", "Nowhere"]),
                    np.full(3, "East"), np.array([1200, 800, 1500], np.int64),
                    np.zeros(3, np.int64), "cinemas.csv")
    film = str(m.films.ids[1])
    assert EXACTLY == SAID
    for by, where, what in (("city", "the cinemas in the cities users name", "city names"),
                            ("cinema", "the cinemas users name", "cinema ids")):
        with pytest.raises(InvalidParameterError) as refused:
            demand_by_place(m, film, by, screens=2500, cinemas=table, min_cell=1)
        assert str(refused.value) == (
            f"screens=2500 is more than the 2,000 screens of {where} (cinemas.csv: 3 cinemas, "
            "3,500 screens; 1,500 screens of 1 cinema "
            + ("in a city no user names" if by == "city" else "no user names")
            + f" cannot be used (e.g. '{'Nowhere' if by == 'city' else 'c9'}'); {what} are "
            f"{SAID})")
        body = demand_by_place(m, film, by, screens=1999, cinemas=table, min_cell=1)
        assert body["screens"]["capped_by"].startswith("cinemas.csv: 3 cinemas, 3,500 screens")
    # the warning of a place the table lacks says the same words
    short = Cinemas(np.array(["c1"]), np.array(["Lyon"]), np.array(["East"]),
                    np.array([1200], np.int64), np.zeros(1, np.int64), "cinemas.csv")
    body = demand_by_place(m, film, "city", screens=1000, cinemas=short, min_cell=1)
    assert body["screens"]["warning"].endswith(f"city names are {SAID}")
    assert not re.search(r"\d{4} screens", str(body["screens"]))


def test_the_cli_tables_separate_screens(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = save_model(tmp_path / "model", cinemas=["c1", "c2"])
    (layout.resolve(folder) / "cinemas.csv").write_text(
        "cinema_id,screens\nc1,1200\nc2,900\n")
    monkeypatch.setenv("RECOMMENDER_MIN_CELL", "1")
    monkeypatch.delenv("RECOMMENDER_CINEMAS", raising=False)
    code, out, err = run_cli(capsys, "distribution", folder, "00003", "--by", "cinema",
                             "--screens", "2100")
    assert code == 0, err
    rows = {line.split()[0]: line.split() for line in out.splitlines()
            if line.startswith(("c1 ", "c2 "))}
    assert rows["c1"][-2:] == ["1,200", "1,200"] and rows["c2"][-2:] == ["900", "900"]
    assert "2,100 screens shared out by expected_total" in out
    slate = tmp_path / "slate.csv"
    slate.write_text("film_id,min_screens,max_screens\n00003,1500,\n00002,,2000\n")
    code, out, err = run_cli(capsys, "distribution", folder, "--slate", slate)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("00003"))
    assert "1,500" in line.split() and str(1500) not in line.split(), line
    line = next(x for x in out.splitlines() if x.startswith("00002"))
    assert "2,000" in line.split(), line
