"""A slate line's title that is exactly another film's title is refused, naming both films:
``0295955,10,Café`` passed as film 0295955 "Cafe" (accents aside) while "Café" is the exact
title of film 0300001, the film likely meant. A title no other film has exactly is still
read accents aside. ``plan`` and ``distribution --slate`` read slates alike."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from helpers import run_cli
from unicode_fixtures import CAFE, CAFE_ACCENT, save_unicode_model

from recommender.query.typed_titles import other_films_titled


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_unicode_model(tmp_path_factory.mktemp("exact-titles") / "model")


@pytest.mark.parametrize("command", ["plan", "distribution"])
@pytest.mark.parametrize("typed", ["Café", unicodedata.normalize("NFD", "Café"),
                                   " Café (2001)"])
def test_another_films_exact_title_is_refused(model_dir: Path, tmp_path: Path, command: str,
                                              typed: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    slate = tmp_path / "slate.csv"
    if command == "plan":
        slate.write_text(f"film_id,budget,title\nf003,10,Film 3\n{CAFE},10,{typed}\n",
                         encoding="utf-8")
    else:  # a distribution slate: film_id[,title]
        slate.write_text(f"film_id,title\nf003,Film 3\n{CAFE},{typed}\n", encoding="utf-8")
    screens = tmp_path / "scr.csv"
    screens.write_text("cinema_id,screens\nCine Ünião 00,3\nCine Ünião 01,2\n")
    args = (("--out", tmp_path / "p.csv") if command == "plan"
            else ("--out", tmp_path / "p.csv", "--screens-per-cinema", screens))
    code, out, err = run_cli(capsys, command, model_dir, "--slate", slate, *args)
    assert code != 0 and not (tmp_path / "p.csv").exists()
    assert "line 3" in err and f"[film {CAFE_ACCENT}]" in err and f"[film {CAFE}]" in err, err
    assert "exactly the title of Café (2001)" in err


def test_a_title_no_other_film_has_is_read_accents_aside(model_dir: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    slate = tmp_path / "slate.csv"
    slate.write_text(f"film_id,budget,title\nf003,10,Fïlm 3\n{CAFE},10,Cafe\n"
                     f"{CAFE_ACCENT},10,Café\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "plan", model_dir, "--slate", slate, "--out",
                           tmp_path / "p.csv")
    assert code == 0, err


def test_the_rows_so_titled() -> None:
    names, years = ["Cafe", "Café", "Film", "Café"], [2001, 2001, 1999, 1950]
    assert other_films_titled(names, years, ["Café", "Cafe", "film", "Café (1950)"],
                              [0, 0, 2, 1]) == [(0, 1), (0, 3), (3, 3)]
    assert other_films_titled(names, years, ["Café"], [1]) == []  # its own exact title
    assert other_films_titled(names, years, [""], [0]) == []
