"""``similar`` for a film with one viewer gave every film that viewer alone watched at score
1.0000 under "1 = the same taste", in internal tie-break order, with a null note. The answer's
note (CLI text, ``--json``, HTTP: one body) now says how many viewers it rests on and how many
films tie at the top score. Oracle: the viewers written into the log, and the ties counted from
the answer's own scores over every candidate (k above the number of films)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from helpers import run_cli

THIN_VIEWERS = 5  # recommender.query.recommend.THIN_VIEWERS

LONE = ["lone1", "lone2", "lone3", "lone4"]  # watched by user u0 alone


WATCHED = {u: np.random.default_rng(u).choice(15, 6, replace=False).tolist() for u in range(60)}


def _model(tmp_path: Path, capsys: Any) -> Path:
    rows = [f"u{u},f{f}" for u, films in WATCHED.items() for f in films]
    rows += [f"u0,{f}" for f in LONE]
    (tmp_path / "log.csv").write_text("user_id,film_id\n" + "\n".join(rows) + "\n")
    code, _, err = run_cli(capsys, "train", "--data", tmp_path / "log.csv", "--out",
                           tmp_path / "m", "--no-tune", "--family", "ease", "--segments", 1)
    assert code == 0, err
    return tmp_path / "m"


def _similar(capsys: Any, model: Path, film: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "similar", model, film, "-k", 100, "--json")
    assert code == 0, err
    body: dict[str, Any] = json.loads(out)
    return body


def test_a_one_viewer_films_tied_list_says_so(tmp_path: Path, capsys: Any) -> None:
    model = _model(tmp_path, capsys)
    body = _similar(capsys, model, "lone1")
    scores = [f["score"] for f in body["films"]]
    tied = scores.count(scores[0])
    assert tied >= len(LONE) - 1  # the other films only u0 watched, at least
    assert body["note"] is not None
    assert body["note"].startswith(
        f"based on 1 viewer: the {tied} films tied at score {scores[0]:.4f} are in no "
        "meaningful order"), body["note"]
    code, out, err = run_cli(capsys, "similar", model, "lone1")
    assert code == 0, err
    assert f"warning: {body['note']}" in out
    # a film watched by many, its top score its own: no note
    viewers = sum(0 in films for films in WATCHED.values())
    assert viewers >= THIN_VIEWERS
    body = _similar(capsys, model, "f0")
    scores = [f["score"] for f in body["films"]]
    assert scores.count(scores[0]) == 1
    assert body["note"] is None


def test_a_few_viewers_film_untied_is_noted_and_a_well_watched_one_not() -> None:
    from recommender.query import recommend

    assert recommend.THIN_VIEWERS == THIN_VIEWERS
    scores = np.array([-np.inf, 0.9, 0.5, 0.7], np.float32)
    top = np.array([1, 3, 2])
    note = recommend.thin_note(THIN_VIEWERS - 1, scores, top)
    assert note == f"based on {THIN_VIEWERS - 1} viewers: a similarity from so few watches " \
                   "says little, even at 1 (the same taste)"
    assert recommend.thin_note(THIN_VIEWERS, scores, top) is None
    two = np.array([-np.inf, 0.9, 0.9, 0.7], np.float32)  # two alike: no crowd
    assert recommend.thin_note(THIN_VIEWERS, two, top) is None
    three = np.array([-np.inf, 0.9, 0.9, 0.9], np.float32)
    assert recommend.thin_note(THIN_VIEWERS, three, top).startswith(  # type: ignore[union-attr]
        f"based on {THIN_VIEWERS} viewers: the 3 films tied at score 0.9000 are in no "
        "meaningful order")
