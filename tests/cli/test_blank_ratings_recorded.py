"""meta.json records how ``train`` read the log's blank ratings (``data.blank_ratings``: the
``--blank-ratings`` choice, the rows it applied to and the rating an unrated pair was given),
and ``recommender info`` and ``GET /health``'s model say it: a model trained with ``drop``
or ``implicit`` could not be told from one trained on a fully rated log. The oracle is the
log written here, counted and rated by hand."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import median
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import run_cli as run

from service.app import create_app
from service.settings import Settings

TRAIN = ("--no-tune", "--factors", "4", "--iterations", "2")
# (user, film, rating or blank): each pair once, so a pair's rating is its row's
ROWS = [(f"u{u}", f"f{(u * 7 + k) % 12}", "" if (u + k) % 3 == 0 else str(1 + (u + k) % 5))
        for u in range(30) for k in range(4)]
BLANK = sum(1 for _, _, r in ROWS if not r)
RATED = [float(r) for _, _, r in ROWS if r]


def _log(tmp_path: Path, rows: list[tuple[str, str, str]] = ROWS) -> Path:
    path = tmp_path / "log.csv"
    path.write_text("user_id,film_id,rating\n" + "".join(f"{u},{f},{r}\n" for u, f, r in rows))
    return path


def _recorded(capsys: pytest.CaptureFixture[str], model: Path) -> tuple[Any, str, Any]:
    """meta.json's data.blank_ratings, info's line on it and info --json's."""
    meta = json.loads((model / "meta.json").read_text())["data"].get("blank_ratings")
    code, out, err = run(capsys, "info", model)
    assert code == 0, err
    line = next(x for x in out.splitlines() if x.startswith("blank ratings:"))
    code, out, err = run(capsys, "info", model, "--json")
    assert code == 0, err
    return meta, line, json.loads(out)["model"]["blank_ratings"]


@pytest.mark.parametrize("choice", ["drop", "implicit"])
def test_train_records_its_blank_ratings_choice(tmp_path: Path, choice: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    log, model = _log(tmp_path), tmp_path / "m"
    code, _, err = run(capsys, "train", "--data", log, "--out", model, *TRAIN,
                       "--blank-ratings", choice, "--min-rating", "3.5")
    assert code == 0, err
    given = max(median(RATED), 3.5) if choice == "implicit" else None
    want = {"choice": choice, "rows": BLANK, "rating_given": given}
    meta, line, body = _recorded(capsys, model)
    assert meta == want and body == want
    assert line == (f"blank ratings: drop ({BLANK} rows left out)" if choice == "drop" else
                    f"blank ratings: implicit ({BLANK} rows kept as views; each pair no "
                    f"event rates given the rating {given:g})")
    settings = Settings(model_path=str(model), warm_cache=False,
                        store=str(tmp_path / "store.db"))
    with TestClient(create_app(settings)) as client:
        health = client.get("/health")
        schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert health.status_code == 200 and health.json()["model"]["blank_ratings"] == want
    assert set(schema["BlankRatings"]["properties"]) == set(want)


def test_a_fully_rated_log_records_refuse(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    log, model = _log(tmp_path, [(u, f, r or "2") for u, f, r in ROWS]), tmp_path / "m"
    code, _, err = run(capsys, "train", "--data", log, "--out", model, *TRAIN)
    assert code == 0, err
    want = {"choice": "refuse", "rows": 0, "rating_given": None}
    meta, line, body = _recorded(capsys, model)
    assert meta == want and body == want
    assert line == "blank ratings: refuse (--blank-ratings refuse: the log had none)"


def test_train_with_events_keeps_the_logs_reading(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    log, store, events = _log(tmp_path), tmp_path / "s.db", tmp_path / "ev.csv"
    events.write_text("user_id,film_id,timestamp\nu1,f11,1700000000\nnew,f0,1700000001\n")
    code, _, err = run(capsys, "events", "import", "--store", store, events)
    assert code == 0, err
    code, _, err = run(capsys, "train", "--data", log, "--out", tmp_path / "m", *TRAIN,
                       "--blank-ratings", "drop", "--events", store)
    assert code == 0, err
    meta = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert meta["events"]["events"] == 2  # folded in; the log's reading kept
    assert meta["data"]["blank_ratings"] == {"choice": "drop", "rows": BLANK,
                                             "rating_given": None}
