"""The notes a demo model's distribution and cold-start answers carry, which the Studio and the
CLI show people word for word, name no field: no dotted path (``screens.note``), no
snake_case name (``calibrated_from``, ``horizon_curve``) and no bare ``p`` that the sentence
does not itself define. They said "(screens.note)", "a new film's p is borrowed, the
calibrated_from mix" and "(calibrated_from)" to a marketer. Oracle: the patterns below,
matched against every note-like string of the answers (field names stay in schema
descriptions and docstrings, which describe fields)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import demo_model

from recommender.cli.distribution_text import mixed_calibration_text
from recommender.distribution.cold_summary import cold_start_summary
from recommender.distribution.demand import UNRANKED_DEMAND, cold_start_demand, demand_by_place
from recommender.distribution.place_screens import NO_CINEMAS
from recommender.io.places import read_cinemas
from recommender.model.calibration import RANDOM_HOLDOUT_NOTE
from recommender.model.model import Model

# a file's name (cinemas.csv, meta.json, a results page) is a thing a person can open
FILE = re.compile(r"\b[\w/-]+\.(?:csv|md|json)\b")
DOTTED = re.compile(r"\b[a-z_]{2,}\.[a-z_]{2,}\b")
SNAKE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
BARE_P = re.compile(r"(?<![\w'-])p(?![\w'])")
# the keys whose strings are sentences for people (the Studio shows them as notes)
NOTE_KEYS = ("note", "warning", "description", "genres_only")


def notes(body: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, text) of a note-like key in ``body``, and ``units.screens`` (the Studio
    shows it as a note: "Screens: ...")."""
    if isinstance(body, dict):
        for k, v in body.items():
            here = f"{path}.{k}"
            if isinstance(v, str) and (k in NOTE_KEYS or k.endswith("_note")
                                       or here.endswith("units.screens")):
                yield here, v
            else:
                yield from notes(v, here)
    elif isinstance(body, list):
        for i, v in enumerate(body):
            yield from notes(v, f"{path}[{i}]")


def field_names(text: str) -> list[str]:
    """The field-like names in ``text`` (file names aside); a bare ``p`` counts unless the
    sentence defines it ("a probability p")."""
    bare = FILE.sub("", text)
    found = DOTTED.findall(bare) + SNAKE.findall(bare)
    if BARE_P.search(bare) and "probability p " not in bare:
        found.append("p")
    return found


def test_the_scan_finds_the_old_wording() -> None:
    """The patterns catch what the notes said (a scan that cannot fail proves nothing)."""
    assert field_names("'other' then by the demand of its places (screens.note)") == \
        ["screens.note"]
    assert field_names("no interval: a new film's p is borrowed, the calibrated_from mix") == \
        ["calibrated_from", "p"]
    assert field_names("use calibration.scale(p, calibration, D) (horizon_curve)") == \
        ["calibration.scale", "horizon_curve", "p"]
    assert field_names("a probability p becomes 1 - (1 - p) ** k(D), see cinemas.csv") == []


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Model, list[dict[str, Any]]]:
    folder, model = demo_model(tmp_path_factory)
    cinemas = read_cinemas(Path(folder) / "cinemas.csv")
    film = str(model.films.ids[0])
    known = [str(f) for f in model.films.ids[1:3].tolist()]
    genre = next(g for g in model.catalog.genres.tolist() if g).split("|")[0]
    # a large min_cell pools places into 'other', whose screens then carry the pool's note
    bodies = [demand_by_place(model, film, by, screens=40, min_cell=min_cell, cinemas=cinemas,
                              screens_by=screens_by)
              for by in ("region", "city") for min_cell in (10, 400)
              for screens_by in ("total", "new")]
    bodies += [cold_start_demand(model, known, [genre], "region", screens=9, min_cell=400,
                                 screens_by="new"),
               cold_start_demand(model, ["no-such-film"], [genre], "region", screens=9),
               cold_start_summary(model, known, [genre]),
               cold_start_summary(model, ["no-such-film", known[0]])]
    return model, bodies


def test_no_note_of_a_distribution_or_cold_start_answer_names_a_field(
        answers: tuple[Model, list[dict[str, Any]]]) -> None:
    model, bodies = answers
    said = [(path, text) for body in bodies for path, text in notes(body)]
    paths = {p for p, _ in said}
    # the scan reads the notes that matter: the pool's screens note, the borrowed
    # calibration's, the interval's, the horizon's, a genres-alone answer's
    for want in (".screens.note", ".conversion_note", ".conversion_interval_note",
                 ".horizon.description", ".cold_start.genres_only", ".units.screens"):
        assert want in paths, want
    mix = next(b for b in bodies if "cold_start" in b and "calibrated_from" in b["cold_start"])
    said.append(("cli", mixed_calibration_text(model, mix["cold_start"]["calibrated_from"])))
    named = {path: field_names(text) for path, text in said if field_names(text)}
    assert named == {}


def test_the_notes_a_demo_model_does_not_draw_name_no_field_either() -> None:
    """The notes of a tie, of a log without times and of a missing cinema table (a demo
    model, timed and with its cinemas, draws none of them)."""
    for text in (UNRANKED_DEMAND, RANDOM_HOLDOUT_NOTE, NO_CINEMAS):
        assert field_names(text) == [], text
